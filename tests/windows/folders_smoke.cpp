// defaultPaths() on Windows for scripts/wine-smoke.sh: prints the config file and the state folder.
#include <cstdio>

#include "cardbridge/daemon/core/config.hpp"

int main() {
    const auto paths = cardbridge::daemon::defaultPaths();
    std::printf("config=%s\nstate=%s\n", paths.configFile.string().c_str(), paths.stateDir.string().c_str());
    return 0;
}
