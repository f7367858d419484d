// What every Graphviz layout of the app shares: one context for the process (it loads its
// plugins once) and one lock (Graphviz keeps global state), and attribute setting.
//
//   std::lock_guard lock(graphvizMutex());
//   Agraph_t* g = agopen(..., Agdirected, nullptr);
//   graphvizSet(g, "rankdir", "TB");
//   gvLayout(graphvizContext(), g, "dot");
#pragma once

#include <mutex>
#include <string>

struct GVC_s;

namespace strata::gui {

GVC_s* graphvizContext();
std::mutex& graphvizMutex();
// agsafeset with a default of "" for graphs, nodes and edges.
void graphvizSet(void* object, const char* name, const std::string& value);

} // namespace strata::gui
