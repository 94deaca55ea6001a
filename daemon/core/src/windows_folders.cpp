#include "windows_folders.hpp"

#include <vector>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// windows.h must come first.
// clang-format off
#include <windows.h>
#include <knownfolders.h>
#include <shlobj.h>
// clang-format on
#endif

namespace cardbridge::daemon {

namespace fs = std::filesystem;

DefaultPaths windowsDefaultPathsFrom(const WindowsKnownFolders& folders, bool localSystem) {
    DefaultPaths paths;
    if (localSystem) {
        const fs::path base = folders.programData / "cardbridge";
        paths.configFile = base / "cardbridged.json";
        paths.stateDir = base / "state";
    } else {
        paths.configFile = folders.roamingAppData / "cardbridge" / "cardbridged.json";
        paths.stateDir = folders.localAppData / "cardbridge";
    }
    return paths;
}

#ifdef _WIN32

namespace {

fs::path knownFolder(REFKNOWNFOLDERID id) {
    PWSTR raw = nullptr;
    // KF_FLAG_DONT_VERIFY: name the folder even when it does not exist yet (the daemon creates its own).
    const HRESULT hr = ::SHGetKnownFolderPath(id, KF_FLAG_DONT_VERIFY, nullptr, &raw);
    fs::path path;
    if (SUCCEEDED(hr) && raw != nullptr) {
        try {
            path = fs::path(raw);
        } catch (...) {
        }
    }
    ::CoTaskMemFree(raw);  // also required when the call failed
    return path;
}

bool runsAsLocalSystem() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    bool system = false;
    if (size > 0) {
        std::vector<BYTE> buffer(size);
        if (::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
            system = ::IsWellKnownSid(reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid,
                                      WinLocalSystemSid) != FALSE;
        }
    }
    ::CloseHandle(token);
    return system;
}

}  // namespace

DefaultPaths windowsDefaultPaths() {
    WindowsKnownFolders folders;
    folders.localAppData = knownFolder(FOLDERID_LocalAppData);
    folders.roamingAppData = knownFolder(FOLDERID_RoamingAppData);
    folders.programData = knownFolder(FOLDERID_ProgramData);
    return windowsDefaultPathsFrom(folders, runsAsLocalSystem());
}

#endif

}  // namespace cardbridge::daemon
