// /v1/… → UnlockService. Parsing and validation here; decisions in the service; errors in one function.
#include "cardbridge/authority/http/api_router.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/http/http_codecs.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/time.hpp"

namespace cardbridge::authority::http {

namespace {

constexpr std::string_view PREFIX = "/v1/unlock-requests";
constexpr std::string_view COLLECTION = "unlock-requests";

void allow(const HttpRequest& request, std::string_view allowed) {
    if (request.method != allowed) {
        fail(reason::METHOD_NOT_ALLOWED, "method " + request.method.substr(0, 16) + " not allowed",
             {{"allow", std::string(allowed)}});
    }
}

nlohmann::json readJson(const HttpRequest& request, const ApiOptions& options, bool bodyOptional) {
    if (request.body.empty() && bodyOptional) return nlohmann::json::object();
    if (mediaType(request.header("Content-Type")) != "application/json") {
        fail(reason::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    if (request.body.size() > options.jsonMaxBytes) {
        fail(reason::BODY_TOO_LARGE, "JSON body too large", {{"limit", options.jsonMaxBytes}});
    }
    std::string problem;
    auto json = parseJsonObject(request.body, options.jsonMaxDepth, problem);
    if (!json) fail(reason::MALFORMED_JSON, problem);
    return std::move(*json);
}

std::string stringField(const nlohmann::json& object, const char* name, const std::string& path) {
    const auto it = object.find(name);
    if (it == object.end() || !it->is_string()) {
        fail(reason::FORM_INVALID, "missing or non-string field " + path, {{"field", path}});
    }
    return it->get<std::string>();
}

nlohmann::json attachmentJson(const AttachmentInfo& a) {
    nlohmann::json j = {{"kind", a.kind},     {"contentType", a.contentType},        {"size", a.size},
                        {"sha256", a.sha256}, {"uploadedAt", isoTime(a.uploadedAt)}, {"purged", a.purged}};
    return j;
}

nlohmann::json statusJson(const RequestStatus& s) {
    nlohmann::json j = {{"requestId", s.requestId},
                        {"route", toString(s.route)},
                        {"state", s.state},
                        {"createdAt", isoTime(s.createdAt)},
                        {"dueIsEstimate", s.dueIsEstimate},
                        {"credentialReleased", s.credentialReleased}};
    if (s.submittedAt) j["submittedAt"] = isoTime(*s.submittedAt);
    if (s.dueDate) j["dueDate"] = isoTime(*s.dueDate);
    if (s.decidedAt) j["decidedAt"] = isoTime(*s.decidedAt);
    if (!s.rejectReason.empty()) j["rejectReason"] = s.rejectReason;
    if (s.authorisedUntil) j["authorisedUntil"] = isoTime(*s.authorisedUntil);
    j["attachments"] = nlohmann::json::array();
    for (const auto& a : s.attachments) j["attachments"].push_back(attachmentJson(a));
    return j;
}

nlohmann::json formJson(const ApplicationForm& f) {
    return {{"requestId", f.requestId},
            {"createdDate", f.createdDate},
            {"certificateSubject", f.certificateSubject},
            {"certificateCommonName", f.certificateCommonName},
            {"certificateSerial", f.certificateSerial},
            {"certificateIssuer", f.certificateIssuer},
            {"notBefore", f.notBefore},
            {"notAfter", f.notAfter},
            {"organization", f.organization},
            {"uscc", f.uscc},
            {"handlerName", f.handlerName},
            {"handlerIdType", f.handlerIdType},
            {"maskedIdNumber", f.maskedIdNumber},
            {"maskedPhone", f.maskedPhone},
            {"cardSerial", f.cardSerial}};
}

bool attachmentTypeAcceptable(std::string_view contentType) {
    // Loose on purpose: the service decides by magic bytes; this only turns away what is plainly not a
    // file upload (JSON, forms, text).
    const std::string type = mediaType(contentType);
    return type.empty() || type == "application/pdf" || type == "application/octet-stream" ||
           type.starts_with("image/");
}

// The installation a bearer token belongs to (a digest of the token, never the token), or nullopt when
// the token is missing or not configured. Hashes make every comparison the same length; every configured
// token is compared.
std::optional<std::string> installationOf(const std::vector<std::string>& tokens,
                                          std::string_view authorization) {
    constexpr std::string_view BEARER = "Bearer ";
    if (authorization.size() <= BEARER.size() || !equalsIgnoreCase(authorization.substr(0, 7), BEARER)) {
        return std::nullopt;
    }
    const std::string presented = sha256Hex(authorization.substr(BEARER.size()));
    std::optional<std::string> found;
    for (const auto& token : tokens) {
        if (constantTimeEquals(presented, sha256Hex(token)) && !found) found = installationId(token);
    }
    return found;
}

HttpResponse unauthenticated() {
    HttpResponse response;
    try {
        fail(reason::UNAUTHENTICATED, "missing or wrong API token");
    } catch (...) {
        response = apiErrorResponse(std::current_exception());
    }
    response.set("WWW-Authenticate", "Bearer realm=\"cardbridge-authority\"");
    return response;
}

bool isAttachmentPath(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return method == "PUT" && path.starts_with(PREFIX) &&
           path.find("/attachments/") != std::string_view::npos;
}

// POST /v1/unlock-requests, however its body or token turns out.
bool isCreate(const HttpRequest& request) {
    std::string_view path = request.path();
    while (path.size() > PREFIX.size() && path.back() == '/') path.remove_suffix(1);
    return request.method == "POST" && path == PREFIX;
}

}  // namespace

ApiRouter::ApiRouter(UnlockService& service, ApiOptions options)
    : service_(service), options_(std::move(options)) {}

HttpResponse ApiRouter::handle(const HttpRequest& request) const noexcept {
    HttpResponse response;
    try {
        response = route(request);
    } catch (...) {
        response = apiErrorResponse(std::current_exception());
    }
    if (isCreate(request) && options_.createMinimumDuration.count() > 0)
        response.notBefore = request.receivedAt + options_.createMinimumDuration;
    return response;
}

std::size_t ApiRouter::bodyLimit(std::string_view method, std::string_view target) const noexcept {
    if (isAttachmentPath(method, target))
        return service_.review().attachmentMaxBytes() + options_.attachmentSlackBytes;
    return options_.jsonMaxBytes;
}

HttpResponse ApiRouter::bodyTooLarge(std::string_view method, std::string_view target) const noexcept {
    try {
        if (isAttachmentPath(method, target)) {
            fail(reason::ATTACHMENT_TOO_LARGE, "attachment over the limit",
                 {{"limit", service_.review().attachmentMaxBytes()}});
        }
        fail(reason::BODY_TOO_LARGE, "body over the limit", {{"limit", options_.jsonMaxBytes}});
    } catch (...) {
        return apiErrorResponse(std::current_exception());
    }
}

std::optional<HttpResponse> ApiRouter::admit(std::string_view, std::string_view,
                                             std::string_view authorization) const noexcept {
    try {
        if (options_.bearerTokens.empty() || installationOf(options_.bearerTokens, authorization)) {
            return std::nullopt;
        }
        return unauthenticated();
    } catch (...) {
        return apiErrorResponse(std::current_exception());
    }
}

HttpResponse ApiRouter::route(const HttpRequest& request) const {
    const std::string_view path = request.path();
    if (!path.starts_with(PREFIX)) fail(reason::NOT_FOUND, "no such endpoint");
    // The server already refused a wrong token when the header arrived (admit); checked again here so the
    // router is safe on its own.
    std::string installation;
    if (!options_.bearerTokens.empty()) {
        auto found = installationOf(options_.bearerTokens, request.header("Authorization"));
        if (!found) return unauthenticated();
        installation = std::move(*found);
    }
    // {"v1", "unlock-requests", id, action, kind}: the second segment must be exactly the collection's name.
    const auto parts = splitPath(path);
    if (parts.size() < 2 || parts[1] != COLLECTION) fail(reason::NOT_FOUND, "no such endpoint");
    if (parts.size() == 2) {
        allow(request, "POST");
        const nlohmann::json body = readJson(request, options_, false);
        CreateUnlock create;
        const std::string certificate = stringField(body, "certificate", "certificate");
        auto der = base64Decode(certificate);
        if (!der || der->empty()) {
            fail(reason::FORM_INVALID, "certificate is not base64", {{"field", "certificate"}});
        }
        create.certificateDer = std::move(*der);
        create.cardSerial = stringField(body, "cardSerial", "cardSerial");
        const auto handler = body.find("handler");
        if (handler == body.end() || !handler->is_object()) {
            fail(reason::FORM_INVALID, "missing handler object", {{"field", "handler"}});
        }
        create.handler.organization = stringField(*handler, "organization", "handler.organization");
        create.handler.name = stringField(*handler, "name", "handler.name");
        create.handler.idType = stringField(*handler, "idType", "handler.idType");
        create.handler.idNumber = stringField(*handler, "idNumber", "handler.idNumber");
        create.handler.phone = stringField(*handler, "phone", "handler.phone");
        create.clientAddress = request.clientAddress;
        create.installation = installation;
        const CreatedUnlock created = service_.requests().create(create);
        wipe(create.handler.idNumber);
        nlohmann::json out = {{"requestId", created.requestId}, {"route", toString(created.route)}};
        if (created.maskedPhone) out["maskedPhone"] = *created.maskedPhone;
        return jsonResponse(201, out);
    }
    // Junk and traversal attempts look exactly like an unknown request, and never reach storage.
    if (!isRequestId(parts[2])) fail(reason::REQUEST_NOT_FOUND, "malformed request id");
    const std::string id(parts[2]);
    // Bound to the installation that created it: any other is answered as if the id did not exist.
    // Checked once the endpoint and method are known to exist (404 NOT_FOUND / 405 stay as they were).
    const auto mine = [&] { service_.requests().requireInstallation(id, installation); };
    if (parts.size() == 3) {
        if (request.method == "GET" || request.method == "DELETE") mine();
        if (request.method == "GET") return jsonResponse(200, statusJson(service_.requests().status(id)));
        if (request.method == "DELETE") {
            return jsonResponse(
                200, statusJson(service_.requests().withdraw(id, "client:" + request.clientAddress)));
        }
        fail(reason::METHOD_NOT_ALLOWED, "method not allowed", {{"allow", "GET, DELETE"}});
    }
    const std::string_view action = parts[3];
    if (parts.size() == 5 && action == "attachments") {
        allow(request, "PUT");
        mine();
        if (!isKindToken(parts[4])) fail(reason::ATTACHMENT_KIND, "malformed attachment kind");
        if (!attachmentTypeAcceptable(request.header("Content-Type"))) {
            fail(reason::UNSUPPORTED_MEDIA_TYPE, "attachments are sent as the file's own bytes");
        }
        // The size is the service's to check (ReviewRoute::putAttachment), like the type and the kind.
        const auto* data = reinterpret_cast<const std::uint8_t*>(request.body.data());
        const AttachmentInfo info =
            service_.review().putAttachment(id, std::string(parts[4]), ByteView(data, request.body.size()));
        return jsonResponse(200, attachmentJson(info));
    }
    if (parts.size() != 4) fail(reason::NOT_FOUND, "no such endpoint");
    if (action == "code") {
        allow(request, "POST");
        mine();
        readJson(request, options_, true);
        const CodeSent sent = service_.sms().sendCode(id, request.clientAddress);
        return jsonResponse(200, {{"maskedPhone", sent.maskedPhone},
                                  {"expiresAt", isoTime(sent.expiresAt)},
                                  {"resendAfterSeconds", sent.resendAfterSeconds}});
    }
    if (action == "verify") {
        allow(request, "POST");
        mine();
        nlohmann::json body = readJson(request, options_, false);
        std::string codeText = stringField(body, "code", "code");
        const Secret code(codeText);
        wipe(codeText);
        wipe(body["code"].get_ref<std::string&>());
        return jsonResponse(200, statusJson(service_.sms().verifyCode(id, code)));
    }
    if (action == "submit") {
        allow(request, "POST");
        mine();
        readJson(request, options_, true);
        return jsonResponse(200, statusJson(service_.review().submit(id)));
    }
    if (action == "application-form") {
        allow(request, "GET");
        mine();
        return jsonResponse(200, formJson(service_.requests().applicationForm(id)));
    }
    if (action == "credential") {
        allow(request, "POST");
        mine();
        readJson(request, options_, true);
        const Credential credential = service_.custody().credential(id);
        nlohmann::json out = {{"currentPuk", std::string(credential.currentPuk.view())},
                              {"nextPuk", std::string(credential.nextPuk.view())},
                              {"epoch", credential.epoch},
                              {"nextEpoch", credential.nextEpoch},
                              {"pendingRotation", credential.pendingRotation}};
        HttpResponse response = jsonResponse(200, out);
        wipe(out["currentPuk"].get_ref<std::string&>());
        wipe(out["nextPuk"].get_ref<std::string&>());
        return response;
    }
    if (action == "complete") {
        allow(request, "POST");
        mine();
        readJson(request, options_, true);
        return jsonResponse(200, statusJson(service_.custody().complete(id)));
    }
    fail(reason::NOT_FOUND, "no such endpoint");
}

std::string installationId(std::string_view token) {
    return sha256Hex("cardbridge-installation:" + std::string(token)).substr(0, 32);
}

HttpResponse apiErrorResponse(std::exception_ptr error) noexcept {
    try {
        try {
            std::rethrow_exception(error);
        } catch (const AuthorityError& e) {
            nlohmann::json body = e.extra();
            body["reason"] = e.reason();
            body["message"] = e.what();
            HttpResponse response = jsonResponse(static_cast<unsigned>(e.httpStatus()), {{"error", body}});
            if (e.httpStatus() == 405 && e.extra().contains("allow")) {
                response.set("Allow", e.extra()["allow"].get<std::string>());
            }
            if (e.extra().contains("retryAfter") && e.extra()["retryAfter"].is_number_integer()) {
                response.set("Retry-After", std::to_string(e.extra()["retryAfter"].get<long long>()));
            }
            spdlog::info("api: {} {}: {}", e.httpStatus(), e.reason(), e.what());
            return response;
        } catch (const RetryableError& e) {
            spdlog::warn("api: unavailable: {}", e.what());
            return jsonResponse(
                static_cast<unsigned>(httpStatusFor(reason::UNAVAILABLE)),
                {{"error", {{"reason", reason::UNAVAILABLE}, {"message", "try again later"}}}});
        } catch (const std::exception& e) {
            spdlog::error("api: internal error: {}", e.what());
        } catch (...) {
            spdlog::error("api: internal error (not an exception)");
        }
        return jsonResponse(static_cast<unsigned>(httpStatusFor(reason::INTERNAL)),
                            {{"error", {{"reason", reason::INTERNAL}, {"message", "internal error"}}}});
    } catch (...) {
        HttpResponse bare;
        bare.status = 500;
        bare.set("Content-Type", "application/json");
        bare.body = R"({"error":{"reason":"INTERNAL","message":"internal error"}})";
        return bare;
    }
}

HttpResponse jsonResponse(unsigned status, const nlohmann::json& body) {
    HttpResponse response;
    response.status = status;
    response.set("Content-Type", "application/json; charset=utf-8");
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

}  // namespace cardbridge::authority::http
