#include "app/gui/model/Graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

namespace strata::gui {

GVC_t* graphvizContext() {
    static GVC_t* gvc = gvContext();
    return gvc;
}

std::mutex& graphvizMutex() {
    static std::mutex mutex;
    return mutex;
}

void graphvizSet(void* object, const char* name, const std::string& value) {
    agsafeset(object, const_cast<char*>(name), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

} // namespace strata::gui
