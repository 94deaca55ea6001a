#include "fake_authority.hpp"

#include <cstdio>
#include <initializer_list>

#include "cardbridge/common/digest.hpp"

namespace cardbridge::test {

using namespace daemon::unlock;

namespace {

constexpr const char* CREATED_AT = "2026-03-02T08:00:00Z";
constexpr const char* SUBMITTED_AT = "2026-03-02T08:10:00Z";
constexpr const char* DUE_DATE = "2026-03-05T15:59:59Z";
constexpr const char* DECIDED_AT = "2026-03-03T09:00:00Z";
constexpr const char* AUTHORISED_UNTIL = "2099-03-10T09:00:00Z";
const char* const KINDS[] = {"application_form", "business_license", "handler_id"};

std::string masked(const std::string& phone) {
    return phone.size() == 11 ? phone.substr(0, 3) + "****" + phone.substr(7) : "***";
}

bool digits(const std::string& text) {
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return !text.empty();
}

std::string contentTypeOf(ByteView bytes) {
    auto starts = [&](std::initializer_list<std::uint8_t> magic) {
        if (bytes.size() < magic.size()) return false;
        std::size_t i = 0;
        for (std::uint8_t m : magic) {
            if (bytes[i++] != m) return false;
        }
        return true;
    };
    if (starts({'%', 'P', 'D', 'F', '-'})) return "application/pdf";
    if (starts({0x89, 'P', 'N', 'G'})) return "image/png";
    if (starts({0xFF, 0xD8, 0xFF})) return "image/jpeg";
    return "application/octet-stream";
}

[[noreturn]] void refuse(const std::string& reason, unsigned httpStatus,
                         std::map<std::string, std::string> extra = {},
                         std::vector<FieldProblem> fields = {}) {
    std::rethrow_exception(refused(reason, httpStatus, std::move(extra), std::move(fields)));
}

void requireState(const RequestStatus& s, std::initializer_list<const char*> states) {
    for (const char* state : states) {
        if (s.state == state) return;
    }
    refuse("WRONG_STATE", 409, {{"state", s.state}});
}

}  // namespace

std::exception_ptr unreachable() {
    return std::make_exception_ptr(AuthorityUnreachable("test: connection refused"));
}

std::exception_ptr refused(const std::string& reason, unsigned httpStatus,
                           std::map<std::string, std::string> extra, std::vector<FieldProblem> fields) {
    return std::make_exception_ptr(
        AuthorityRefused(reason, httpStatus, std::move(extra), std::move(fields), "test: " + reason));
}

std::string FakeAuthority::pukOf(std::uint64_t epoch) {
    if (epoch == 0) return "12345678";
    char text[16];
    std::snprintf(text, sizeof text, "%08llu",
                  40000000ull + static_cast<unsigned long long>(epoch) * 1111ull);
    return text;
}

void FakeAuthority::failNext(const std::string& call, std::exception_ptr error, When when, unsigned times) {
    std::lock_guard lock(mutex_);
    failures_[call] = {std::move(error), when, times};
}

std::exception_ptr FakeAuthority::enter(const std::string& call) {
    calls_.push_back(call);
    auto it = failures_.find(call);
    if (it == failures_.end()) return nullptr;
    Failure failure = it->second;
    if (--it->second.times == 0) failures_.erase(it);
    if (failure.when == When::Before) std::rethrow_exception(failure.error);
    return failure.error;
}

FakeAuthority::Request& FakeAuthority::find(const std::string& requestId) {
    auto it = requests_.find(requestId);
    if (it == requests_.end()) refuse("REQUEST_NOT_FOUND", 404);
    return it->second;
}

RequestStatus FakeAuthority::snapshot(const Request& r) {
    RequestStatus s = r.status;
    s.attachments.clear();
    for (const auto& [kind, info] : r.attachments) s.attachments.push_back(info);
    return s;
}

// ----- the test's side ----------------------------------------------------------------------------------

void FakeAuthority::approve(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    Request& r = find(requestId);
    requireState(r.status, {"in_review"});
    r.status.state = "approved";
    r.status.decidedAt = DECIDED_AT;
    r.status.authorisedUntil = AUTHORISED_UNTIL;
}

void FakeAuthority::reject(const std::string& requestId, const std::string& reason) {
    std::lock_guard lock(mutex_);
    Request& r = find(requestId);
    requireState(r.status, {"in_review"});
    r.status.state = "rejected";
    r.status.decidedAt = DECIDED_AT;
    r.status.rejectReason = reason;
}

void FakeAuthority::expireApproval(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    find(requestId).approvalExpired = true;
}

std::vector<std::string> FakeAuthority::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

std::size_t FakeAuthority::count(const std::string& call) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& c : calls_) {
        if (c == call) ++n;
    }
    return n;
}

