// cardbridged's default folders on Windows (docs/windows.md, "Folders"). The choice of folder is a pure
// function, built and unit-tested on every platform; asking Windows for the known folders is Windows-only
// (windows_folders.cpp, compile-checked by scripts/mingw-check.sh).
#pragma once

#include <filesystem>

#include "cardbridge/daemon/core/config.hpp"

namespace cardbridge::daemon {

/// The known folders the choice depends on (SHGetKnownFolderPath's answers).
struct WindowsKnownFolders {
    std::filesystem::path localAppData;    ///< FOLDERID_LocalAppData, e.g. C:\Users\zs\AppData\Local
    std::filesystem::path roamingAppData;  ///< FOLDERID_RoamingAppData, e.g. C:\Users\zs\AppData\Roaming
    std::filesystem::path programData;     ///< FOLDERID_ProgramData, e.g. C:\ProgramData
};

/// Per user (the daemon runs as the user, the per-user service): state and logs under
/// LocalAppData\cardbridge (machine-bound, never roams: it holds the local TLS key), the config under
/// RoamingAppData\cardbridge. As LocalSystem (a per-machine service): everything under
/// ProgramData\cardbridge (LocalSystem's own AppData is inside System32). Never throws.
DefaultPaths windowsDefaultPathsFrom(const WindowsKnownFolders& folders, bool localSystem);

#ifdef _WIN32
/// windowsDefaultPathsFrom for this process: its known folders and whether it runs as LocalSystem. A
/// folder Windows will not name (it never happens for these three in practice) leaves a relative path.
DefaultPaths windowsDefaultPaths();
#endif

}  // namespace cardbridge::daemon
