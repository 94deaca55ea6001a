// The HTTP layer's config keys; the service's keys go to authority/core's loader.
#include "cardbridge/authority/http/serve_config.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "cardbridge/common/error.hpp"

namespace cardbridge::authority::http {

namespace {

using nlohmann::json;

const json* section(const json& root, const char* name) {
    const auto it = root.find(name);
    if (it == root.end()) return nullptr;
    if (!it->is_object()) throw InputError(std::string("config: '") + name + "' must be an object");
    return &*it;
}

template <class T>
T value(const json& object, const char* section, const char* key, T fallback) {
    const auto it = object.find(key);
    if (it == object.end()) return fallback;
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw InputError(std::string("config: '") + section + "." + key + "' has the wrong type");
    }
}

std::filesystem::path pathValue(const json& object, const char* sectionName, const char* key,
                                const std::filesystem::path& baseDir) {
    const std::string text = value<std::string>(object, sectionName, key, "");
    if (text.empty()) return {};
    const std::filesystem::path p(text);
    return p.is_absolute() ? p : baseDir / p;
}

void checkKeys(const json& object, const char* sectionName, std::initializer_list<std::string_view> known,
               std::vector<std::string>& warnings) {
    for (const auto& [key, unused] : object.items()) {
        bool found = false;
        for (auto k : known) found = found || k == key;
        if (!found) warnings.push_back("unknown key '" + std::string(sectionName) + "." + key + "'");
    }
}

}  // namespace

std::vector<std::string> loadTokenFile(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) throw InputError("cannot read the API token file " + path.string());
    if ((info.st_mode & 077) != 0) {
        throw InputError("the API token file " + path.string() + " must not be readable by group or others");
    }
    std::ifstream in(path);
    std::vector<std::string> tokens;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        tokens.push_back(line);
    }
    if (tokens.empty()) throw InputError("the API token file " + path.string() + " holds no token");
    return tokens;
}

