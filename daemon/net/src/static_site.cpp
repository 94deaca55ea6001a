// Static files for the bundled UI. Paths are checked twice: lexically (sanitiseTarget) and after
// canonicalisation (symlinks), because either alone has been bypassed in other servers.
#include "cardbridge/daemon/net/static_site.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <system_error>

namespace cardbridge::daemon {

namespace {

constexpr std::size_t MAX_TARGET_BYTES = 2048;
constexpr std::uintmax_t MAX_FILE_BYTES = 16 * 1024 * 1024;

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Every byte a path segment may hold after decoding; the rest (controls, '\\', ':', '%', NUL) is refused.
bool segmentByteAllowed(unsigned char c) {
    return c >= 0x20 && c != 0x7f && c != '\\' && c != ':' && c != '%' && c != '/';
}

// Whether `path` is `root` or below it, comparing whole components.
bool isUnder(const std::filesystem::path& path, const std::filesystem::path& root) {
    auto [rootEnd, pathPos] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
    return rootEnd == root.end();
}

}  // namespace

std::optional<std::string> sanitiseTarget(std::string_view target) {
    if (target.empty() || target.size() > MAX_TARGET_BYTES || target.front() != '/') return std::nullopt;
    target = target.substr(0, target.find_first_of("?#"));
    std::string relative;
    std::string segment;
    // Walk segments on the raw '/' only: an encoded %2F is never a separator (it is refused below).
    std::size_t pos = 1;
    while (true) {
        const std::size_t slash = target.find('/', pos);
        const std::string_view raw =
            target.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
        const bool last = slash == std::string_view::npos;
        segment.clear();
        for (std::size_t i = 0; i < raw.size(); ++i) {
            char c = raw[i];
            if (c == '%') {
                if (i + 2 >= raw.size()) return std::nullopt;
                const int high = hexValue(raw[i + 1]);
                const int low = hexValue(raw[i + 2]);
                if (high < 0 || low < 0) return std::nullopt;
                c = static_cast<char>(high * 16 + low);
                i += 2;
            }
            if (!segmentByteAllowed(static_cast<unsigned char>(c))) return std::nullopt;
            segment.push_back(c);
        }
        if (segment.empty()) {
            if (!last) return std::nullopt;  // "//etc/passwd", "/a//b"
            relative += "index.html";        // "/" or "/folder/"
            return relative;
        }
        // "." and ".." (decoded), and dot-files such as .git or .env.
        if (segment.front() == '.') return std::nullopt;
        relative += segment;
        if (last) return relative;
        relative += '/';
        pos = slash + 1;
    }
}

std::string_view contentTypeFor(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
        {".pdf", "application/pdf"},
    };
    for (const auto& [extension, type] : types) {
        if (extension == ext) return type;
    }
    return "application/octet-stream";
}

std::vector<std::pair<std::string, std::string>> securityHeaders(std::uint16_t port) {
    const std::string p = std::to_string(port);
    // connect-src names our wss origins explicitly: older browsers do not let 'self' cover wss:. A CSP
    // host-source cannot hold an IPv6 literal (Chrome logs "wss://[::1]:…" as invalid), so a page served
    // from https://[::1]:PORT relies on 'self', which CSP Level 3 browsers extend to wss: on the same host.
    std::string csp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' wss://127.0.0.1:" +
        p + " wss://localhost:" + p +
        "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    return {
        {"Content-Security-Policy", std::move(csp)},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        // The UI is upgraded with the daemon; a stale cached copy would talk an old protocol.
        {"Cache-Control", "no-store"},
    };
}

StaticSite::StaticSite(const std::filesystem::path& webRoot, std::uint16_t port, HealthHandler health)
    : port_(port), health_(std::move(health)) {
    std::error_code ec;
    root_ = std::filesystem::canonical(webRoot, ec);
    if (ec || !std::filesystem::is_directory(root_, ec)) {
        spdlog::error("web root '{}' is not a readable folder; the UI will answer 404", webRoot.string());
        root_.clear();
    }
}

HttpReply StaticSite::reply(unsigned status, std::string body, std::string_view contentType,
                            bool head) const {
    HttpReply out;
    out.status = status;
    out.headers = securityHeaders(port_);
    out.headers.emplace_back("Content-Type", std::string(contentType));
    out.contentLength = body.size();
    if (!head) out.body = std::move(body);
    return out;
}

HttpReply StaticSite::handle(std::string_view method, std::string_view target, std::string_view origin,
                             std::string_view referer) const {
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
        HttpReply out = reply(405, "method not allowed\n", "text/plain; charset=utf-8", false);
        out.headers.emplace_back("Allow", "GET, HEAD");
        return out;
    }
    try {
        const std::string_view path = target.substr(0, target.find_first_of("?#"));
        if (path == "/health") {
            nlohmann::json body = health_ ? health_(origin, referer) : nlohmann::json::object();
            return reply(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                         "application/json", head);
        }
        auto relative = sanitiseTarget(target);
        if (!relative) {
            spdlog::info("http: refused target ({} bytes)", target.size());
            return reply(400, "bad request\n", "text/plain; charset=utf-8", head);
        }
        if (root_.empty()) return reply(404, "not found\n", "text/plain; charset=utf-8", head);
        std::error_code ec;
        const std::filesystem::path file = std::filesystem::weakly_canonical(root_ / *relative, ec);
        if (ec || !isUnder(file, root_)) {
            spdlog::warn("http: '{}' resolves outside the web root", *relative);
            return reply(404, "not found\n", "text/plain; charset=utf-8", head);
        }
        const auto status = std::filesystem::status(file, ec);
        if (ec || !std::filesystem::is_regular_file(status)) {
            return reply(404, "not found\n", "text/plain; charset=utf-8", head);
        }
        const auto size = std::filesystem::file_size(file, ec);
        if (ec || size > MAX_FILE_BYTES) return reply(404, "not found\n", "text/plain; charset=utf-8", head);
        std::string body(static_cast<std::size_t>(size), '\0');
        std::ifstream in(file, std::ios::binary);
        if (!in.read(body.data(), static_cast<std::streamsize>(body.size())))
            return reply(404, "not found\n", "text/plain; charset=utf-8", head);
        return reply(200, std::move(body), contentTypeFor(file), head);
    } catch (const std::exception& e) {
        spdlog::error("http: {}", e.what());
        return reply(500, "internal error\n", "text/plain; charset=utf-8", head);
    }
}

}  // namespace cardbridge::daemon
