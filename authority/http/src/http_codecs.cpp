// Path, form, cookie, id and JSON codecs shared by the API router and the reviewers' pages.
#include "cardbridge/authority/http/http_codecs.hpp"

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::authority::http {

std::vector<std::string_view> splitPath(std::string_view path) {
    if (path.starts_with('/')) path.remove_prefix(1);
    std::vector<std::string_view> out;
    for (;;) {
        const std::size_t at = path.find('/');
        out.push_back(path.substr(0, at));
        if (at == std::string_view::npos) return out;
        path.remove_prefix(at + 1);
    }
}

std::optional<std::string> formDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hexDigitValue(text[i + 1]);
            const int lo = hexDigitValue(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::optional<std::map<std::string, std::string>> parseForm(std::string_view body) {
    std::map<std::string, std::string> fields;
    std::size_t start = 0;
    while (start <= body.size() && !body.empty()) {
        std::size_t end = body.find('&', start);
        if (end == std::string_view::npos) end = body.size();
        const std::string_view pair = body.substr(start, end - start);
        if (!pair.empty()) {
            const std::size_t eq = pair.find('=');
            auto key = formDecode(pair.substr(0, eq));
            auto value = formDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
            if (!key || !value || fields.contains(*key)) return std::nullopt;
            fields.emplace(std::move(*key), std::move(*value));
        }
        start = end + 1;
        if (end == body.size()) break;
    }
    return fields;
}

std::optional<std::string> cookieValue(std::string_view header, std::string_view name) {
    std::size_t start = 0;
    while (start < header.size()) {
        std::size_t end = header.find(';', start);
        if (end == std::string_view::npos) end = header.size();
        std::string_view pair = header.substr(start, end - start);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            std::string_view value = pair.substr(eq + 1);
            while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
            return std::string(value);
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::string setCookie(std::string_view name, std::string_view value, std::string_view path,
                      std::chrono::seconds maxAge) {
    return std::string(name) + "=" + std::string(value) + "; Path=" + std::string(path) +
           "; Max-Age=" + std::to_string(maxAge.count()) + "; Secure; HttpOnly; SameSite=Strict";
}

bool isRequestId(std::string_view text) noexcept {
    if (text.size() != 32) return false;
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

bool isKindToken(std::string_view text) noexcept {
    if (text.empty() || text.size() > 32) return false;
    for (char c : text) {
        if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
    }
    return true;
}

std::optional<nlohmann::json> parseJsonObject(std::string_view text, int maxDepth, std::string& problem) {
    bool tooDeep = false;
    nlohmann::json::parser_callback_t limit = [&tooDeep, maxDepth](int depth, nlohmann::json::parse_event_t,
                                                                   nlohmann::json&) {
        if (depth > maxDepth) tooDeep = true;
        return !tooDeep;
    };
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(text.begin(), text.end(), limit, true, false);
    } catch (const nlohmann::json::exception& e) {
        problem = std::string("malformed JSON: ") + e.what();
        return std::nullopt;
    }
    if (tooDeep) {
        problem = "JSON nested too deeply";
        return std::nullopt;
    }
    if (!json.is_object()) {
        problem = "JSON body must be an object";
        return std::nullopt;
    }
    return json;
}

}  // namespace cardbridge::authority::http
