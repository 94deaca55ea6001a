// Loading cardbridged.json: every key checked, every problem listed, defaults kept where the file is wrong.
#include "cardbridge/daemon/core/config.hpp"

#ifndef _WIN32
#include <pwd.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>

#include "windows_folders.hpp"

namespace cardbridge::daemon {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Largest config file read; anything bigger is not a config file.
constexpr std::uintmax_t MAX_CONFIG_BYTES = 1024 * 1024;

#ifndef _WIN32
std::string envValue(const EnvLookup& env, const char* name) {
    const char* value = env ? env(name) : std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

fs::path homeDirectory(const EnvLookup& env) {
    std::string home = envValue(env, "HOME");
    if (!home.empty()) return home;
    // No HOME (some service managers): the passwd entry is the next best answer.
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* result = nullptr;
    if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &result) == 0 && result != nullptr &&
        result->pw_dir != nullptr) {
        return result->pw_dir;
    }
    return "/";
}

/// XDG says relative values are invalid and must be ignored.
fs::path xdgDirectory(const EnvLookup& env, const char* name, const fs::path& fallbackUnderHome) {
    fs::path value = envValue(env, name);
    if (!value.empty() && value.is_absolute()) return value;
    return homeDirectory(env) / fallbackUnderHome;
}
#endif

std::string typeName(const json& value) {
    return value.type_name();
}

/// Collects problems for one file; the helpers read one key each and keep the default on trouble.
class Reader {
  public:
    explicit Reader(std::vector<std::string>& problems) : problems_(problems) {}

    void problem(const std::string& key, const std::string& text) { problems_.push_back(key + ": " + text); }

    bool isType(const std::string& key, const json& value, json::value_t type, const char* expected) {
        const bool ok = value.type() == type;
        if (!ok) problem(key, std::string("expected ") + expected + ", got " + typeName(value));
        return ok;
    }

    template <typename T>
    void unsignedIn(const std::string& key, const json& value, T& target, std::uint64_t min,
                    std::uint64_t max) {
        if (!value.is_number_integer()) {
            problem(key, "expected an integer, got " + typeName(value));
            return;
        }
        if (value.is_number_unsigned() || value.get<std::int64_t>() >= 0) {
            const auto v = value.get<std::uint64_t>();
            if (v >= min && v <= max) {
                target = static_cast<T>(v);
                return;
            }
        }
        problem(key, value.dump() + " is outside " + std::to_string(min) + "-" + std::to_string(max));
    }

    void boolean(const std::string& key, const json& value, bool& target) {
        if (isType(key, value, json::value_t::boolean, "true or false")) target = value.get<bool>();
    }

    void path(const std::string& key, const json& value, fs::path& target, const fs::path& base) {
        if (!isType(key, value, json::value_t::string, "a string")) return;
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty()) {
            problem(key, "must not be empty");
            return;
        }
        fs::path p = text;
        if (p.is_relative()) p = base / p;
        target = p.lexically_normal();
    }

  private:
    std::vector<std::string>& problems_;
};

std::string toLower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return text;
}

/// Lower-cases, drops one trailing "/" and the scheme's default port, as browsers send Origin.
std::string normaliseOrigin(const std::string& origin) {
    std::string o = toLower(origin);
    if (o.size() > 1 && o.back() == '/') o.pop_back();
    if (o.starts_with("https://") && o.ends_with(":443")) o.resize(o.size() - 4);
    if (o.starts_with("http://") && o.ends_with(":80")) o.resize(o.size() - 3);
    return o;
}

bool isLoopbackHost(const std::string& host) {
    return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

void readPorts(Reader& r, const json& value, DaemonConfig& config) {
    if (!r.isType("ports", value, json::value_t::array, "an array of port numbers")) return;
    if (value.empty()) {
        r.problem("ports", "must list at least one port");
        return;
    }
    std::vector<std::uint16_t> ports;
    std::set<std::uint16_t> seen;
    bool ok = true;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string key = "ports[" + std::to_string(i) + "]";
        std::uint16_t port = 0;
        r.unsignedIn(key, value[i], port, 1024, 65535);
        if (port == 0) {
            ok = false;
        } else if (!seen.insert(port).second) {
            r.problem(key, std::to_string(port) + " is listed twice");
        } else {
            ports.push_back(port);
        }
    }
    if (ok && !ports.empty()) config.ports = std::move(ports);
}

