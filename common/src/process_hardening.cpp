#include "cardbridge/common/process_hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cardbridge/common/error.hpp"

namespace cardbridge {

void disableCoreDumps() {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0)
        throw FatalError(std::string("setrlimit(RLIMIT_CORE, 0) failed: ") + std::strerror(errno));
    // Also covers what RLIMIT_CORE does not: a core_pattern pipe handler ignores the limit, and a
    // dumpable process can be ptrace-attached (and its memory read) by any process of the same user.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        throw FatalError(std::string("prctl(PR_SET_DUMPABLE, 0) failed: ") + std::strerror(errno));
}

}  // namespace cardbridge