std::string FakeAuthority::state(const std::string& requestId) const {
    std::lock_guard lock(mutex_);
    auto it = requests_.find(requestId);
    return it == requests_.end() ? std::string() : it->second.status.state;
}

std::string FakeAuthority::lastRequestId() const {
    std::lock_guard lock(mutex_);
    return lastRequestId_;
}

std::uint64_t FakeAuthority::epoch(const std::string& cardSerial) const {
    std::lock_guard lock(mutex_);
    auto it = cards_.find(cardSerial);
    return it == cards_.end() ? 0 : it->second.epoch;
}

bool FakeAuthority::pendingRotation(const std::string& cardSerial) const {
    std::lock_guard lock(mutex_);
    auto it = cards_.find(cardSerial);
    return it != cards_.end() && it->second.pending;
}

// ----- the API ------------------------------------------------------------------------------------------

CreatedRequest FakeAuthority::createRequest(const CreateRequest& request) {
    std::lock_guard lock(mutex_);
    auto after = enter("createRequest");
    const Handler& h = request.handler;
    std::vector<FieldProblem> problems;
    if (h.organization.empty()) problems.push_back({"handler.organization", "missing"});
    if (h.name.empty()) problems.push_back({"handler.name", "missing"});
    if (h.idNumber.size() != 18) problems.push_back({"handler.idNumber", "checksum"});
    if (h.phone.size() != 11 || !digits(h.phone) || h.phone[0] != '1') {
        problems.push_back({"handler.phone", "format"});
    }
    if (!problems.empty()) refuse("FORM_INVALID", 422, {}, std::move(problems));
    if (request.certificateDer.empty()) refuse("CERT_INVALID", 422);

    char id[40];
    std::snprintf(id, sizeof id, "%032x", 0xa5000000u + nextId_++);
    Request r;
    r.cardSerial = request.cardSerial;
    r.handler = h;
    r.status.requestId = id;
    r.status.route = h.name == ORIGINAL_HANDLER ? "sms" : "review";
    r.status.state = "open";
    r.status.createdAt = CREATED_AT;
    cards_.try_emplace(request.cardSerial);
    CreatedRequest created{id, r.status.route, std::nullopt};
    if (r.status.route == "sms") created.maskedPhone = masked(h.phone);
    requests_[id] = std::move(r);
    lastRequestId_ = id;
    if (after) std::rethrow_exception(after);
    return created;
}

CodeSent FakeAuthority::sendCode(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("sendCode");
    Request& r = find(requestId);
    if (r.status.route != "sms") refuse("WRONG_ROUTE", 409);
    requireState(r.status, {"open"});
    r.codeSent = true;
    r.codeTriesLeft = 5;
    CodeSent sent{masked(r.handler.phone), "2026-03-02T08:05:00Z", 60};
    if (after) std::rethrow_exception(after);
    return sent;
}

RequestStatus FakeAuthority::verifyCode(const std::string& requestId, const Secret& code) {
    std::lock_guard lock(mutex_);
    auto after = enter("verifyCode");
    Request& r = find(requestId);
    if (r.status.route != "sms") refuse("WRONG_ROUTE", 409);
    requireState(r.status, {"open"});
    if (!r.codeSent) refuse("CODE_NOT_SENT", 409);
    if (r.codeTriesLeft == 0) refuse("CODE_LOCKED", 409);
    if (code.view() != CODE) {
        --r.codeTriesLeft;
        if (r.codeTriesLeft == 0) refuse("CODE_LOCKED", 409);
        refuse("CODE_INCORRECT", 422, {{"triesLeft", std::to_string(r.codeTriesLeft)}});
    }
    r.status.state = "authorised";
    r.status.authorisedUntil = AUTHORISED_UNTIL;
    RequestStatus out = snapshot(r);
    if (after) std::rethrow_exception(after);
    return out;
}

AttachmentInfo FakeAuthority::uploadAttachment(const std::string& requestId, const std::string& kind,
                                               ByteView bytes) {
    std::lock_guard lock(mutex_);
    auto after = enter("uploadAttachment");
    Request& r = find(requestId);
    if (r.status.route != "review") refuse("WRONG_ROUTE", 409);
    requireState(r.status, {"open"});
    bool known = false;
    for (const char* k : KINDS) known = known || kind == k;
    if (!known) refuse("ATTACHMENT_KIND", 422);
    AttachmentInfo info{kind, contentTypeOf(bytes), bytes.size(), sha256Hex(bytes), "2026-03-02T08:05:00Z",
                        false};
    r.attachments[kind] = info;
    if (after) std::rethrow_exception(after);
    return info;
}