void readOrigins(Reader& r, const json& value, DaemonConfig& config) {
    if (!r.isType("platformOrigins", value, json::value_t::array, "an array")) return;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string key = "platformOrigins[" + std::to_string(i) + "]";
        const json& item = value[i];
        PlatformOrigin origin;
        if (item.is_string()) {
            origin.origin = item.get<std::string>();
        } else if (item.is_object()) {
            bool good = true;
            for (const auto& [name, field] : item.items()) {
                if (name == "origin") {
                    good = r.isType(key + ".origin", field, json::value_t::string, "a string") && good;
                    if (field.is_string()) origin.origin = field.get<std::string>();
                } else if (name == "allowSecrets") {
                    good = r.isType(key + ".allowSecrets", field, json::value_t::boolean, "true or false") &&
                           good;
                    if (field.is_boolean()) origin.allowSecrets = field.get<bool>();
                } else {
                    r.problem(key, "unknown key '" + name + "'");
                }
            }
            if (!good) continue;
            if (!item.contains("origin")) {
                r.problem(key, "missing \"origin\"");
                continue;
            }
        } else {
            r.problem(key, "expected a string or an object, got " + typeName(item));
            continue;
        }
        origin.origin = normaliseOrigin(origin.origin);
        if (std::string why = originProblem(origin.origin); !why.empty()) {
            r.problem(key, "'" + origin.origin + "' " + why);
            continue;
        }
        const bool duplicate =
            std::any_of(config.platformOrigins.begin(), config.platformOrigins.end(),
                        [&](const PlatformOrigin& o) { return o.origin == origin.origin; });
        if (duplicate) {
            r.problem(key, "'" + origin.origin + "' is listed twice");
            continue;
        }
        config.platformOrigins.push_back(std::move(origin));
    }
}

void readLimits(Reader& r, const json& value, Limits& limits) {
    if (!r.isType("limits", value, json::value_t::object, "an object")) return;
    for (const auto& [name, field] : value.items()) {
        const std::string key = "limits." + name;
        if (name == "maxFrameBytes") {
            r.unsignedIn(key, field, limits.maxFrameBytes, 4096, 16 * 1024 * 1024);
        } else if (name == "maxJsonDepth") {
            r.unsignedIn(key, field, limits.maxJsonDepth, 4, 64);
        } else if (name == "maxConnectionsPerOrigin") {
            r.unsignedIn(key, field, limits.maxConnectionsPerOrigin, 1, 1024);
        } else if (name == "maxConnections") {
            r.unsignedIn(key, field, limits.maxConnections, 2, 4096);
        } else if (name == "maxHandshakes") {
            r.unsignedIn(key, field, limits.maxHandshakes, 1, 1024);
        } else if (name == "maxRequestsPerSecond") {
            r.unsignedIn(key, field, limits.maxRequestsPerSecond, 1, 10000);
        } else if (name == "maxPendingRequests") {
            r.unsignedIn(key, field, limits.maxPendingRequests, 1, 1024);
        } else if (name == "idleTimeoutSeconds") {
            r.unsignedIn(key, field, limits.idleTimeoutSeconds, 10, 86400);
        } else if (name == "handshakeTimeoutSeconds") {
            r.unsignedIn(key, field, limits.handshakeTimeoutSeconds, 1, 300);
        } else {
            r.problem("limits", "unknown key '" + name + "'");
        }
    }
}

void readLogLevel(Reader& r, const json& value, std::string& level) {
    static const std::set<std::string> LEVELS{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!r.isType("logLevel", value, json::value_t::string, "a string")) return;
    const std::string v = toLower(value.get<std::string>());
    if (LEVELS.count(v) == 0) {
        r.problem("logLevel", "'" + value.get<std::string>() +
                                  "' is not one of trace, debug, info, warn, error, "
                                  "critical, off");
        return;
    }
    level = v;
}

void readAuthority(Reader& r, const json& value, AuthorityConfig& authority, const fs::path& base) {
    if (!r.isType("authority", value, json::value_t::object, "an object")) return;
    for (const auto& [name, field] : value.items()) {
        const std::string key = "authority." + name;
        if (name == "url") {
            if (!r.isType(key, field, json::value_t::string, "a string")) continue;
            std::string why;
            if (!parseHttpsUrl(field.get<std::string>(), why)) {
                r.problem(key, "'" + field.get<std::string>() + "' " + why);
                continue;
            }
            authority.url = field.get<std::string>();
        } else if (name == "caFile") {
            r.path(key, field, authority.caFile, base);
        } else if (name == "tokenFile") {
            r.path(key, field, authority.tokenFile, base);
        } else if (name == "connectTimeoutSeconds") {
            r.unsignedIn(key, field, authority.connectTimeoutSeconds, 1, 120);
        } else if (name == "requestTimeoutSeconds") {
            r.unsignedIn(key, field, authority.requestTimeoutSeconds, 1, 600);
        } else if (name == "retries") {
            r.unsignedIn(key, field, authority.retries, 0, 10);
        } else if (name == "offlineUrl") {
            std::string problem;
            if (!field.is_string() || !parseHttpsUrl(field.get<std::string>(), problem)) {
                r.problem(key, "must be an https:// URL");
            } else {
                authority.offlineUrl = field.get<std::string>();
            }
        } else if (name == "pollSeconds") {
            r.unsignedIn(key, field, authority.pollSeconds, 1, 3600);
        } else {
            r.problem("authority", "unknown key '" + name + "'");
        }
    }
    // A URL without its CA is useless: the client trusts nothing else.
    if (!authority.url.empty() && authority.caFile.empty()) {
        r.problem("authority.caFile", "is required with authority.url");
    }
    if (!authority.url.empty() && authority.tokenFile.empty()) {
        r.problem("authority.tokenFile", "is required with authority.url");
    }
}

