// The daemon's config parser (daemon/core config): the input is the whole cardbridged.json. loadConfig reads
// a path, so the input goes into a memory file (memfd) read through /proc/self/fd: the real reading code.
//
// Checked: loadConfig never throws for file contents; whatever it keeps is valid (ports 1024–65535, origins
// without problems, an authority URL that parses, limits above zero).
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cardbridge/daemon/core/config.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;
using namespace cardbridge::daemon;

namespace {

int configFile() {
    static const int fd = [] {
        spdlog::set_level(spdlog::level::off);
        const int made = memfd_create("cardbridged.json", 0);
        if (made < 0) std::abort();
        return made;
    }();
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = configFile();
    if (ftruncate(fd, 0) != 0) std::abort();
    if (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
    const std::string path = "/proc/self/fd/" + std::to_string(fd);

    DefaultPaths defaults{"/nonexistent/cardbridged.json", "/nonexistent/state"};
    const ConfigLoad load = loadConfig(path, defaults);  // must not throw
    const DaemonConfig& c = load.config;
    if (c.ports.empty()) std::abort();
    for (const std::uint16_t port : c.ports) {
        if (port < 1024) std::abort();
    }
    for (const PlatformOrigin& origin : c.platformOrigins) {
        if (!originProblem(origin.origin).empty()) std::abort();
    }
    if (!c.authority.url.empty()) {
        std::string problem;
        if (!parseHttpsUrl(c.authority.url, problem)) std::abort();
    }
    if (c.limits.maxFrameBytes == 0 || c.limits.maxJsonDepth == 0) std::abort();
    if (c.stateDir.empty() || c.logFile.empty()) std::abort();
    return 0;
}
