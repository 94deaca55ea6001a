// Request bodies, response decoding and the retry decisions of the authority client (authority_protocol.hpp).
#include "cardbridge/daemon/unlock/authority_protocol.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cardbridge/common/base64.hpp"

namespace cardbridge::daemon::unlock {

using nlohmann::json;

namespace {

/// Parses a response body; anything but a JSON object is the authority breaking its contract.
json parseObject(const std::string& body, const char* what) {
    json value = json::parse(body, nullptr, false);
    if (value.is_discarded() || !value.is_object()) {
        throw AuthorityProtocolError(std::string("the authority's answer to ") + what +
                                     " is not a JSON object");
    }
    return value;
}

std::string requiredString(const json& object, const char* key, const char* what) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
        throw AuthorityProtocolError(std::string("the authority's answer to ") + what +
                                     " lacks the string \"" + key + "\"");
    }
    return it->get<std::string>();
}

std::optional<std::string> optionalString(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

bool optionalBool(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::uint64_t requiredUnsigned(const json& object, const char* key, const char* what) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_unsigned()) {
        throw AuthorityProtocolError(std::string("the authority's answer to ") + what +
                                     " lacks the unsigned number \"" + key + "\"");
    }
    return it->get<std::uint64_t>();
}

AttachmentInfo attachmentFrom(const json& item) {
    if (!item.is_object()) throw AuthorityProtocolError("the authority sent a malformed attachment");
    AttachmentInfo info;
    info.kind = requiredString(item, "kind", "an attachment");
    info.contentType = optionalString(item, "contentType").value_or("");
    if (const auto size = item.find("size"); size != item.end() && size->is_number_unsigned()) {
        info.size = size->get<std::uint64_t>();
    }
    info.sha256 = optionalString(item, "sha256").value_or("");
    info.uploadedAt = optionalString(item, "uploadedAt").value_or("");
    info.purged = optionalBool(item, "purged");
    return info;
}

}  // namespace

AuthorityRefused::AuthorityRefused(std::string reason, unsigned httpStatus,
                                   std::map<std::string, std::string> extra, std::vector<FieldProblem> fields,
                                   const std::string& message)
    : AuthorityError("the authority refused (" + std::to_string(httpStatus) + " " + reason + ")" +
                     (message.empty() ? std::string() : ": " + message)),
      reason_(std::move(reason)),
      httpStatus_(httpStatus),
      extra_(std::move(extra)),
      fields_(std::move(fields)) {}

std::optional<std::uint64_t> AuthorityRefused::number(const std::string& name) const {
    const auto it = extra_.find(name);
    if (it == extra_.end() || it->second.empty() || it->second.size() > 19 ||
        it->second.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    return std::stoull(it->second);
}

bool shouldRetry(Repeat repeat, AttemptFailure failure, unsigned attempt, unsigned retries) noexcept {
    if (attempt >= retries) return false;
    switch (failure) {
        case AttemptFailure::TlsVerification:
            return false;  // a wrong certificate does not get right by asking again
        case AttemptFailure::ConnectFailed:
            return true;  // nothing was sent, so even a create cannot happen twice
        case AttemptFailure::Transport:
        case AttemptFailure::ServerUnavailable:
            return repeat == Repeat::Safe;  // the request may have been acted on
    }
    return false;
}

std::chrono::milliseconds backoffDelay(unsigned attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds max) noexcept {
    if (base.count() <= 0) return std::chrono::milliseconds(0);
    auto delay = base;
    for (unsigned i = 0; i < attempt && delay < max; ++i) delay *= 2;
    return std::min(delay, max);
}

bool isRequestId(const std::string& id) noexcept {
    return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string createRequestBody(const CreateRequest& request) {
    const json body = {{"certificate", base64Encode(request.certificateDer)},
                       {"cardSerial", request.cardSerial},
                       {"handler",
                        {{"organization", request.handler.organization},
                         {"name", request.handler.name},
                         {"idType", request.handler.idType},
                         {"idNumber", request.handler.idNumber},
                         {"phone", request.handler.phone}}}};
    return body.dump();
}

std::string verifyBody(const Secret& code) {
    // Escaped by hand so the code is copied into exactly one buffer, which the caller wipes (a JSON
    // library would leave copies behind). A code is digits; anything else is still valid JSON.
    static constexpr char HEX[] = "0123456789abcdef";
    std::string body;
    body.reserve(12 + 6 * code.size());  // no reallocation: no stray copy of the code
    body += "{\"code\":\"";
    for (const char c : code.view()) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            body += '\\';
            body += c;
        } else if (byte < 0x20) {
            body += "\\u00";
            body += HEX[byte >> 4];
            body += HEX[byte & 0x0f];
        } else {
            body += c;
        }
    }
    body += "\"}";
    return body;
}

