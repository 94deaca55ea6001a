// Small helpers of the plain request/response values.
#include "cardbridge/authority/http/http_types.hpp"

namespace cardbridge::authority::http {

namespace {
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

}  // namespace cardbridge::authority::http
