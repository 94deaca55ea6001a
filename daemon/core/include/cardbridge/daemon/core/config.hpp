// cardbridged's configuration: a JSON file with defaults that work untouched (docs/config.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::daemon {

/// One platform origin allowed to connect, e.g. "https://www.szyxhc.com" (scheme://host[:port]).
struct PlatformOrigin {
    std::string origin;
    bool allowSecrets = false;  ///< may call PIN/PUK/code methods itself (off by default)
};

/// Bounds that keep one client from hurting the others.
struct Limits {
    std::size_t maxFrameBytes = 64 * 1024;
    unsigned maxJsonDepth = 16;
    unsigned maxConnectionsPerOrigin = 16;  ///< WebSocket sessions per (normalised) origin
    unsigned maxConnections = 64;           ///< every open TCP connection (HTTPS and WebSocket) together
    unsigned maxHandshakes = 16;         ///< connections not yet through their TLS + first request / upgrade
    unsigned maxRequestsPerSecond = 50;  ///< per connection
    unsigned maxPendingRequests = 8;     ///< per connection
    unsigned idleTimeoutSeconds = 300;
    unsigned handshakeTimeoutSeconds = 10;
};

/// Settings for development only: each weakens a protection, and each defaults to off.
struct DevelopmentConfig {
    /// Accept `http://` loopback platform origins (a portal served over plain HTTP on this machine).
    /// Without it such entries are refused with a config problem.
    bool allowHttpLoopbackOrigins = false;
};

/// Where and how the daemon reaches cardbridge-authority (the unlock flow). Empty `url`: not configured.
struct AuthorityConfig {
    std::string url;                      ///< "https://host[:port][/base]"; https only
    std::filesystem::path caFile;         ///< PEM: the only roots trusted for the authority
    std::filesystem::path tokenFile;      ///< owner-only file holding the installation's bearer token
    unsigned connectTimeoutSeconds = 10;  ///< TCP connect + TLS handshake, per attempt
    unsigned requestTimeoutSeconds = 30;  ///< writing the request and reading the response, per attempt
    unsigned retries = 2;                 ///< extra attempts for calls that are safe to repeat
    unsigned pollSeconds = 30;            ///< first delay and shortest interval of review-status polling
    std::string offlineUrl;  ///< the platform's page on the offline unlock procedure (CERT_EXPIRED), optional
};

/// The parts of an https:// URL the authority client needs.
struct HttpsUrl {
    std::string host;  ///< DNS name (lower case) or IP literal (IPv6 without brackets)
    std::uint16_t port = 443;
    std::string basePath;  ///< "" or "/prefix" (no trailing '/'), put before "/v1/..."
};

/// Parses "https://host[:port][/path]": https only, no user info, query or fragment, a valid host and a
/// port in 1-65535. On failure returns nullopt and sets `problem` (e.g. "must start with https://").
std::optional<HttpsUrl> parseHttpsUrl(std::string_view text, std::string& problem);

/// Everything configurable. Paths are resolved (absolute) after loading.
struct DaemonConfig {
    std::vector<std::uint16_t> ports{23443, 23444, 23445};  ///< tried in order; loopback only
    std::vector<PlatformOrigin> platformOrigins;
    Limits limits;
    std::filesystem::path stateDir;  ///< TLS files, journal; default $XDG_STATE_HOME/cardbridge
    std::filesystem::path webRoot;   ///< bundled web UI; default: the installed webui/ folder
    std::string logLevel = "info";
    std::filesystem::path logFile;  ///< default stateDir/cardbridged.log (rotating)
    std::size_t logFileMaxBytes = 5 * 1024 * 1024;
    std::size_t logFileCount = 3;
    bool logToConsole = true;       ///< also log to stderr (journald picks it up under systemd)
    AuthorityConfig authority;      ///< the unlock flow's authority (docs/config.md, "authority")
    DevelopmentConfig development;  ///< development-only switches (docs/config.md, "development")
};

/// Where the daemon looks for things when nothing says otherwise (XDG Base Directory).
struct DefaultPaths {
    std::filesystem::path configFile;  ///< $XDG_CONFIG_HOME/cardbridge/cardbridged.json
    std::filesystem::path stateDir;    ///< $XDG_STATE_HOME/cardbridge
};

/// Reads one environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

/// XDG paths from `env` (default: the process environment). Unset, empty or relative XDG_* values fall
/// back to $HOME/.config and $HOME/.local/state; without HOME, the passwd entry's home. On Windows the
/// known folders instead (`env` unused; docs/windows.md, "Folders"). Never throws.
DefaultPaths defaultPaths(const EnvLookup& env = {});

/// A loaded configuration and what was wrong with the file. Every problem left its default in place.
struct ConfigLoad {
    DaemonConfig config;
    std::vector<std::string> problems;  ///< one line each, e.g. "ports[1]: 80 is outside 1024-65535"
    bool fileFound = false;             ///< false: the file does not exist and defaults apply
};

/// Loads `path` (JSON object, keys in docs/config.md). A missing file gives the defaults and no problem;
/// unreadable or malformed JSON, unknown keys, wrong types and out-of-range values are listed in
/// `problems` and replaced by defaults. Relative paths in the file are resolved against its folder;
/// stateDir and logFile default from `defaults`. Never throws for file contents.
ConfigLoad loadConfig(const std::filesystem::path& path, const DefaultPaths& defaults);
/// loadConfig(path, defaultPaths()).
ConfigLoad loadConfig(const std::filesystem::path& path);

/// Checks one origin: lower-case "https://host[:port]" or "http://host[:port]" (http only for loopback
/// names), no path, query, user info or wildcard. Returns the problem, or "" when acceptable.
std::string originProblem(const std::string& origin);

}  // namespace cardbridge::daemon
