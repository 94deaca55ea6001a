// Small helpers of the plain request/response values.
#include "cardbridge/authority/http/http_types.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace cardbridge::authority::http {

namespace {

// The address in canonical text ("::ffff:a.b.c.d" as "a.b.c.d"), or nullopt when it is not one.
std::optional<std::string> canonicalAddress(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    const std::string s(text);
    std::array<unsigned char, 16> bytes{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    if (::inet_pton(AF_INET, s.c_str(), bytes.data()) == 1) {
        ::inet_ntop(AF_INET, bytes.data(), out.data(), out.size());
        return std::string(out.data());
    }
    if (::inet_pton(AF_INET6, s.c_str(), bytes.data()) != 1) return std::nullopt;
    const bool mapped =
        std::all_of(bytes.begin(), bytes.begin() + 10, [](unsigned char b) { return b == 0; }) &&
        bytes[10] == 0xff && bytes[11] == 0xff;
    if (mapped) {
        ::inet_ntop(AF_INET, bytes.data() + 12, out.data(), out.size());
    } else {
        ::inet_ntop(AF_INET6, bytes.data(), out.data(), out.size());
    }
    return std::string(out.data());
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string headerIn(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (equalsIgnoreCase(key, name)) return value;
    }
    return {};
}
}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string mediaType(std::string_view contentType) {
    std::string_view type = contentType.substr(0, contentType.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    std::string out;
    out.reserve(type.size());
    for (char c : type) out.push_back(lower(c));
    return out;
}

std::string HttpRequest::header(std::string_view name) const {
    return headerIn(headers, name);
}

std::string_view HttpRequest::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

void HttpResponse::set(std::string_view name, std::string value) {
    for (auto& [key, existing] : headers) {
        if (equalsIgnoreCase(key, name)) {
            existing = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::string(name), std::move(value));
}

void HttpResponse::add(std::string_view name, std::string value) {
    headers.emplace_back(std::string(name), std::move(value));
}

std::string HttpResponse::header(std::string_view name) const {
    return headerIn(headers, name);
}

std::string clientAddressFor(std::string_view peer, const std::vector<std::string>& forwardedFor,
                             const std::vector<std::string>& trustedProxies) {
    std::string current = canonicalAddress(peer).value_or(std::string(peer));
    auto trusted = [&](const std::string& address) {
        return std::any_of(trustedProxies.begin(), trustedProxies.end(),
                           [&](const std::string& proxy) { return canonicalAddress(proxy) == address; });
    };
    if (!trusted(current)) return current;
    std::vector<std::string_view> hops;
    for (const auto& value : forwardedFor) {
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            hops.push_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        const auto address = canonicalAddress(*hop);
        if (!address) return current;  // a forged or broken entry: trust nothing left of it
        current = *address;
        if (!trusted(current)) return current;
    }
    return current;
}

HttpResponse RequestHandler::overloaded(std::string_view, std::string_view) const noexcept {
    HttpResponse response;
    response.status = 503;
    response.headers = {{"Content-Type", "application/json; charset=utf-8"},
                        {"Cache-Control", "no-store"},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Retry-After", "1"}};
    response.body = R"({"error":{"reason":"UNAVAILABLE","message":"busy; try again shortly"}})";
    return response;
}

}  // namespace cardbridge::authority::http
