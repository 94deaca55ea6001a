// The attachment upload route (docs/api.md §4.5, PUT /unlock/{flowId}/attachments/{kind}): what the
// network layer decides from a request's header alone, before any body byte is read. Pure; no Beast.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cardbridge::daemon {

/// The attachment kinds an upload may name.
inline constexpr std::array<std::string_view, 3> ATTACHMENT_KINDS{"application_form", "business_license",
                                                                  "handler_id"};

/// The stable reason and English message of a refused size; "limit" is added to the error object.
inline constexpr std::string_view ATTACHMENT_TOO_LARGE_REASON = "ATTACHMENT_TOO_LARGE";
inline constexpr std::string_view ATTACHMENT_TOO_LARGE_MESSAGE = "The file must be under 1024 KB.";

/// The parts of a well-formed upload target.
struct UploadTarget {
    std::string flowId;  ///< 32 lower-case hex digits
    std::string kind;    ///< one of ATTACHMENT_KINDS
};

/// Whether the upload route answers `target` (everything under "/unlock/"), not the static site. Pure.
[[nodiscard]] bool isUploadRoute(std::string_view target) noexcept;

/// Parses exactly "/unlock/<flowId>/attachments/<kind>" (flowId 32 lower-case hex, kind one of
/// ATTACHMENT_KINDS); nullopt for anything else: other shapes, extra or empty segments, a query or
/// fragment, percent-escapes. Pure.
[[nodiscard]] std::optional<UploadTarget> parseUploadTarget(std::string_view target);

/// What the network layer knows of an upload once its header is read.
struct UploadHeader {
    std::string_view method;
    std::string_view target;
    bool ownOrigin = false;                      ///< Origin present and one of the daemon's own origins
    std::optional<std::uint64_t> contentLength;  ///< nullopt: chunked, or no body
    bool handlerPresent = false;                 ///< ServerOptions::upload is set
    std::size_t maxBytes = 1024 * 1024;          ///< ServerOptions::maxUploadBytes
};

/// A refusal of an upload: status, JSON body, and whether the answer carries `Allow: PUT`.
struct UploadRefusal {
    unsigned status = 500;
    std::string json;
    bool allowPut = false;
};

/// Decides an upload from its header, in this order: 404 METHOD_NOT_FOUND (not of the shape
/// /unlock/<id>/attachments/<kind>, or no handler), 404 INVALID_PARAMS with "param" (a flowId that is not
/// 32 lower-case hex, an unknown kind), 405 METHOD_NOT_FOUND (not PUT; allowPut), 403 NOT_ALLOWED (not
/// our own origin), 413 ATTACHMENT_TOO_LARGE (Content-Length over maxBytes). Otherwise the target's
/// parts: go on and read the body. Pure.
[[nodiscard]] std::variant<UploadTarget, UploadRefusal> checkUploadHeader(const UploadHeader& header);

/// {"error":{"reason":reason,"message":message, …extra's members}}. Pure.
[[nodiscard]] std::string uploadErrorJson(std::string_view reason, std::string_view message,
                                          const nlohmann::json& extra = nlohmann::json::object());

/// 413 ATTACHMENT_TOO_LARGE with "limit": maxBytes (also for a chunked body that outgrows the limit).
[[nodiscard]] UploadRefusal uploadTooLarge(std::size_t maxBytes);

/// 500 INTERNAL: the upload handler threw, dropped its `done`, answered nonsense or never answered.
[[nodiscard]] UploadRefusal uploadInternalError();

/// The first 8 characters of a flow id, for logs (a whole id lets anyone continue the flow).
[[nodiscard]] std::string_view shortFlowId(std::string_view flowId) noexcept;

}  // namespace cardbridge::daemon