CreatedRequest decodeCreated(const std::string& body) {
    const json object = parseObject(body, "create");
    CreatedRequest created;
    created.requestId = requiredString(object, "requestId", "create");
    created.route = requiredString(object, "route", "create");
    created.maskedPhone = optionalString(object, "maskedPhone");
    if (!isRequestId(created.requestId))
        throw AuthorityProtocolError("the authority sent a malformed request id");
    if (created.route != "sms" && created.route != "review") {
        throw AuthorityProtocolError("the authority sent an unknown route");
    }
    return created;
}

CodeSent decodeCodeSent(const std::string& body) {
    const json object = parseObject(body, "code");
    CodeSent sent;
    sent.maskedPhone = requiredString(object, "maskedPhone", "code");
    sent.expiresAt = requiredString(object, "expiresAt", "code");
    const std::uint64_t resend = requiredUnsigned(object, "resendAfterSeconds", "code");
    sent.resendAfterSeconds = static_cast<unsigned>(std::min<std::uint64_t>(resend, 86400));
    return sent;
}

RequestStatus decodeStatus(const std::string& body) {
    const json object = parseObject(body, "a status call");
    RequestStatus status;
    status.requestId = requiredString(object, "requestId", "a status call");
    status.route = requiredString(object, "route", "a status call");
    status.state = requiredString(object, "state", "a status call");
    status.createdAt = requiredString(object, "createdAt", "a status call");
    status.submittedAt = optionalString(object, "submittedAt");
    status.dueDate = optionalString(object, "dueDate");
    status.dueIsEstimate = optionalBool(object, "dueIsEstimate");
    status.decidedAt = optionalString(object, "decidedAt");
    status.rejectReason = optionalString(object, "rejectReason");
    status.authorisedUntil = optionalString(object, "authorisedUntil");
    status.credentialReleased = optionalBool(object, "credentialReleased");
    if (const auto it = object.find("attachments"); it != object.end() && it->is_array()) {
        for (const json& item : *it) status.attachments.push_back(attachmentFrom(item));
    }
    return status;
}

AttachmentInfo decodeAttachment(const std::string& body) {
    return attachmentFrom(parseObject(body, "an attachment upload"));
}

std::map<std::string, std::string> decodeApplicationForm(const std::string& body) {
    const json object = parseObject(body, "an application form");
    std::map<std::string, std::string> form;
    for (const auto& [key, value] : object.items()) {
        if (value.is_string()) form.emplace(key, value.get<std::string>());
    }
    if (!form.contains("requestId")) {
        throw AuthorityProtocolError("the authority's application form lacks \"requestId\"");
    }
    return form;
}

Credential decodeCredential(const std::string& body) {
    json object = parseObject(body, "credential");
    Credential credential;
    for (const char* key : {"currentPuk", "nextPuk"}) {
        auto it = object.find(key);
        if (it == object.end() || !it->is_string()) {
            throw AuthorityProtocolError(std::string("the authority's credential lacks \"") + key + "\"");
        }
        auto& text = it->get_ref<std::string&>();
        (std::string_view(key) == "currentPuk" ? credential.currentPuk : credential.nextPuk) = Secret(text);
        wipe(text);  // the parsed copy; the caller wipes the body
    }
    credential.epoch = requiredUnsigned(object, "epoch", "credential");
    credential.nextEpoch = requiredUnsigned(object, "nextEpoch", "credential");
    credential.pendingRotation = optionalBool(object, "pendingRotation");
    return credential;
}

AuthorityRefused decodeRefusal(unsigned httpStatus, const std::string& body) {
    const std::string fallback = "HTTP_" + std::to_string(httpStatus);
    const json value = json::parse(body, nullptr, false);
    if (value.is_discarded() || !value.is_object() || !value.contains("error") ||
        !value["error"].is_object()) {
        return AuthorityRefused(fallback, httpStatus, {}, {}, {});
    }
    const json& error = value["error"];
    std::string reason = fallback;
    std::string message;
    std::map<std::string, std::string> extra;
    std::vector<FieldProblem> fields;
    for (const auto& [key, field] : error.items()) {
        if (key == "reason" && field.is_string()) {
            // An empty reason is none: the status stands (found by fuzzing).
            if (!field.get_ref<const std::string&>().empty()) reason = field.get<std::string>();
        } else if (key == "message" && field.is_string()) {
            message = field.get<std::string>();
        } else {
            extra[key] = field.is_string() ? field.get<std::string>() : field.dump();
        }
    }
    if (const auto it = error.find("fields"); it != error.end() && it->is_array()) {
        for (const json& item : *it) {
            if (item.is_object())
                fields.push_back({optionalString(item, "field").value_or(""),
                                  optionalString(item, "problem").value_or("")});
        }
    } else if (const auto f = optionalString(error, "field")) {
        fields.push_back({*f, optionalString(error, "problem").value_or("")});
    }
    return AuthorityRefused(std::move(reason), httpStatus, std::move(extra), std::move(fields), message);
}

}  // namespace cardbridge::daemon::unlock