RequestStatus FakeAuthority::submit(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("submit");
    Request& r = find(requestId);
    if (r.status.route != "review") refuse("WRONG_ROUTE", 409);
    requireState(r.status, {"open"});
    std::string missing;
    for (const char* k : KINDS) {
        if (r.attachments.count(k) == 0) missing += std::string(missing.empty() ? "" : ",") + "\"" + k + "\"";
    }
    if (!missing.empty()) refuse("ATTACHMENTS_MISSING", 409, {{"missing", "[" + missing + "]"}});
    r.status.state = "in_review";
    r.status.submittedAt = SUBMITTED_AT;
    r.status.dueDate = DUE_DATE;
    RequestStatus out = snapshot(r);
    if (after) std::rethrow_exception(after);
    return out;
}

RequestStatus FakeAuthority::status(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("status");
    RequestStatus out = snapshot(find(requestId));
    if (after) std::rethrow_exception(after);
    return out;
}

std::map<std::string, std::string> FakeAuthority::applicationForm(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("applicationForm");
    const Request& r = find(requestId);
    std::map<std::string, std::string> form = {{"requestId", requestId},
                                               {"createdDate", "2026-03-02"},
                                               {"organization", r.handler.organization},
                                               {"handlerName", r.handler.name},
                                               {"maskedPhone", masked(r.handler.phone)},
                                               {"cardSerial", r.cardSerial}};
    if (after) std::rethrow_exception(after);
    return form;
}

RequestStatus FakeAuthority::withdraw(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("withdraw");
    Request& r = find(requestId);
    requireState(r.status, {"open", "in_review"});
    r.status.state = "withdrawn";
    RequestStatus out = snapshot(r);
    if (after) std::rethrow_exception(after);
    return out;
}

Credential FakeAuthority::credential(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("credential");
    Request& r = find(requestId);
    if (r.status.state != "authorised" && r.status.state != "approved") {
        refuse("NOT_AUTHORISED", 403, {{"state", r.status.state}});
    }
    if (r.approvalExpired) refuse("APPROVAL_EXPIRED", 409);
    Card& card = cards_[r.cardSerial];
    Credential c;
    c.currentPuk = Secret(pukOf(card.epoch));
    c.nextPuk = Secret(pukOf(card.epoch + 1));
    c.epoch = card.epoch;
    c.nextEpoch = card.epoch + 1;
    c.pendingRotation = card.pending;
    card.pending = true;
    r.status.credentialReleased = true;
    if (after) std::rethrow_exception(after);
    return c;
}

RequestStatus FakeAuthority::complete(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    auto after = enter("complete");
    Request& r = find(requestId);
    if (r.status.state != "completed") {
        if (!r.status.credentialReleased) refuse("NOT_RELEASED", 409);
        Card& card = cards_[r.cardSerial];
        ++card.epoch;
        card.pending = false;
        r.status.state = "completed";
    }
    RequestStatus out = snapshot(r);
    if (after) std::rethrow_exception(after);
    return out;
}

// ----- sharing ------------------------------------------------------------------------------------------

namespace {

class SharedClient final : public AuthorityClient {
  public:
    explicit SharedClient(std::shared_ptr<FakeAuthority> a) : a_(std::move(a)) {}
    CreatedRequest createRequest(const CreateRequest& r) override { return a_->createRequest(r); }
    CodeSent sendCode(const std::string& id) override { return a_->sendCode(id); }
    RequestStatus verifyCode(const std::string& id, const Secret& code) override {
        return a_->verifyCode(id, code);
    }
    AttachmentInfo uploadAttachment(const std::string& id, const std::string& kind, ByteView bytes) override {
        return a_->uploadAttachment(id, kind, bytes);
    }
    RequestStatus submit(const std::string& id) override { return a_->submit(id); }
    RequestStatus status(const std::string& id) override { return a_->status(id); }
    std::map<std::string, std::string> applicationForm(const std::string& id) override {
        return a_->applicationForm(id);
    }
    RequestStatus withdraw(const std::string& id) override { return a_->withdraw(id); }
    Credential credential(const std::string& id) override { return a_->credential(id); }
    RequestStatus complete(const std::string& id) override { return a_->complete(id); }

  private:
    std::shared_ptr<FakeAuthority> a_;
};

}  // namespace

std::unique_ptr<AuthorityClient> clientOf(std::shared_ptr<FakeAuthority> authority) {
    return std::make_unique<SharedClient>(std::move(authority));
}

}  // namespace cardbridge::test