void readDevelopment(Reader& r, const json& value, DevelopmentConfig& development) {
    if (!r.isType("development", value, json::value_t::object, "an object")) return;
    for (const auto& [name, field] : value.items()) {
        if (name == "allowHttpLoopbackOrigins") {
            r.boolean("development." + name, field, development.allowHttpLoopbackOrigins);
        } else {
            r.problem("development", "unknown key '" + name + "'");
        }
    }
}

// http:// platform origins only with the development switch, whatever order the keys came in: a page
// served over plain HTTP can be altered by anything on the path, and it would drive the card.
void dropInsecureOrigins(Reader& r, DaemonConfig& config) {
    if (config.development.allowHttpLoopbackOrigins) return;
    auto& origins = config.platformOrigins;
    for (auto it = origins.begin(); it != origins.end();) {
        if (it->origin.starts_with("http://")) {
            r.problem("platformOrigins",
                      "'" + it->origin +
                          "' is http://: allowed only with "
                          "\"development\": {\"allowHttpLoopbackOrigins\": true} (development only)");
            it = origins.erase(it);
        } else {
            ++it;
        }
    }
}

void applyObject(Reader& r, const json& root, DaemonConfig& config, const fs::path& base) {
    for (const auto& [name, value] : root.items()) {
        if (name == "ports") {
            readPorts(r, value, config);
        } else if (name == "platformOrigins") {
            readOrigins(r, value, config);
        } else if (name == "limits") {
            readLimits(r, value, config.limits);
        } else if (name == "stateDir") {
            r.path(name, value, config.stateDir, base);
        } else if (name == "webRoot") {
            r.path(name, value, config.webRoot, base);
        } else if (name == "logLevel") {
            readLogLevel(r, value, config.logLevel);
        } else if (name == "logFile") {
            r.path(name, value, config.logFile, base);
        } else if (name == "logFileMaxBytes") {
            r.unsignedIn(name, value, config.logFileMaxBytes, 64 * 1024, 1024ULL * 1024 * 1024);
        } else if (name == "logFileCount") {
            r.unsignedIn(name, value, config.logFileCount, 1, 50);
        } else if (name == "logToConsole") {
            r.boolean(name, value, config.logToConsole);
        } else if (name == "authority") {
            readAuthority(r, value, config.authority, base);
        } else if (name == "development") {
            readDevelopment(r, value, config.development);
        } else if (name.starts_with("_") || name == "$schema") {
            // "_comment" and friends: JSON has no comments, so allow a documented escape hatch.
        } else {
            r.problem(name, "unknown key");
        }
    }
}

}  // namespace

DefaultPaths defaultPaths(const EnvLookup& env) {
#ifdef _WIN32
    // Known folders, not environment variables (docs/windows.md, "Folders").
    (void)env;
    return windowsDefaultPaths();
#else
    DefaultPaths paths;
    paths.configFile = xdgDirectory(env, "XDG_CONFIG_HOME", ".config") / "cardbridge" / "cardbridged.json";
    paths.stateDir = xdgDirectory(env, "XDG_STATE_HOME", fs::path(".local") / "state") / "cardbridge";
    return paths;
#endif
}

