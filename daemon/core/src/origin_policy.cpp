// Origin allowlist and capabilities per origin; Host check against DNS rebinding.
#include "cardbridge/daemon/core/origin_policy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace cardbridge::daemon {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool isHostChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::optional<std::string> normaliseOrigin(std::string_view origin) {
    std::string text = lower(origin);
    while (!text.empty() && text.back() == '/') text.pop_back();
    std::string_view rest = text;
    std::string_view scheme;
    if (rest.starts_with("https://")) {
        scheme = "https";
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        scheme = "http";
        rest.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    std::string_view host;
    std::string_view port;
    if (rest.starts_with('[')) {  // IPv6 literal
        auto close = rest.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = rest.substr(0, close + 1);
        if (host.size() < 3 || !std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
            }))
            return std::nullopt;
        rest.remove_prefix(close + 1);
    } else {
        auto colon = rest.find(':');
        host = rest.substr(0, colon);
        if (host.empty() || !std::all_of(host.begin(), host.end(), isHostChar)) return std::nullopt;
        rest.remove_prefix(host.size());
    }
    if (!rest.empty()) {
        if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
        port = rest.substr(1);
        if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        if (std::stoul(std::string(port)) > 65535) return std::nullopt;
        if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) port = {};
    }
    std::string out(scheme);
    out += "://";
    out += host;
    if (!port.empty()) {
        out += ':';
        out += port;
    }
    return out;
}

OriginPolicy::OriginPolicy(const std::vector<PlatformOrigin>& platformOrigins, std::uint16_t port)
    : port_(port) {
    const std::string suffix = ":" + std::to_string(port);
    for (const char* host : {"127.0.0.1", "localhost", "[::1]"}) {
        ownHosts_.push_back(host + suffix);
        ownOrigins_.push_back("https://" + ownHosts_.back());
    }
    for (const auto& platform : platformOrigins) {
        auto normalised = normaliseOrigin(platform.origin);
        if (!normalised) {
            spdlog::warn("ignoring platform origin '{}': not scheme://host[:port]", platform.origin);
            continue;
        }
        platforms_.push_back({std::move(*normalised), platform.allowSecrets});
    }
}

std::optional<OriginGrant> OriginPolicy::grantFor(std::string_view origin) const {
    // Browsers send the serialised origin already normalised; anything needing more than that is
    // not a browser we serve, so compare the header as sent (lowercased only).
    const std::string text = lower(origin);
    if (std::find(ownOrigins_.begin(), ownOrigins_.end(), text) != ownOrigins_.end())
        return OriginGrant{allCapabilities(), true};
    for (const auto& platform : platforms_) {
        if (platform.origin != text) continue;
        OriginGrant grant;
        grant.capabilities.add(Capability::Read).add(Capability::StartUnlock);
        if (platform.allowSecrets) grant.capabilities.add(Capability::Secrets);
        return grant;
    }
    return std::nullopt;
}

bool OriginPolicy::hostAllowed(std::string_view host) const {
    const std::string text = lower(host);
    return std::find(ownHosts_.begin(), ownHosts_.end(), text) != ownHosts_.end();
}

std::vector<std::string> capabilityNames(const Capabilities& capabilities) {
    std::vector<std::string> names;
    if (capabilities.has(Capability::Read)) names.emplace_back("read");
    if (capabilities.has(Capability::StartUnlock)) names.emplace_back("startUnlock");
    if (capabilities.has(Capability::Secrets)) names.emplace_back("secrets");
    return names;
}

Capabilities allCapabilities() noexcept {
    Capabilities all;
    all.add(Capability::Read).add(Capability::StartUnlock).add(Capability::Secrets);
    return all;
}

}  // namespace cardbridge::daemon
