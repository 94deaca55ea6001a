// The bundled web UI over HTTPS: a pure request → reply function and its path rules. No Beast here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardbridge::daemon {

/// An HTTP reply before serialisation.
struct HttpReply {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  ///< Content-Type, security headers, …
    std::string body;                                          ///< empty for HEAD (Content-Length kept)
    std::size_t contentLength = 0;                             ///< body size (also for HEAD)
};

/// Turns a request target ("/css/app.css?v=2") into a relative path below the web root ("css/app.css";
/// "/" and names ending in "/" get "index.html"). nullopt for anything that could leave the root or is
/// odd: "..", "." or empty segments ("//etc/passwd"), percent-encoded dots, slashes or backslashes that
/// decode to them, backslashes, NUL and control bytes, ':' (drive letters), names starting with '.',
/// bad %-escapes, and targets not starting with '/' (absolute-form URLs). Pure.
std::optional<std::string> sanitiseTarget(std::string_view target);

/// Content-Type for a file name by extension (text types with charset=utf-8); application/octet-stream
/// when unknown. Pure.
std::string_view contentTypeFor(const std::filesystem::path& file);

/// Headers on every reply: Content-Security-Policy (frame-ancestors 'none', connect-src to our own wss
/// origins), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, X-Frame-Options, Cache-Control.
std::vector<std::pair<std::string, std::string>> securityHeaders(std::uint16_t port);

/// GET /health's body for a request with these Origin and Referer headers ("" when absent).
using HealthHandler = std::function<nlohmann::json(std::string_view origin, std::string_view referer)>;

/// Serves files below `webRoot` and GET /health. Thread-safe (no state besides the options).
class StaticSite {
  public:
    /// `webRoot` is canonicalised now; a missing root serves 404s (logged). `health` may be empty.
    StaticSite(const std::filesystem::path& webRoot, std::uint16_t port, HealthHandler health);

    /// Answers one request (the Host header is checked by the caller). GET and HEAD only (405 otherwise);
    /// 400 for refused targets, 404 for missing files and folders (no listing), 200 with the file.
    /// Symlinks are followed only when the canonical result stays under the root. Never throws.
    /// `origin` and `referer` are the request's headers, passed to the health handler.
    [[nodiscard]] HttpReply handle(std::string_view method, std::string_view target,
                                   std::string_view origin = {}, std::string_view referer = {}) const;

  private:
    HttpReply reply(unsigned status, std::string body, std::string_view contentType, bool head) const;
    std::filesystem::path root_;  // canonical; empty when the root is missing
    std::uint16_t port_;
    HealthHandler health_;
};

}  // namespace cardbridge::daemon
