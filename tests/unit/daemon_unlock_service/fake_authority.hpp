// The AuthorityClient seam's fake: cardbridge-authority's unlock API (docs/authority-api.md) as a small
// state machine in memory. Requests by id; the route decided by the handler's name; SMS codes; review
// decisions made by the test; PUKs per card epoch, released by `credential` (repeatable, pendingRotation on
// a repeat) and committed by `complete`. Records every call and fails a chosen one on request.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/daemon/unlock/authority_client.hpp"

namespace cardbridge::test {

/// The fake authority. Thread-safe (the service calls it from its pool and its poller).
class FakeAuthority final : public daemon::unlock::AuthorityClient {
  public:
    using Handler = daemon::unlock::Handler;
    using RequestStatus = daemon::unlock::RequestStatus;

    /// The handler registered for every certificate: this name gets the SMS route, anyone else review.
    static constexpr const char* ORIGINAL_HANDLER = "张三";
    /// The SMS code every sendCode "sends".
    static constexpr const char* CODE = "135790";
    /// The PUK the authority keeps for epoch `epoch`: epoch 0 is the factory PUK 12345678.
    static std::string pukOf(std::uint64_t epoch);

    /// When an injected failure strikes: before the call takes effect, or after (its answer lost).
    enum class When { Before, After };
    /// The next call named `call` ("createRequest", "sendCode", "verifyCode", "uploadAttachment", "submit",
    /// "status", "applicationForm", "withdraw", "credential", "complete") throws `error`, `times` times.
    void failNext(const std::string& call, std::exception_ptr error, When when = When::Before,
                  unsigned times = 1);

    /// Review decisions, as the authority's reviewer makes them (the request must be in_review).
    void approve(const std::string& requestId);
    void reject(const std::string& requestId, const std::string& reason);
    /// The approval of `requestId` has run out: credential answers APPROVAL_EXPIRED from now on.
    void expireApproval(const std::string& requestId);

    /// Every call so far, by name, in order (failed ones too).
    [[nodiscard]] std::vector<std::string> calls() const;
    /// How many times `call` was made.
    [[nodiscard]] std::size_t count(const std::string& call) const;
    /// The state of `requestId` ("open", "authorised", "in_review", …); empty when unknown.
    [[nodiscard]] std::string state(const std::string& requestId) const;
    /// The id of the latest request created; empty before the first.
    [[nodiscard]] std::string lastRequestId() const;
    /// The epoch of the card the authority calls `cardSerial` (0 until a rotation completes).
    [[nodiscard]] std::uint64_t epoch(const std::string& cardSerial) const;
    /// True while a credential of the card was released and not completed.
    [[nodiscard]] bool pendingRotation(const std::string& cardSerial) const;

    // AuthorityClient
    daemon::unlock::CreatedRequest createRequest(const daemon::unlock::CreateRequest& request) override;
    daemon::unlock::CodeSent sendCode(const std::string& requestId) override;
    RequestStatus verifyCode(const std::string& requestId, const Secret& code) override;
    daemon::unlock::AttachmentInfo uploadAttachment(const std::string& requestId, const std::string& kind,
                                                    ByteView bytes) override;
    RequestStatus submit(const std::string& requestId) override;
    RequestStatus status(const std::string& requestId) override;
    std::map<std::string, std::string> applicationForm(const std::string& requestId) override;
    RequestStatus withdraw(const std::string& requestId) override;
    daemon::unlock::Credential credential(const std::string& requestId) override;
    RequestStatus complete(const std::string& requestId) override;

  private:
    struct Request {
        RequestStatus status;
        std::string cardSerial;
        Handler handler;
        bool codeSent = false;
        unsigned codeTriesLeft = 5;
        bool approvalExpired = false;
        std::map<std::string, daemon::unlock::AttachmentInfo> attachments;
    };
    struct Card {
        std::uint64_t epoch = 0;
        bool pending = false;
    };
    struct Failure {
        std::exception_ptr error;
        When when;
        unsigned times;
    };

    /// Records `call`; throws an injected Before failure; returns the After failure to throw at the end.
    std::exception_ptr enter(const std::string& call);
    Request& find(const std::string& requestId);
    static RequestStatus snapshot(const Request& r);

    mutable std::mutex mutex_;
    std::vector<std::string> calls_;
    std::map<std::string, Failure> failures_;
    std::map<std::string, Request> requests_;
    std::map<std::string, Card> cards_;
    std::string lastRequestId_;
    unsigned nextId_ = 1;
};

/// An AuthorityClient that forwards to a shared FakeAuthority, so that a new UnlockService (a daemon
/// restart) talks to the same authority.
std::unique_ptr<daemon::unlock::AuthorityClient> clientOf(std::shared_ptr<FakeAuthority> authority);

/// The error the real client throws for an authority that cannot be reached.
std::exception_ptr unreachable();
/// The error the real client throws for a refusal with `reason` (HTTP status 4xx) and extra fields.
std::exception_ptr refused(const std::string& reason, unsigned httpStatus = 409,
                           std::map<std::string, std::string> extra = {},
                           std::vector<daemon::unlock::FieldProblem> fields = {});

}  // namespace cardbridge::test
