// The upload route's header checks. The order matters: a path the daemon does not serve is 404 whatever
// the method or origin, so a probe learns nothing more than for any other unknown path.
#include "cardbridge/daemon/net/upload_route.hpp"

#include <algorithm>

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {

namespace {

constexpr std::string_view PREFIX = "/unlock/";
constexpr std::string_view MIDDLE = "/attachments/";
constexpr std::size_t FLOW_ID_CHARS = 32;

// The two raw segments of "/unlock/<a>/attachments/<b>" (each non-empty, without '/', '?' or '#').
struct RawSegments {
    std::string_view flowId;
    std::string_view kind;
};

std::optional<RawSegments> splitTarget(std::string_view target) {
    if (!target.starts_with(PREFIX)) return std::nullopt;
    target.remove_prefix(PREFIX.size());
    const std::size_t slash = target.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    RawSegments raw{target.substr(0, slash), {}};
    target.remove_prefix(slash);
    if (!target.starts_with(MIDDLE)) return std::nullopt;
    target.remove_prefix(MIDDLE.size());
    if (target.empty() || target.find_first_of("/?#") != std::string_view::npos) return std::nullopt;
    raw.kind = target;
    return raw;
}

bool isFlowId(std::string_view text) {
    return text.size() == FLOW_ID_CHARS && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool isKind(std::string_view text) {
    return std::find(ATTACHMENT_KINDS.begin(), ATTACHMENT_KINDS.end(), text) != ATTACHMENT_KINDS.end();
}

UploadRefusal refusal(unsigned status, Reason reason,
                      const nlohmann::json& extra = nlohmann::json::object()) {
    return {status, uploadErrorJson(info(reason).name, info(reason).message, extra), false};
}

}  // namespace

bool isUploadRoute(std::string_view target) noexcept {
    return target.starts_with(PREFIX);
}

std::optional<UploadTarget> parseUploadTarget(std::string_view target) {
    auto raw = splitTarget(target);
    if (!raw || !isFlowId(raw->flowId) || !isKind(raw->kind)) return std::nullopt;
    return UploadTarget{std::string(raw->flowId), std::string(raw->kind)};
}

std::variant<UploadTarget, UploadRefusal> checkUploadHeader(const UploadHeader& header) {
    auto raw = splitTarget(header.target);
    if (!raw || !header.handlerPresent) return refusal(404, Reason::MethodNotFound);
    if (!isFlowId(raw->flowId)) return refusal(404, Reason::InvalidParams, {{"param", "flowId"}});
    if (!isKind(raw->kind)) return refusal(404, Reason::InvalidParams, {{"param", "kind"}});
    if (header.method != "PUT") {
        UploadRefusal out = refusal(405, Reason::MethodNotFound);
        out.allowPut = true;
        return out;
    }
    if (!header.ownOrigin) return refusal(403, Reason::NotAllowed);
    if (header.contentLength && *header.contentLength > header.maxBytes)
        return uploadTooLarge(header.maxBytes);
    return UploadTarget{std::string(raw->flowId), std::string(raw->kind)};
}

std::string uploadErrorJson(std::string_view reason, std::string_view message, const nlohmann::json& extra) {
    nlohmann::json error = {{"reason", reason}, {"message", message}};
    if (extra.is_object()) {
        for (const auto& [key, value] : extra.items()) error.emplace(key, value);  // never over reason
    }
    return nlohmann::json{{"error", std::move(error)}}.dump(-1, ' ', false,
                                                            nlohmann::json::error_handler_t::replace);
}

UploadRefusal uploadTooLarge(std::size_t maxBytes) {
    return {413,
            uploadErrorJson(ATTACHMENT_TOO_LARGE_REASON, ATTACHMENT_TOO_LARGE_MESSAGE, {{"limit", maxBytes}}),
            false};
}

UploadRefusal uploadInternalError() {
    return refusal(500, Reason::Internal);
}

std::string_view shortFlowId(std::string_view flowId) noexcept {
    return flowId.substr(0, std::min<std::size_t>(flowId.size(), 8));
}

}  // namespace cardbridge::daemon
