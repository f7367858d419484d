#include "app/cli/CommandErrors.h"

#include "app/session/ModelLoading.h"
#include "storage/Restore.h"
#include "storage/StorageError.h"

#include <ostream>

namespace strata::cli {

int guarded(const char* command, std::ostream& err, const std::function<int()>& body) {
    try {
        return body();
    } catch (const UsageError& e) {
        err << "strata-cli " << command << ": " << e.what() << " (see --help)\n";
        return 2;
    } catch (const session::SelectionError& e) {
        err << "strata-cli " << command << ": " << e.what() << " (see --help)\n";
        return 2;
    } catch (const storage::RestoreError& e) {
        err << "strata-cli " << command << ": " << e.what();
        return 1;
    } catch (const storage::StorageError& e) {
        err << "strata-cli " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const ModelError& e) {
        err << "strata-cli " << command << ": the stored spec does not validate:\n" << e.what() << "\n";
        return 1;
    }
}

} // namespace strata::cli
