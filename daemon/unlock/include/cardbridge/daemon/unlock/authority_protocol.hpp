// The pure parts of the authority client: request bodies, response decoding, which failures are retried
// and how long to wait. No sockets here, so all of it is unit-tested without an authority.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "cardbridge/daemon/unlock/authority_client.hpp"

namespace cardbridge::daemon::unlock {

/// Whether repeating a call after a failure can do harm.
enum class Repeat {
    Safe,   ///< GET status, attachment PUT, credential (repeatable while pending), complete (idempotent)
    Unsafe  ///< create, code, verify, submit, withdraw: repeated only when nothing was sent
};

/// How one attempt failed.
enum class AttemptFailure {
    ConnectFailed,      ///< name resolution, TCP connect or its deadline: the request was never sent
    TlsVerification,    ///< the certificate does not verify against the pinned CA / for the host
    Transport,          ///< TLS or I/O failure or deadline after the connection opened
    ServerUnavailable,  ///< 502, 503, 504 from the authority or something in front of it
};

/// True when the attempt numbered `attempt` (0 = the first) that failed with `failure` may be followed by
/// another one, given `retries` extra attempts allowed in all.
[[nodiscard]] bool shouldRetry(Repeat repeat, AttemptFailure failure, unsigned attempt,
                               unsigned retries) noexcept;

/// The pause before the retry that follows attempt `attempt` (0-based): base × 2^attempt, at most `max`.
[[nodiscard]] std::chrono::milliseconds backoffDelay(unsigned attempt, std::chrono::milliseconds base,
                                                     std::chrono::milliseconds max) noexcept;

/// True for a request id the authority can have issued (32 lower-case hex); others are refused locally.
[[nodiscard]] bool isRequestId(const std::string& id) noexcept;

/// JSON body of POST /v1/unlock-requests.
[[nodiscard]] std::string createRequestBody(const CreateRequest& request);
/// JSON body of …/verify. The caller wipes it after sending (it holds the code).
[[nodiscard]] std::string verifyBody(const Secret& code);

/// Decoders of successful responses. Throw AuthorityProtocolError when the body is not the documented shape.
[[nodiscard]] CreatedRequest decodeCreated(const std::string& body);
[[nodiscard]] CodeSent decodeCodeSent(const std::string& body);
[[nodiscard]] RequestStatus decodeStatus(const std::string& body);
[[nodiscard]] AttachmentInfo decodeAttachment(const std::string& body);
/// The application form: every string field of the object; AuthorityProtocolError without a requestId.
[[nodiscard]] std::map<std::string, std::string> decodeApplicationForm(const std::string& body);
/// Wipes nothing itself: the caller wipes `body` afterwards (it holds PUKs).
[[nodiscard]] Credential decodeCredential(const std::string& body);

/// The refusal an error response stands for: {"error": {"reason", "message", …extra}} with `httpStatus`.
/// A body that is not that shape gives reason "HTTP_<status>".
[[nodiscard]] AuthorityRefused decodeRefusal(unsigned httpStatus, const std::string& body);

}  // namespace cardbridge::daemon::unlock
