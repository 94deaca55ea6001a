#include "cardbridge/common/executable_path.hpp"

#include <system_error>

#ifdef _WIN32
#include <windows.h>

#include <vector>
#endif

namespace cardbridge {

std::filesystem::path executablePath() {
#ifdef _WIN32
    std::vector<wchar_t> buffer(MAX_PATH);
    for (;;) {
        const DWORD n = GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
        if (n == 0) return {};
        if (n < buffer.size()) return std::filesystem::path(std::wstring(buffer.data(), n));
        if (buffer.size() >= 32768) return {};
        buffer.resize(buffer.size() * 2);
    }
#else
    std::error_code ec;
    auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    return path;
#endif
}

std::filesystem::path dataPathBeside(const std::filesystem::path& executable, std::string_view relative) {
    if (executable.empty()) return {};
    return (executable.parent_path() / ".." / "share" / std::filesystem::path(relative)).lexically_normal();
}

}  // namespace cardbridge