ServeConfig parseServeConfig(const std::string& jsonText, const std::filesystem::path& baseDir) {
    json root;
    try {
        root = json::parse(jsonText);
    } catch (const json::exception& e) {
        throw InputError(std::string("config: malformed JSON: ") + e.what());
    }
    if (!root.is_object()) throw InputError("config: the top level must be an object");
    ServeConfig config;
    LoadedAuthorityConfig loaded =
        parseAuthorityConfigJson(root, baseDir, {"listen", "tls", "api", "review", "log"});
    config.authority = std::move(loaded.config);
    config.warnings = std::move(loaded.warnings);

    if (const json* listen = section(root, "listen")) {
        checkKeys(*listen, "listen",
                  {"address", "port", "threads", "workers", "maxConnections", "maxPendingRequests",
                   "trustedProxies"},
                  config.warnings);
        config.server.address = value<std::string>(*listen, "listen", "address", config.server.address);
        const int port = value<int>(*listen, "listen", "port", config.server.port);
        if (port < 0 || port > 65535) throw InputError("config: 'listen.port' out of range");
        config.server.port = static_cast<std::uint16_t>(port);
        const int threads = value<int>(*listen, "listen", "threads", 2);
        const int workers = value<int>(*listen, "listen", "workers", 4);
        if (threads < 1 || threads > 64 || workers < 1 || workers > 64) {
            throw InputError("config: 'listen.threads' and 'listen.workers' must be 1..64");
        }
        config.networkThreads = static_cast<unsigned>(threads);
        config.server.workers = static_cast<unsigned>(workers);
        const int connections = value<int>(*listen, "listen", "maxConnections", 512);
        const int pending = value<int>(*listen, "listen", "maxPendingRequests", 64);
        if (connections < 1 || connections > 100000 || pending < 1 || pending > 100000) {
            throw InputError(
                "config: 'listen.maxConnections' and 'listen.maxPendingRequests' must be 1..100000");
        }
        config.server.maxConnections = static_cast<unsigned>(connections);
        config.server.maxPendingRequests = static_cast<unsigned>(pending);
        config.server.trustedProxies =
            value<std::vector<std::string>>(*listen, "listen", "trustedProxies", std::vector<std::string>{});
        for (const auto& proxy : config.server.trustedProxies) {
            in6_addr v6{};
            in_addr v4{};
            if (::inet_pton(AF_INET, proxy.c_str(), &v4) != 1 &&
                ::inet_pton(AF_INET6, proxy.c_str(), &v6) != 1) {
                throw InputError("config: 'listen.trustedProxies' holds '" + proxy.substr(0, 64) +
                                 "', which is not an IP address");
            }
        }
    }
    const json* tls = section(root, "tls");
    if (!tls) throw InputError("config: 'tls' (certificateChain, privateKey) is required");
    checkKeys(*tls, "tls", {"certificateChain", "privateKey"}, config.warnings);
    config.server.certChainPem = pathValue(*tls, "tls", "certificateChain", baseDir);
    config.server.keyPem = pathValue(*tls, "tls", "privateKey", baseDir);
    if (config.server.certChainPem.empty() || config.server.keyPem.empty()) {
        throw InputError("config: 'tls.certificateChain' and 'tls.privateKey' are required");
    }
    config.api.createMinimumDuration = std::chrono::milliseconds(config.authority.uniformTimingMillis);
    if (const json* api = section(root, "api")) {
        checkKeys(*api, "api", {"tokenFile"}, config.warnings);
        const auto tokenFile = pathValue(*api, "api", "tokenFile", baseDir);
        if (!tokenFile.empty()) config.api.bearerTokens = loadTokenFile(tokenFile);
        config.apiTokenFile = tokenFile;
    }
    if (const json* review = section(root, "review")) {
        checkKeys(*review, "review", {"sessionMinutes", "idleMinutes", "loginAttemptsPerWindow"},
                  config.warnings);
        const int minutes = value<int>(*review, "review", "sessionMinutes", 480);
        const int idle = value<int>(*review, "review", "idleMinutes", 30);
        if (idle < 1 || idle > minutes)
            throw InputError("config: 'review.idleMinutes' must be 1..sessionMinutes");
        config.authority.reviewerSessions.idleTimeout = std::chrono::minutes(idle);
        const int attempts = value<int>(*review, "review", "loginAttemptsPerWindow", 10);
        if (minutes < 5 || minutes > 24 * 60 || attempts < 1 || attempts > 1000) {
            throw InputError(
                "config: 'review.sessionMinutes' must be 5..1440, 'loginAttemptsPerWindow' 1..1000");
        }
        config.authority.reviewerSessions.sessionLifetime = std::chrono::minutes(minutes);
        config.authority.reviewerSessions.loginAttemptsPerWindow = attempts;
    }
    config.log.name = "cardbridge-authority";
    config.log.file = config.authority.dataDir / "authority.log";
    if (const json* log = section(root, "log")) {
        checkKeys(*log, "log", {"level", "file", "maxBytes", "count", "console"}, config.warnings);
        config.log.level = value<std::string>(*log, "log", "level", config.log.level);
        if (log->contains("file")) config.log.file = pathValue(*log, "log", "file", baseDir);
        config.log.fileMaxBytes = value<std::size_t>(*log, "log", "maxBytes", config.log.fileMaxBytes);
        config.log.fileCount = value<std::size_t>(*log, "log", "count", config.log.fileCount);
        config.log.console = value<bool>(*log, "log", "console", config.log.console);
    }
    return config;
}

void checkServePolicy(const ServeConfig& config, bool dev) {
    if (dev) return;
    if (config.api.bearerTokens.empty()) {
        throw InputError(
            "no api.tokenFile: /v1 would accept any client. Configure one token per daemon installation, or "
            "start with --dev for a demo on this machine");
    }
    if (config.authority.sms.kind == "outbox") {
        throw InputError(
            "sms.kind \"outbox\" writes codes and phone numbers to a file in clear: only with --dev. "
            "Configure "
            "sms.kind \"webhook\" with an https:// webhookUrl");
    }
}

ServeConfig loadServeConfig(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FatalError("cannot read the config file " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    return parseServeConfig(text.str(), std::filesystem::absolute(path).parent_path());
}

}  // namespace cardbridge::authority::http
