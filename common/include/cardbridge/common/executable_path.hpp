// Where the running program lives, so installed files are found relative to it (no build or source path
// compiled in): cardbridged's web UI is <bindir>/../share/cardbridge/webui.
#pragma once

#include <filesystem>
#include <string_view>

namespace cardbridge {

/// Absolute path of the running executable (Linux: /proc/self/exe; Windows: GetModuleFileNameW).
/// Empty when it cannot be found.
std::filesystem::path executablePath();

/// `executable`'s folder / ".." / "share" / `relative`, normalised (lexically). Empty when `executable`
/// is empty. The install layout puts binaries in <prefix>/bin and data in <prefix>/share; the build tree
/// mirrors it (build/share links to the sources' data folders).
std::filesystem::path dataPathBeside(const std::filesystem::path& executable, std::string_view relative);

}  // namespace cardbridge