std::string originProblem(const std::string& origin) {
    std::string rest;
    bool https = false;
    if (origin.starts_with("https://")) {
        https = true;
        rest = origin.substr(8);
    } else if (origin.starts_with("http://")) {
        rest = origin.substr(7);
    } else {
        return "must start with https:// (or http:// for a loopback name)";
    }
    if (rest.empty()) return "has no host";
    if (rest.find_first_of("/?#@\\ ") != std::string::npos) return "must be scheme://host[:port] only";
    if (rest.find('*') != std::string::npos) return "must not contain a wildcard";
    std::string host = rest;
    std::string port;
    if (rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) return "has an unterminated IPv6 address";
        host = rest.substr(0, close + 1);
        const std::string tail = rest.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') return "has garbage after the IPv6 address";
            port = tail.substr(1);
            if (port.empty()) return "has an empty port";
        }
    } else if (const auto colon = rest.find(':'); colon != std::string::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (host.empty()) return "has no host";
        if (port.empty()) return "has an empty port";
    }
    if (host.front() != '[') {
        for (char c : host) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
            if (!ok) return "has an invalid host name (lower-case letters, digits, '-' and '.')";
        }
        if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string::npos) {
            return "has an invalid host name";
        }
    }
    if (!https && !isLoopbackHost(host)) return "must use https:// (http:// only for loopback names)";
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
            return "has a bad port";
        const unsigned long n = std::stoul(port);
        if (n == 0 || n > 65535) return "has a port outside 1-65535";
    }
    return {};
}

std::optional<HttpsUrl> parseHttpsUrl(std::string_view text, std::string& problem) {
    constexpr std::string_view SCHEME = "https://";
    if (!text.starts_with(SCHEME)) {
        problem = "must start with https://";
        return std::nullopt;
    }
    std::string_view rest = text.substr(SCHEME.size());
    if (rest.find_first_of("?#@\\ \t\r\n") != std::string_view::npos) {
        problem = "must be https://host[:port][/path] (no user info, query, fragment or spaces)";
        return std::nullopt;
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    HttpsUrl url;
    url.basePath = std::string(path);
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            problem = "has an unterminated IPv6 address";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        const std::string_view tail = authority.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') {
                problem = "has garbage after the IPv6 address";
                return std::nullopt;
            }
            port = tail.substr(1);
            if (port.empty()) {
                problem = "has an empty port";
                return std::nullopt;
            }
        }
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            problem = "has an invalid IPv6 address";
            return std::nullopt;
        }
        url.host = toLower(std::string(host));
    } else {
        if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            if (port.empty()) {
                problem = "has an empty port";
                return std::nullopt;
            }
        }
        if (host.empty()) {
            problem = "has no host";
            return std::nullopt;
        }
        url.host = toLower(std::string(host));
        for (char c : url.host) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
            if (!ok) {
                problem = "has an invalid host name (letters, digits, '-' and '.')";
                return std::nullopt;
            }
        }
        if (url.host.front() == '.' || url.host.back() == '.' || url.host.find("..") != std::string::npos) {
            problem = "has an invalid host name";
            return std::nullopt;
        }
    }
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
            problem = "has a bad port";
            return std::nullopt;
        }
        const unsigned long n = std::stoul(std::string(port));
        if (n == 0 || n > 65535) {
            problem = "has a port outside 1-65535";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(n);
    }
    problem.clear();
    return url;
}

ConfigLoad loadConfig(const fs::path& path, const DefaultPaths& defaults) {
    ConfigLoad load;
    Reader r(load.problems);
    const fs::path base = path.has_parent_path() ? fs::absolute(path).parent_path() : fs::current_path();

    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    if (exists) {
        load.fileFound = true;
        const auto size = fs::file_size(path, ec);
        if (ec) {
            r.problem(path.string(), "cannot be read: " + ec.message());
        } else if (size > MAX_CONFIG_BYTES) {
            r.problem(path.string(), "is larger than 1 MiB; ignored");
        } else {
            std::ifstream in(path, std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            if (!in) {
                r.problem(path.string(), "cannot be read");
            } else {
                // Comments are not JSON; strict parsing keeps one meaning for every file.
                json root;
                bool parsed = false;
                try {
                    root = json::parse(text.str());
                    parsed = true;
                } catch (const json::exception& e) {
                    // parse_error, and out_of_range for a number too large for a double (found by fuzzing)
                    r.problem(path.string(), std::string("is not valid JSON (") + e.what() + ")");
                }
                if (!parsed) {
                    // problem already listed
                } else if (!root.is_object()) {
                    r.problem(path.string(), "must hold a JSON object, got " + typeName(root));
                } else {
                    applyObject(r, root, load.config, base);
                    dropInsecureOrigins(r, load.config);
                }
            }
        }
    } else if (ec) {
        r.problem(path.string(), "cannot be checked: " + ec.message());
    }

    if (load.config.stateDir.empty()) load.config.stateDir = defaults.stateDir;
    if (load.config.logFile.empty()) load.config.logFile = load.config.stateDir / "cardbridged.log";
    return load;
}

ConfigLoad loadConfig(const fs::path& path) {
    return loadConfig(path, defaultPaths());
}

}  // namespace cardbridge::daemon
