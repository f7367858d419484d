// Internal to the CPU backend: a prepared graph (schedule, storage of every value, the arena)
// and the node dispatcher.
#pragma once

#include "engine/Tensor.h"
#include "engine/ir/Backend.h"

#include <string>
#include <vector>

namespace strata::cpu {

enum class Storage : uint8_t {
    Unused,         // not needed by this plan
    Arena,          // offset[v] bytes into the arena
    Placeholder,    // the fed view
    Variable,       // the backend variable path[v], read
    VariableOutput, // computed in place into the backend variable path[v]
    Constant,       // the graph's constant
    Alias,          // same memory as value offset[v] (a reshape)
};

class CpuPlan final : public ir::PreparedGraph {
public:
    const std::vector<ir::ValueId>& outputs() const override { return outputList; }

    ir::Graph graph;
    std::vector<ir::ValueId> outputList;
    std::vector<int32_t> schedule;          // nodes to execute, in order
    std::vector<Storage> storage;           // per value
    std::vector<int64_t> offset;            // per value: arena byte offset, or alias root
    std::vector<std::string> path;          // per value: variable path for Variable/VariableOutput
    std::vector<ir::Assignment> copies;     // assignments that still need a copy after the run
    std::vector<ir::ValueId> placeholders;  // needed placeholder values
    std::vector<ir::ValueId> variableValues;// values with Variable or VariableOutput storage
    std::vector<ir::ValueId> aliases;       // values with Alias storage, roots first
    Tensor arena;                           // intermediates, then conv scratch
    int64_t scratchOffset = 0;              // bytes
    std::vector<void*> ptr;                 // per value, refreshed by each run
};

CpuPlan* makePlan(const ir::Graph& g, std::vector<ir::ValueId> outputs);
void execute(const ir::Graph& g, const ir::Node& n, void* const* ptr, float* scratch);

} // namespace strata::cpu
