// Buffer planning that every backend shares: which nodes of a graph run and in what order, what
// each value is (a source, a view of another value, computed into the arena, or computed in
// place into its variable), how long each computed value lives, and where it sits in one arena
// of byte offsets. What memory an offset refers to, how sources are bound and what a node's
// scratch is for stay in the backend (engine/cpu/CpuPlanner.cpp, gpu/VulkanPlanner.cpp).
//
//   ir::BufferPlan plan = ir::planBuffers(g, outputs);            // order, roles, liveness
//   ir::ArenaLayout arena = ir::layoutArena(g, plan, {.alignment = 64});
//   // arena.offset[v] for every Computed v; arena.bytes is the size of the arena
//
// Rules:
// - A node runs when an output or an assignment needs it; needed nodes keep graph order.
// - A reshape is a view: it shares the memory of its input (root[v]) and runs no kernel.
// - An assignment is computed in place into its variable when its producer is elementwise
//   (Add, Sub, Mul, Div, the unary activations, UnaryGrad, AdamUpdate), it is the only
//   assignment to that path, no output is the variable's read, and every read of the variable
//   comes no later than the producer and, at the producer, reads the element index it writes.
//   Every other assignment is copied after the run.
// - A computed value lives from its node to the last node that reads it or a view of it;
//   outputs and assigned values live to the end. Values alive at the same time never overlap.
//   A node's outputs and scratch are placed before its inputs are released, so no kernel
//   writes memory it reads; its scratch is released again right after it.
#pragma once

#include "engine/ir/Graph.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace strata::ir {

enum class ValueRole : uint8_t {
    Unused,         // needed by no output and no assignment
    Placeholder,    // fed per run
    Variable,       // a read of the backend variable path[v]
    Constant,       // the graph's constant
    View,           // the memory of root[v] (a reshape)
    Computed,       // written by a scheduled node into the arena
    VariableOutput, // written by a scheduled node straight into the backend variable path[v]
};

inline constexpr int32_t kLiveToEnd = std::numeric_limits<int32_t>::max();

struct BufferPlan {
    std::vector<int32_t> order;          // needed nodes in execution order, sources and views too
    std::vector<int32_t> schedule;       // the needed nodes that run a kernel, in order
    std::vector<ValueRole> role;         // per value
    std::vector<ValueId> root;           // per value: whose memory it uses (itself unless a View)
    std::vector<int32_t> lastUse;        // per root: index into order of its last read, or kLiveToEnd
    std::vector<std::string> path;       // per value: variable path of a Variable or VariableOutput
    std::vector<Assignment> copies;      // assignments not computed in place, in graph order
    std::vector<ValueId> placeholders;   // needed placeholders
    std::vector<ValueId> variableValues; // values with role Variable or VariableOutput
    std::vector<ValueId> views;          // values with role View
};

// Throws StrataError for an output that is not a value of `g`.
BufferPlan planBuffers(const Graph& g, const std::vector<ValueId>& outputs);

struct ArenaOptions {
    int64_t alignment = 64;        // every offset and every slot size is a multiple of it
    int64_t minBytes = 0;          // the smallest slot, also for empty values
    int64_t base = 0;              // the first offset; the backend's own regions lie below it
    std::vector<ValueId> fixed{};  // Computed values the backend placed itself: not placed here
    std::function<int64_t(const Graph&, const Node&)> scratchBytes{}; // a node's transient bytes

    int64_t slotBytes(int64_t bytes) const; // `bytes` rounded up to a slot
};

struct ArenaLayout {
    std::vector<int64_t> offset;        // per value: byte offset of a Computed value placed here, or -1
    std::vector<int64_t> scratchOffset; // per node: byte offset of its scratch, -1 when it has none
    std::vector<int64_t> scratchBytes;  // per node
    int64_t bytes = 0;                  // the arena's size: the highest end of any slot, base included
};

// Places every Computed value of `plan` (but the fixed ones) and every node's scratch by
// liveness, first fit.
ArenaLayout layoutArena(const Graph& g, const BufferPlan& plan, const ArenaOptions& options);

// The bytes of v's elements, before rounding to a slot.
int64_t valueBytes(const Graph& g, ValueId v);

} // namespace strata::ir
