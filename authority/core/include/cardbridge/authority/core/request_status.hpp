// What the authority tells about one unlock request: its status and its attachments' metadata.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// Public metadata of an attachment (never its contents).
struct AttachmentInfo {
    std::string kind;
    std::string contentType;
    std::int64_t size = 0;
    std::string sha256;  ///< of the plaintext, upper-case hex
    Seconds uploadedAt{};
    bool purged = false;
};

/// GET /v1/unlock-requests/{id}.
struct RequestStatus {
    std::string requestId;
    Route route = Route::Sms;
    std::string state;  ///< toString(RequestState)
    Seconds createdAt{};
    std::optional<Seconds> submittedAt;
    std::optional<Seconds> dueDate;
    bool dueIsEstimate = false;
    std::optional<Seconds> decidedAt;
    std::string rejectReason;
    std::optional<Seconds> authorisedUntil;
    bool credentialReleased = false;
    std::vector<AttachmentInfo> attachments;
};

}  // namespace cardbridge::authority
