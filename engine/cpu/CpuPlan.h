// Internal to the CPU backend: a prepared graph (the shared buffer plan, the arena and a pointer
// per value) and the node dispatcher.
#pragma once

#include "engine/Tensor.h"
#include "engine/ir/Backend.h"
#include "engine/ir/BufferPlanner.h"

#include <vector>

namespace strata::cpu {

class CpuPlan final : public ir::PreparedGraph {
public:
    const std::vector<ir::ValueId>& outputs() const override { return outputList; }

    ir::Graph graph;
    std::vector<ir::ValueId> outputList;
    ir::BufferPlan buffers;      // schedule, role and root of every value, copies (ir/BufferPlanner.h)
    Tensor arena;                // intermediates and conv scratch, placed by ir::layoutArena
    std::vector<float*> scratch; // per node: its conv scratch in the arena, or null
    std::vector<void*> ptr;      // per value, refreshed by each run
};

CpuPlan* makePlan(const ir::Graph& g, std::vector<ir::ValueId> outputs);
void execute(const ir::Graph& g, const ir::Node& n, void* const* ptr, float* scratch);

} // namespace strata::cpu
