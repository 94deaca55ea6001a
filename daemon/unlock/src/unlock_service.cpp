// The unlock flow: flows, methods, the reset transaction with its journal, repair and polling.
#include "cardbridge/daemon/unlock/unlock_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <future>
#include <initializer_list>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>

#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/time.hpp"
#include "cardbridge/daemon/core/card_json.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/core/params.hpp"
#include "cardbridge/daemon/unlock/attachment.hpp"
#include "cardbridge/daemon/unlock/authority_protocol.hpp"
#include "cardbridge/daemon/unlock/rotation.hpp"

namespace cardbridge::daemon::unlock {

using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;

// ---------------------------------------------------------------------------------------------------------
// Pure helpers

std::string stepOf(const RequestStatus& status) {
    const std::string& s = status.state;
    if (s == "open") return status.route == "sms" ? "sms" : "attachments";
    if (s == "authorised" || s == "approved") return "approved";
    if (s == "in_review") return "in_review";
    if (s == "rejected") return "rejected";
    if (s == "withdrawn") return "withdrawn";
    if (s == "completed") return "done";
    return s;
}

std::chrono::seconds pollDelay(std::chrono::seconds age, std::chrono::seconds min,
                               std::chrono::seconds max) noexcept {
    return std::clamp(age / 8, min, std::max(min, max));
}

namespace {

json extraJson(const AuthorityRefused& e, const char* name) {
    auto it = e.extra().find(name);
    if (it == e.extra().end()) return nullptr;
    json value = json::parse(it->second, nullptr, false);
    return value.is_discarded() ? json(it->second) : value;
}

}  // namespace

void throwAuthorityError(const AuthorityError& error) {
    if (const auto* refused = dynamic_cast<const AuthorityRefused*>(&error)) {
        const std::string& r = refused->reason();
        json extra = {{"authorityReason", r}};
        auto copy = [&](const char* name) {
            if (json v = extraJson(*refused, name); !v.is_null()) extra[name] = std::move(v);
        };
        Reason reason = Reason::AuthorityError;
        if (r == "FORM_INVALID") {
            reason = Reason::FormInvalid;
            json fields = json::array();
            for (const auto& f : refused->fields())
                fields.push_back({{"field", f.field}, {"problem", f.problem}});
            extra["fields"] = std::move(fields);
        } else if (r == "CERT_INVALID" || r == "CERT_UNTRUSTED" || r == "CERT_UNKNOWN") {
            reason = Reason::CertUnknown;
        } else if (r == "CERT_EXPIRED") {
            reason = Reason::CertExpired;
            extra["offline"] = true;
        } else if (r == "CERT_NOT_YET_VALID") {
            reason = Reason::CertNotYetValid;
        } else if (r == "CARD_MISMATCH") {
            reason = Reason::CardMismatch;
        } else if (r == "RATE_LIMITED") {
            reason = Reason::RateLimited;
            copy("retryAfter");
        } else if (r == "CODE_INCORRECT") {
            reason = Reason::CodeIncorrect;
            copy("triesLeft");
        } else if (r == "CODE_EXPIRED") {
            reason = Reason::CodeExpired;
        } else if (r == "CODE_NOT_SENT") {
            reason = Reason::CodeNotSent;
        } else if (r == "CODE_LOCKED") {
            reason = Reason::CodeLocked;
        } else if (r == "CODE_COOLDOWN") {
            reason = Reason::CodeCooldown;
            copy("retryAfter");
        } else if (r == "DAILY_CAP") {
            reason = Reason::DailyCap;
            copy("retryAfter");
        } else if (r == "SMS_UNAVAILABLE") {
            reason = Reason::SmsUnavailable;
        } else if (r == "ATTACHMENT_TOO_LARGE") {
            reason = Reason::AttachmentTooLarge;
            copy("limit");
        } else if (r == "ATTACHMENT_TYPE") {
            reason = Reason::AttachmentType;
        } else if (r == "ATTACHMENT_KIND") {
            reason = Reason::InvalidParams;
            extra["param"] = "kind";
        } else if (r == "ATTACHMENTS_MISSING") {
            reason = Reason::AttachmentsMissing;
            copy("missing");
        } else if (r == "WRONG_ROUTE" || r == "WRONG_STATE" || r == "NOT_AUTHORISED" || r == "NOT_RELEASED") {
            reason = Reason::WrongState;
            copy("state");
        } else if (r == "APPROVAL_EXPIRED") {
            reason = Reason::ApprovalExpired;
        } else if (r == "REQUEST_NOT_FOUND") {
            reason = Reason::RequestNotFound;
        } else if (r == "UNAVAILABLE" || r == "HTTP_502" || r == "HTTP_503" || r == "HTTP_504") {
            reason = Reason::AuthorityUnreachable;
        }
        throw RpcError(reason, std::move(extra), "authority refused: " + r + " (" + error.what() + ")");
    }
    if (dynamic_cast<const AuthorityUnreachable*>(&error) != nullptr) {
        throw RpcError(Reason::AuthorityUnreachable, json::object(), error.what());
    }
    if (dynamic_cast<const AuthorityTlsFailure*>(&error) != nullptr) {
        throw RpcError(Reason::AuthorityUntrusted, json::object(), error.what());
    }
    if (dynamic_cast<const AuthorityConfigError*>(&error) != nullptr) {
        throw RpcError(Reason::AuthorityNotConfigured, json::object(), error.what());
    }
    throw RpcError(Reason::AuthorityError, json::object(), error.what());
}

// ---------------------------------------------------------------------------------------------------------
// The service

namespace {

/// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ"; nothing when it is not that.
std::optional<std::int64_t> parseIso(const std::string& text) {
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
        static_cast<std::size_t>(consumed) != text.size()) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm));
}

/// A flow: one card, one certificate, one request at most.
struct Flow {
    std::mutex work;  ///< held while a step runs: one step at a time per flow
    std::string id;
    std::string reader;
    std::string cardId;
    std::string cardSerial;
    std::string fingerprint;
    std::string slot;
    Bytes certDer;
    json certificate;
    json pin;
    std::string step = "identify";
    std::string route;
    std::string requestId;
    std::optional<std::string> maskedPhone;
    std::optional<RequestStatus> status;
    bool authoritySyncPending = false;
    bool pinFromEarlierAttempt = false;
    bool ended = false;  ///< another card was inserted in the reader (set under the service's mutex)  ///< an
                         ///< earlier, interrupted call had set the PIN already
    SteadyTime lastUsed;
};

/// PukCard over the PIV commands of one transaction.
class PivPukCard final : public PukCard {
  public:
    explicit PivPukCard(card::PivApplication& piv) : piv_(piv) {}
    card::PinResult unblockPin(const Secret& puk, const Secret& newPin) override {
        return piv_.unblockPin(puk, newPin);
    }
    card::PinResult changePuk(const Secret& oldPuk, const Secret& newPuk) override {
        return piv_.changePuk(oldPuk, newPuk);
    }

  private:
    card::PivApplication& piv_;
};

/// A few threads running queued jobs.
class WorkPool {
  public:
    void start(unsigned threads) {
        std::lock_guard lock(mutex_);
        if (!threads_.empty() || stopping_) return;
        for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { run(); });
    }
    void post(std::function<void()> job) {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));
        wake_.notify_one();
    }
    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            wake_.notify_all();
        }
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
        threads_.clear();
        std::deque<std::function<void()>> left;
        {
            std::lock_guard lock(mutex_);
            left.swap(queue_);
        }
        // Jobs own their responders: destroying them answers the callers (INTERNAL).
    }

  private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            try {
                job();
            } catch (const std::exception& e) {
                spdlog::error("unlock: job failed: {}", e.what());
            }
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

/// Where the time of one reset goes (logged, and read by bench/unlock_bench).
struct Timing {
    std::chrono::steady_clock::duration authority{};
    std::chrono::steady_clock::duration card{};     ///< card work, journal writes inside it included
    std::chrono::steady_clock::duration journal{};  ///< write-ahead journal writes (fsync): daemon time
    unsigned authorityCalls = 0;
};
/// The timing of the reset running on this pool thread, if any.
thread_local Timing* currentTiming = nullptr;

double millis(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

/// Measures one reset call on this thread and logs where its time went.
class TimedReset {
  public:
    explicit TimedReset(std::string flowId)
        : flowId_(std::move(flowId)), start_(std::chrono::steady_clock::now()) {
        currentTiming = &timing_;
    }
    ~TimedReset() {
        currentTiming = nullptr;
        const auto total = std::chrono::steady_clock::now() - start_;
        spdlog::info(
            "unlock: flow {}… reset took {:.2f} ms: authority {:.2f} ms in {} calls, card {:.2f} ms, daemon "
            "{:.2f} ms "
            "(journal writes during the card transaction {:.2f} ms)",
            flowId_.substr(0, 8), millis(total), millis(timing_.authority), timing_.authorityCalls,
            millis(timing_.card - timing_.journal),
            millis(total - timing_.authority - timing_.card + timing_.journal), millis(timing_.journal));
    }
    TimedReset(const TimedReset&) = delete;
    TimedReset& operator=(const TimedReset&) = delete;

  private:
    std::string flowId_;
    std::chrono::steady_clock::time_point start_;
    Timing timing_;
};

/// Adds the time until its end to the current reset's authority or card share.
class TimedSpan {
  public:
    explicit TimedSpan(bool authority) : authority_(authority), start_(std::chrono::steady_clock::now()) {}
    ~TimedSpan() {
        if (currentTiming == nullptr) return;
        const auto spent = std::chrono::steady_clock::now() - start_;
        if (authority_) {
            currentTiming->authority += spent;
            ++currentTiming->authorityCalls;
        } else {
            currentTiming->card += spent;
        }
    }
    TimedSpan(const TimedSpan&) = delete;
    TimedSpan& operator=(const TimedSpan&) = delete;

  private:
    bool authority_;
    std::chrono::steady_clock::time_point start_;
};

/// What the poller does next for one card.
struct PollItem {
    enum class Kind { Status, Complete } kind = Kind::Status;
    std::chrono::system_clock::time_point due;
    unsigned attempts = 0;
};

std::string slotOf(const json& params) {
    auto slot = optionalString(params, "slot");
    return slot ? *slot : std::string();
}

}  // namespace

struct UnlockService::Impl : std::enable_shared_from_this<UnlockService::Impl> {
    Impl(CardService& cards, std::unique_ptr<AuthorityClient> client, UnlockOptions options)
        : cards_(cards),
          client_(std::move(client)),
          options_(std::move(options)),
          store_(options_.stateDir),
          clock_(options_.clock != nullptr ? *options_.clock : systemClock_),
          random_(options_.random != nullptr ? *options_.random : systemRandom_) {}

    CardService& cards_;
    std::unique_ptr<AuthorityClient> client_;
    UnlockOptions options_;
    UnlockStore store_;
    SystemClock systemClock_;
    SystemRandom systemRandom_;
    const Clock& clock_;
    Random& random_;
    WorkPool pool_;

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Flow>> flows_;
    std::map<std::string, PollItem> polls_;          ///< by card id
    std::map<std::string, std::mutex> cardMutexes_;  ///< by card id; never erased (a few per machine)
    bool stopping_ = false;
    std::condition_variable pollWake_;
    std::thread poller_;

    std::mutex sinkMutex_;
    NotificationSink* sink_ = nullptr;

    // ----- plumbing -------------------------------------------------------------------------------------

    AuthorityClient& client() {
        if (!client_) throw RpcError(Reason::AuthorityNotConfigured, {}, "authority.url is not configured");
        return *client_;
    }

    /// Runs one authority call, its failures mapped to reasons.
    template <typename Call>
    auto authority(Call call) {
        AuthorityClient& c = client();
        try {
            TimedSpan span(true);
            return call(c);
        } catch (const AuthorityError& e) {
            throwAuthorityError(e);
        }
    }

    /// Runs `work` on the reader's worker and waits for it (this is a pool thread, never a network thread).
    template <typename Work>
    auto onCard(const std::string& reader, Work work) -> std::invoke_result_t<Work&, ReaderSession&> {
        using Result = std::invoke_result_t<Work&, ReaderSession&>;
        auto promise = std::make_shared<std::promise<Result>>();
        auto future = promise->get_future();
        TimedSpan span(false);  // queueing behind other card work counts as card time
        cards_.post(reader, [promise, &work](ReaderSession& session) {
            try {
                if constexpr (std::is_void_v<Result>) {
                    work(session);
                    promise->set_value();
                } else {
                    promise->set_value(work(session));
                }
            } catch (...) {
                promise->set_exception(std::current_exception());
            }
        });
        return future.get();
    }

    std::string now() const { return isoTime(clock_.now()); }

    void writeJournal(const JournalEntry& entry, Timing* timing = nullptr) {
        const auto start = std::chrono::steady_clock::now();
        JournalEntry copy = entry;
        copy.updatedAt = now();
        // Reset says nothing about the card that Credential does not (RESET RETRY COUNTER leaves the PUK as
        // it is): losing it to a power cut is harmless, so it skips the fsyncs that the other steps need.
        store_.writeJournal(copy, entry.step != JournalStep::Reset);
        spdlog::info("unlock: journal {} step {} (request {}…)", entry.cardId.substr(0, 8),
                     toString(entry.step), entry.requestId.substr(0, 8));
        if (timing != nullptr) timing->journal += std::chrono::steady_clock::now() - start;
        if (options_.afterJournalWrite) options_.afterJournalWrite(entry.step);
    }

    void notify(const json& params) {
        std::lock_guard lock(sinkMutex_);
        if (sink_ != nullptr) sink_->broadcast("unlock.statusChanged", params, Capability::Read);
    }

    /// Posts `work` (which returns the result JSON) to the pool and completes `responder` from there.
    void run(const std::shared_ptr<Responder>& responder, std::function<json()> work) {
        client();  // AUTHORITY_NOT_CONFIGURED before anything else, for every unlock.* method
        pool_.post([responder, work = std::move(work)] { completeWith(responder, work); });
    }

    // ----- flows ----------------------------------------------------------------------------------------

    std::shared_ptr<Flow> findFlow(const std::string& id) {
        std::lock_guard lock(mutex_);
        const SteadyTime t = std::chrono::steady_clock::now();
        for (auto it = flows_.begin(); it != flows_.end();) {
            it = t - it->second->lastUsed > options_.flowIdle ? flows_.erase(it) : std::next(it);
        }
        auto it = flows_.find(id);
        if (it == flows_.end()) throw RpcError(Reason::FlowNotFound, {}, "no flow " + id.substr(0, 8));
        if (it->second->ended) {
            throw RpcError(Reason::CardChanged, {},
                           "another card was inserted in '" + it->second->reader + "'");
        }
        it->second->lastUsed = t;
        return it->second;
    }

    void forget(const std::string& id) {
        std::lock_guard lock(mutex_);
        flows_.erase(id);
    }

    std::string wizardUrl(const Flow& flow) const {
        const std::uint16_t port = options_.port ? options_.port() : 0;
        return "https://127.0.0.1:" + std::to_string(port) + "/unlock.html?flow=" + flow.id;
    }

    json flowJson(const Flow& flow) const {
        json out = {{"flowId", flow.id},
                    {"step", flow.step},
                    {"reader", flow.reader},
                    {"cardId", flow.cardId},
                    {"cardSerial", flow.cardSerial},
                    {"certificate", flow.certificate},
                    {"pin", flow.pin},
                    {"wizardUrl", wizardUrl(flow)}};
        if (!flow.requestId.empty()) {
            out["requestId"] = flow.requestId;
            out["route"] = flow.route;
        }
        if (flow.maskedPhone) out["maskedPhone"] = *flow.maskedPhone;
        if (flow.authoritySyncPending) out["authoritySyncPending"] = true;
        if (flow.pinFromEarlierAttempt) out["pinFromEarlierAttempt"] = true;
        if (const auto& s = flow.status) {
            if (s->submittedAt) out["submittedAt"] = *s->submittedAt;
            if (s->dueDate) {
                out["dueDate"] = *s->dueDate;
                out["dueIsEstimate"] = s->dueIsEstimate;
            }
            if (s->decidedAt) out["decidedAt"] = *s->decidedAt;
            if (s->rejectReason) out["rejectReason"] = *s->rejectReason;
            if (s->authorisedUntil) out["authorisedUntil"] = *s->authorisedUntil;
            json attachments = json::array();
            for (const auto& a : s->attachments) {
                attachments.push_back({{"kind", a.kind},
                                       {"contentType", a.contentType},
                                       {"size", a.size},
                                       {"sha256", a.sha256},
                                       {"uploadedAt", a.uploadedAt}});
            }
            out["attachments"] = std::move(attachments);
        }
        return out;
    }

    json changeJson(const std::string& cardId, const std::string& requestId, const std::string& step,
                    const std::optional<RequestStatus>& status) {
        json out = {{"cardId", cardId}, {"requestId", requestId}, {"step", step}};
        {
            std::lock_guard lock(mutex_);
            SteadyTime newest{};
            for (const auto& [id, flow] : flows_) {
                if (flow->cardId == cardId && flow->lastUsed >= newest) {
                    newest = flow->lastUsed;
                    out["flowId"] = id;
                }
            }
        }
        if (status) {
            if (status->dueDate) out["dueDate"] = *status->dueDate;
            if (status->rejectReason) out["rejectReason"] = *status->rejectReason;
            if (status->authorisedUntil) out["authorisedUntil"] = *status->authorisedUntil;
        }
        return out;
    }

    /// stepOf(status), and "expired" for an approval whose authorisedUntil has passed.
    std::string stepAt(const RequestStatus& status) const {
        std::string step = stepOf(status);
        if (step == "approved" && status.authorisedUntil) {
            const auto until = parseIso(*status.authorisedUntil);
            if (until && *until <= clock_.now().time_since_epoch().count()) step = "expired";
        }
        return step;
    }

    /// Applies a fresh authority status to `flow` (work mutex held); announces a step change; keeps the
    /// pending record in step.
    void applyStatus(Flow& flow, const RequestStatus& status) {
        const std::string before = flow.step;
        flow.status = status;
        flow.route = status.route;
        std::string step = stepAt(status);
        // A journalled rotation is waiting for the user's PIN: the request is authorised whatever its route.
        flow.step = step;
        if (step != before) {
            spdlog::info("unlock: flow {}… step {} → {}", flow.id.substr(0, 8), before, step);
            notify(changeJson(flow.cardId, flow.requestId, step, status));
        }
        keepPending(flow.cardId, flow.cardSerial, flow.requestId, flow.fingerprint, flow.slot, step);
    }

    void keepPending(const std::string& cardId, const std::string& cardSerial, const std::string& requestId,
                     const std::string& fingerprint, const std::string& slot, const std::string& step) {
        const bool waiting = step == "attachments" || step == "in_review" || step == "approved";
        auto existing = store_.pending(cardId);
        if (!waiting) {
            if (existing && existing->requestId == requestId) store_.removePending(cardId);
            std::lock_guard lock(mutex_);
            if (!store_.journal(cardId)) polls_.erase(cardId);
            return;
        }
        PendingRequest p = existing && existing->requestId == requestId ? *existing : PendingRequest{};
        if (p.requestId.empty()) {
            p = {cardId, cardSerial, requestId, fingerprint, slot, step, now(), now()};
        }
        if (p.step != step) {
            p.step = step;
            p.updatedAt = now();
        }
        if (!existing || existing->step != p.step || existing->requestId != p.requestId)
            store_.writePending(p);
        if (step == "in_review") schedulePoll(cardId, p.createdAt, 0);
    }

    void schedulePoll(const std::string& cardId, const std::string& createdAt, unsigned attempts) {
        const auto created = parseIso(createdAt).value_or(clock_.now().time_since_epoch().count());
        const auto age = std::chrono::seconds(
            std::max<std::int64_t>(0, clock_.now().time_since_epoch().count() - created));
        const auto delay = pollDelay(age, options_.pollInterval, options_.pollMaxInterval);
        std::lock_guard lock(mutex_);
        auto& item = polls_[cardId];
        item.kind = PollItem::Kind::Status;
        item.attempts = attempts;
        item.due = std::chrono::system_clock::now() + delay;
        pollWake_.notify_all();
    }

    void scheduleComplete(const std::string& cardId, unsigned attempts) {
        auto delay = options_.pollInterval * (1u << std::min(attempts, 6u));
        if (delay > options_.pollMaxInterval) delay = options_.pollMaxInterval;
        std::lock_guard lock(mutex_);
        auto& item = polls_[cardId];
        item.kind = PollItem::Kind::Complete;
        item.attempts = attempts;
        item.due = std::chrono::system_clock::now() + delay;
        pollWake_.notify_all();
    }

    // ----- card facts -----------------------------------------------------------------------------------

    struct CardFacts {
        std::string cardId, cardSerial, fingerprint, slot;
        Bytes certDer;
        json certificate;
        json pin;
        std::chrono::system_clock::time_point notBefore, notAfter;
        std::string notBeforeIso, notAfterIso;
    };

    static CardFacts readFacts(ReaderSession& session, const std::string& wantedSlot) {
        const CardSnapshot& snap = session.snapshot();
        const SlotCertificate* chosen = nullptr;
        std::optional<std::uint8_t> slot;
        if (!wantedSlot.empty()) {
            slot = parseSlot(wantedSlot);
            if (!slot) invalidParam("slot", "slot must be a PIV certificate slot such as \"9a\"");
        }
        for (const auto& entry : snap.certificates) {
            if (!entry.certificate) continue;
            if (slot ? entry.slot == *slot : entry.slot == 0x9a) {
                chosen = &entry;
                break;
            }
        }
        if (chosen == nullptr && !slot) {
            for (const auto& entry : snap.certificates) {
                if (entry.certificate) {
                    chosen = &entry;
                    break;
                }
            }
        }
        if (chosen == nullptr) {
            throw RpcError(Reason::CertNotFound, {{"slot", wantedSlot.empty() ? "9a" : wantedSlot}},
                           "no certificate to unlock with");
        }
        const Certificate& cert = *chosen->certificate;
        CardFacts facts;
        facts.cardId = snap.cardId;
        facts.cardSerial = snap.serial ? std::to_string(*snap.serial) : snap.cardId;
        facts.fingerprint = cert.sha256Fingerprint();
        facts.slot = slotName(chosen->slot);
        facts.certDer = cert.der();
        facts.certificate = {{"slot", facts.slot},
                             {"subject", nameToJson(cert.subject()).value("text", "")},
                             {"issuer", nameToJson(cert.issuer()).value("text", "")},
                             {"serialNumber", cert.serialNumber()},
                             {"notBefore", cert.notBeforeIso()},
                             {"notAfter", cert.notAfterIso()},
                             {"sha256", cert.sha256Fingerprint()}};
        facts.notBefore = cert.notBefore();
        facts.notAfter = cert.notAfter();
        facts.notBeforeIso = cert.notBeforeIso();
        facts.notAfterIso = cert.notAfterIso();
        facts.pin = pinToJson(session.refreshPin());
        return facts;
    }

    /// Throws CARD_CHANGED (and forgets the flow) unless the reader holds the flow's card and certificate.
    void checkCard(ReaderSession& session, const Flow& flow) {
        const CardSnapshot& snap = session.snapshot();
        bool same = snap.cardId == flow.cardId;
        if (same) {
            same = std::any_of(
                snap.certificates.begin(), snap.certificates.end(), [&](const SlotCertificate& c) {
                    return c.certificate && c.certificate->sha256Fingerprint() == flow.fingerprint;
                });
        }
        if (!same) {
            forget(flow.id);
            throw RpcError(Reason::CardChanged, {}, "the flow's card is no longer in '" + flow.reader + "'");
        }
    }

    // ----- the reset transaction ------------------------------------------------------------------------

    [[noreturn]] static void throwStuck(const JournalEntry& journal) {
        throw RpcError(Reason::PukMismatch, {{"requestId", journal.requestId}},
                       "card " + journal.cardId.substr(0, 8) + "… refused the PUKs before (journal stuck)");
    }

    /// Runs the card part; when the card refuses the PUKs, marks the journal stuck so that no later run
    /// spends another try on them, and rethrows.
    template <typename Work>
    auto refusalsStick(JournalEntry& entry, Work work) {
        try {
            return work();
        } catch (const PinRefusedError&) {
            entry.stuck = true;
            try {
                store_.writeJournal(entry, true);
            } catch (const std::exception& e) {
                spdlog::error("unlock: cannot mark the journal stuck: {}", e.what());
            }
            spdlog::error(
                "unlock: card {}… refused the authority's PUKs; journal marked stuck, no more tries",
                entry.cardId.substr(0, 8));
            throw;
        }
    }

    /// Fetches the PUKs, rotates on the card (setting `newPin` unless an earlier run did), completes.
    /// `flow` is locked by the caller. Leaves the journal behind on any failure.
    void performReset(Flow& flow, const Secret* newPin) {
        std::lock_guard cardWork(cardMutex(flow.cardId));
        // Another request's rotation left half done on this card comes first.
        if (auto other = store_.journal(flow.cardId); other && other->requestId != flow.requestId) {
            repair(flow.reader, *other);
            if (store_.journal(flow.cardId)) {
                throw RpcError(Reason::CardError, {},
                               "an earlier PUK rotation on this card could not be finished");
            }
        }
        std::optional<JournalEntry> journal = store_.journal(flow.cardId);
        if (journal && journal->stuck) throwStuck(*journal);
        JournalEntry entry =
            journal ? *journal
                    : JournalEntry{
                          flow.cardId, flow.cardSerial, flow.requestId, 0, 0, JournalStep::Credential, {}};
        if (!journal) writeJournal(entry);

        Credential credential;
        try {
            credential = authority([&](AuthorityClient& c) { return c.credential(flow.requestId); });
        } catch (const RpcError& e) {
            const bool refused = e.reason() == Reason::ApprovalExpired || e.reason() == Reason::WrongState ||
                                 e.reason() == Reason::RequestNotFound;
            if (!refused) throw;  // unreachable and such: the journal keeps the authorised request for later
            // The authority will not release these PUKs any more. No card command was sent for this journal
            // unless it is past Reset (and then a repair finished it, or the request was completed).
            const bool cardTouched = journal && journal->step >= JournalStep::Rotate;
            store_.removeJournal(flow.cardId);
            if (e.reason() == Reason::ApprovalExpired) {
                flow.step = "expired";
            } else if (e.reason() == Reason::WrongState) {
                // Completed already (a repair, or our own `complete` whose answer was lost), or withdrawn or
                // rejected meanwhile.
                std::optional<RequestStatus> latest;
                try {
                    latest = authority([&](AuthorityClient& c) { return c.status(flow.requestId); });
                } catch (const RpcError&) {
                }
                if (latest && latest->state == "completed") {
                    flow.step = "done";
                    flow.pinFromEarlierAttempt = newPin != nullptr && (cardTouched || !journal);
                    keepPending(flow.cardId, flow.cardSerial, flow.requestId, flow.fingerprint, flow.slot,
                                flow.step);
                    return;
                }
                if (latest) flow.step = stepAt(*latest);
            }
            keepPending(flow.cardId, flow.cardSerial, flow.requestId, flow.fingerprint, flow.slot, flow.step);
            throw;
        }
        entry.epoch = credential.epoch;
        entry.nextEpoch = credential.nextEpoch;
        const PukHolder holder = pukHolder(journal, credential);

        RotationOutcome outcome;
        Timing* timing = currentTiming;  // the card job runs on the reader's worker, not on this thread
        if (entry.step != JournalStep::Complete) {
            flow.pin = refusalsStick(entry, [&] {
                return onCard(flow.reader, [&](ReaderSession& session) {
                    checkCard(session, flow);
                    session.card().exclusive([&](card::PivApplication& piv) {
                        PivPukCard puk(piv);
                        outcome =
                            rotateOnCard(puk, entry, holder, credential, newPin,
                                         [this, timing](const JournalEntry& e) { writeJournal(e, timing); });
                    });
                    // A successful RESET RETRY COUNTER leaves the PIN unblocked and not verified; its count
                    // is read after the answer has gone (below), so the reset stays at the protocol's 3
                    // APDUs.
                    return pinToJson({card::PinRetries::State::NotVerified, std::nullopt});
                });
            });
            try {
                // Next in this reader's queue: the cache and every page (card.pinChanged) get the count.
                cards_.post(flow.reader, [](ReaderSession& session) { session.refreshPin(); });
            } catch (const std::exception& e) {
                spdlog::debug("unlock: PIN state refresh not queued: {}", e.what());
            }
            spdlog::info("unlock: card {}… reset and rotated to epoch {}", flow.cardId.substr(0, 8),
                         entry.nextEpoch);
        }
        credential.currentPuk.clear();
        credential.nextPuk.clear();
        finishComplete(entry);
        flow.authoritySyncPending = store_.journal(flow.cardId).has_value();
        flow.pinFromEarlierAttempt = newPin != nullptr && !outcome.pinReset;
        flow.step = "done";
        keepPending(flow.cardId, flow.cardSerial, flow.requestId, flow.fingerprint, flow.slot, flow.step);
    }

    /// The authority's `complete`; on an outage the poller keeps trying.
    void finishComplete(const JournalEntry& entry) {
        try {
            authority([&](AuthorityClient& c) { return c.complete(entry.requestId); });
        } catch (const RpcError& e) {
            if (e.reason() == Reason::AuthorityUnreachable || e.reason() == Reason::AuthorityError) {
                spdlog::warn("unlock: complete of request {}… failed ({}); retrying later",
                             entry.requestId.substr(0, 8), e.what());
                scheduleComplete(entry.cardId, 0);
                return;
            }
            if (e.reason() != Reason::WrongState) throw;
            // NOT_RELEASED etc.: nothing pending at the authority any more.
        }
        store_.removeJournal(entry.cardId);
        std::lock_guard lock(mutex_);
        polls_.erase(entry.cardId);
    }

    /// The mutex that serialises rotations and repairs of one card (an insertion and a begin may both want
    /// to repair it; two repairs at once would each spend a PUK try).
    std::mutex& cardMutex(const std::string& cardId) {
        std::lock_guard lock(mutex_);
        return cardMutexes_[cardId];
    }

    /// repair() of the card's journal as it is once no other rotation of the card runs (it may be gone).
    void repairLatest(const std::string& reader, const std::string& cardId) {
        std::lock_guard cardWork(cardMutex(cardId));
        if (auto journal = store_.journal(cardId)) repair(reader, *journal);
    }

    /// Finishes a journalled rotation without the user: Complete → `complete`; Rotate → credential, CHANGE,
    /// `complete`. Credential/Reset are left for the user's next call (their PIN is needed). Throws.
    void repair(const std::string& reader, JournalEntry entry) {
        if (entry.step == JournalStep::Complete) {
            finishComplete(entry);
            return;
        }
        if (entry.step != JournalStep::Rotate) return;
        if (entry.stuck) {
            spdlog::warn("unlock: card {}… refused the authority's PUKs before; not repairing (support)",
                         entry.cardId.substr(0, 8));
            return;
        }
        spdlog::info("unlock: repairing the interrupted PUK rotation of card {}…", entry.cardId.substr(0, 8));
        Credential credential = authority([&](AuthorityClient& c) { return c.credential(entry.requestId); });
        refusalsStick(entry, [&] {
            onCard(reader, [&](ReaderSession& session) {
                if (session.snapshot().cardId != entry.cardId) {
                    throw RpcError(Reason::CardChanged, {}, "another card is in '" + reader + "'");
                }
                session.card().exclusive([&](card::PivApplication& piv) {
                    PivPukCard puk(piv);
                    rotateOnCard(puk, entry, PukHolder::Unknown, credential, nullptr,
                                 [this](const JournalEntry& e) { writeJournal(e); });
                });
                session.refreshPin();
            });
        });
        credential.currentPuk.clear();
        credential.nextPuk.clear();
        finishComplete(entry);
    }

    // ----- methods --------------------------------------------------------------------------------------

    json begin(const std::string& reader, const std::string& slot) {
        CardFacts facts = onCard(reader, [&](ReaderSession& s) { return readFacts(s, slot); });
        const auto t = std::chrono::system_clock::time_point(clock_.now());
        if (t >= facts.notAfter) {
            json extra = {{"notAfter", facts.notAfterIso}, {"offline", true}};
            if (!options_.offlineUrl.empty()) extra["offlineUrl"] = options_.offlineUrl;
            throw RpcError(Reason::CertExpired, std::move(extra), "the certificate has expired");
        }
        if (t < facts.notBefore) {
            throw RpcError(Reason::CertNotYetValid, {{"notBefore", facts.notBeforeIso}},
                           "the certificate is not valid yet");
        }
        client();  // AUTHORITY_NOT_CONFIGURED before a flow exists

        auto flow = std::make_shared<Flow>();
        flow->id = toLowerHex(random_.bytes(16));
        flow->reader = reader;
        flow->cardId = facts.cardId;
        flow->cardSerial = facts.cardSerial;
        flow->fingerprint = facts.fingerprint;
        flow->slot = facts.slot;
        flow->certDer = std::move(facts.certDer);
        flow->certificate = std::move(facts.certificate);
        flow->pin = std::move(facts.pin);
        flow->lastUsed = std::chrono::steady_clock::now();
        std::lock_guard work(flow->work);

        // A rotation interrupted earlier on this card: finish what needs no PIN now.
        if (auto journal = store_.journal(flow->cardId); journal && journal->step >= JournalStep::Rotate) {
            try {
                repairLatest(reader, journal->cardId);
            } catch (const std::exception& e) {
                spdlog::warn("unlock: repair of card {}… failed: {}", flow->cardId.substr(0, 8), e.what());
            }
        }
        if (auto journal = store_.journal(flow->cardId); journal && journal->step == JournalStep::Complete) {
            // The PIN is set and the card rotated; only the authority's `complete` is still being retried.
            flow->requestId = journal->requestId;
            flow->step = "done";
            flow->authoritySyncPending = true;
        } else if (journal) {
            // Authorised, PUKs perhaps fetched, PIN perhaps not set: the user sets it (resetApproved).
            flow->requestId = journal->requestId;
            flow->step = "approved";
            try {
                flow->status = authority([&](AuthorityClient& c) { return c.status(flow->requestId); });
                flow->route = flow->status->route;
            } catch (const std::exception& e) {
                spdlog::warn("unlock: status of request {}… unavailable: {}", flow->requestId.substr(0, 8),
                             e.what());
            }
        } else if (auto pending = store_.pending(flow->cardId);
                   pending && pending->fingerprint == flow->fingerprint) {
            flow->requestId = pending->requestId;
            flow->step = pending->step;
            flow->route = "review";
            try {
                applyStatus(*flow, authority([&](AuthorityClient& c) { return c.status(flow->requestId); }));
            } catch (const RpcError& e) {
                if (e.reason() == Reason::RequestNotFound) {
                    store_.removePending(flow->cardId);
                    flow->requestId.clear();
                    flow->route.clear();
                    flow->step = "identify";
                } else {
                    spdlog::warn("unlock: status of request {}… unavailable: {}",
                                 flow->requestId.substr(0, 8), e.what());
                }
            }
        }
        {
            std::lock_guard lock(mutex_);
            flows_[flow->id] = flow;
        }
        spdlog::info("unlock: flow {}… begun for card {}… in '{}', step {}", flow->id.substr(0, 8),
                     flow->cardId.substr(0, 8), reader, flow->step);
        return flowJson(*flow);
    }

    static void requireStep(const Flow& flow, std::initializer_list<const char*> steps) {
        for (const char* s : steps) {
            if (flow.step == s) return;
        }
        throw RpcError(Reason::WrongState, {{"step", flow.step}}, "the flow is in step " + flow.step);
    }

    json identify(const std::string& flowId, const Handler& handler) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        requireStep(*flow, {"identify"});
        const CreatedRequest created = authority([&](AuthorityClient& c) {
            return c.createRequest({flow->certDer, flow->cardSerial, handler});
        });
        flow->requestId = created.requestId;
        flow->route = created.route;
        flow->maskedPhone = created.maskedPhone;
        flow->step = created.route == "sms" ? "sms" : "attachments";
        if (flow->step == "attachments") {
            keepPending(flow->cardId, flow->cardSerial, flow->requestId, flow->fingerprint, flow->slot,
                        flow->step);
        }
        spdlog::info("unlock: flow {}… request {}… route {}", flow->id.substr(0, 8),
                     flow->requestId.substr(0, 8), flow->route);
        return flowJson(*flow);
    }

    json sendCode(const std::string& flowId) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        requireStep(*flow, {"sms"});
        const CodeSent sent = authority([&](AuthorityClient& c) { return c.sendCode(flow->requestId); });
        flow->maskedPhone = sent.maskedPhone;
        return {{"maskedPhone", sent.maskedPhone},
                {"expiresAt", sent.expiresAt},
                {"resendAfterSeconds", sent.resendAfterSeconds}};
    }

    json resetWithCode(const std::string& flowId, const Secret& code, const Secret& newPin) {
        card::enforcePinPolicy(newPin);  // a refused PIN must not spend a code try
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        requireStep(*flow, {"sms", "approved"});
        TimedReset timed(flow->id);
        if (flow->step == "sms") {
            const RequestStatus status =
                authority([&](AuthorityClient& c) { return c.verifyCode(flow->requestId, code); });
            flow->status = status;
            flow->step = "approved";
        }
        performReset(*flow, &newPin);
        return flowJson(*flow);
    }

    json resetApproved(const std::string& flowId, const Secret& newPin) {
        card::enforcePinPolicy(newPin);
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        TimedReset timed(flow->id);
        if (flow->step == "in_review") {
            applyStatus(*flow, authority([&](AuthorityClient& c) { return c.status(flow->requestId); }));
        }
        requireStep(*flow, {"approved"});
        performReset(*flow, &newPin);
        return flowJson(*flow);
    }

    json submit(const std::string& flowId) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        requireStep(*flow, {"attachments"});
        applyStatus(*flow, authority([&](AuthorityClient& c) { return c.submit(flow->requestId); }));
        return flowJson(*flow);
    }

    json status(const std::string& flowId) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        if (!flow->requestId.empty() && flow->step != "done") {
            applyStatus(*flow, authority([&](AuthorityClient& c) { return c.status(flow->requestId); }));
        }
        return flowJson(*flow);
    }

    json withdraw(const std::string& flowId) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        requireStep(*flow, {"attachments", "in_review", "sms"});
        applyStatus(*flow, authority([&](AuthorityClient& c) { return c.withdraw(flow->requestId); }));
        return flowJson(*flow);
    }

    json applicationForm(const std::string& flowId) {
        auto flow = findFlow(flowId);
        std::lock_guard work(flow->work);
        if (flow->requestId.empty()) {
            throw RpcError(Reason::WrongState, {{"step", flow->step}}, "the flow has no request yet");
        }
        const auto form = authority([&](AuthorityClient& c) { return c.applicationForm(flow->requestId); });
        json out = json::object();
        for (const auto& [key, value] : form) out[key] = value;
        return out;
    }

    UploadAnswer upload(const std::string& flowId, const std::string& kind, const std::string& body) {
        try {
            client();
            if (!isAttachmentKind(kind)) invalidParam("kind", "unknown attachment kind");
            auto flow = findFlow(flowId);
            std::lock_guard work(flow->work);
            requireStep(*flow, {"attachments"});
            if (body.size() > MAX_ATTACHMENT_BYTES) {
                throw RpcError(Reason::AttachmentTooLarge, {{"limit", MAX_ATTACHMENT_BYTES}},
                               "attachment too large");
            }
            const ByteView bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
            if (!sniffAttachmentType(bytes)) {
                throw RpcError(Reason::AttachmentType, {}, "attachment of an unknown type");
            }
            const AttachmentInfo info = authority(
                [&](AuthorityClient& c) { return c.uploadAttachment(flow->requestId, kind, bytes); });
            if (!flow->status) flow->status = RequestStatus{};
            auto& list = flow->status->attachments;
            list.erase(std::remove_if(list.begin(), list.end(),
                                      [&](const AttachmentInfo& a) { return a.kind == kind; }),
                       list.end());
            list.push_back(info);
            spdlog::info("unlock: flow {}… attachment {} uploaded ({} bytes)", flow->id.substr(0, 8), kind,
                         info.size);
            const json out = {{"kind", info.kind},
                              {"contentType", info.contentType},
                              {"size", info.size},
                              {"sha256", info.sha256},
                              {"uploadedAt", info.uploadedAt}};
            return {200, out.dump()};
        } catch (...) {
            const Classified c = classify(std::current_exception());
            unsigned status = 500;
            switch (c.reason) {
                case Reason::FlowNotFound:
                case Reason::RequestNotFound:
                    status = 404;
                    break;
                case Reason::WrongState:
                    status = 409;
                    break;
                case Reason::AttachmentTooLarge:
                    status = 413;
                    break;
                case Reason::AttachmentType:
                    status = 415;
                    break;
                case Reason::InvalidParams:
                    status = 400;
                    break;
                case Reason::AuthorityUnreachable:
                case Reason::AuthorityUntrusted:
                case Reason::AuthorityError:
                    status = 502;
                    break;
                case Reason::AuthorityNotConfigured:
                    status = 503;
                    break;
                default:
                    break;
            }
            spdlog::info("unlock: upload refused: {} ({})", reasonName(c.reason), c.logDetail);
            json error = c.extra;
            error["reason"] = reasonName(c.reason);
            error["message"] = info(c.reason).message;
            return {status, json{{"error", std::move(error)}}.dump()};
        }
    }

    // ----- background -----------------------------------------------------------------------------------

    /// Ends the flows of `reader` bound to another card than `cardId` (quick; under the mutex).
    void endFlowsOfOtherCards(const std::string& reader, const std::string& cardId) {
        std::vector<json> ended;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, flow] : flows_) {
                if (flow->reader != reader || flow->cardId == cardId || flow->ended) continue;
                flow->ended = true;
                ended.push_back({{"flowId", id},
                                 {"cardId", flow->cardId},
                                 {"step", "ended"},
                                 {"reason", "CARD_CHANGED"}});
                spdlog::info("unlock: flow {}… ended: another card in '{}'", id.substr(0, 8), reader);
            }
        }
        for (const auto& params : ended) notify(params);
    }

    void cardInserted(const std::string& reader, const std::string& cardId) {
        if (!client_) return;
        if (auto journal = store_.journal(cardId); journal && journal->step >= JournalStep::Rotate) {
            try {
                repairLatest(reader, journal->cardId);
            } catch (const std::exception& e) {
                spdlog::warn("unlock: repair of card {}… on insertion failed: {}", cardId.substr(0, 8),
                             e.what());
            }
        }
        if (auto pending = store_.pending(cardId); pending && pending->step == "approved") {
            notify(changeJson(cardId, pending->requestId, pending->step, std::nullopt));
        }
    }

    void pollOnce(const std::string& cardId, PollItem item) {
        if (item.kind == PollItem::Kind::Complete) {
            auto journal = store_.journal(cardId);
            if (!journal || journal->step != JournalStep::Complete) return;
            try {
                client_->complete(journal->requestId);
                store_.removeJournal(cardId);
                spdlog::info("unlock: complete of request {}… delivered", journal->requestId.substr(0, 8));
            } catch (const AuthorityRefused& e) {
                spdlog::warn("unlock: complete of request {}… refused ({}); journal dropped",
                             journal->requestId.substr(0, 8), e.reason());
                store_.removeJournal(cardId);
            } catch (const AuthorityError& e) {
                spdlog::info("unlock: complete still failing: {}", e.what());
                scheduleComplete(cardId, item.attempts + 1);
            }
            return;
        }
        auto pending = store_.pending(cardId);
        if (!pending || pending->step != "in_review") return;
        RequestStatus status;
        try {
            status = client_->status(pending->requestId);
        } catch (const AuthorityRefused& e) {
            if (e.reason() == "REQUEST_NOT_FOUND") store_.removePending(cardId);
            return;
        } catch (const AuthorityError& e) {
            spdlog::info("unlock: status poll failed: {}", e.what());
            schedulePoll(cardId, pending->createdAt, item.attempts + 1);
            return;
        }
        const std::string step = stepAt(status);
        // Keep the flows of this card in step.
        std::vector<std::shared_ptr<Flow>> flows;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, flow] : flows_) {
                if (flow->cardId == cardId && flow->requestId == pending->requestId) flows.push_back(flow);
            }
        }
        for (auto& flow : flows) {
            std::unique_lock work(flow->work, std::try_to_lock);
            if (!work) continue;  // a step is running; it sees the status itself
            flow->status = status;
            flow->step = step;
        }
        keepPending(cardId, pending->cardSerial, pending->requestId, pending->fingerprint, pending->slot,
                    step);
        if (step != pending->step) {
            spdlog::info("unlock: request {}… is now {}", pending->requestId.substr(0, 8), step);
            notify(changeJson(cardId, pending->requestId, step, status));
        }
    }

    void pollLoop() {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            auto next = std::chrono::system_clock::time_point::max();
            for (const auto& [card, item] : polls_) next = std::min(next, item.due);
            if (next == std::chrono::system_clock::time_point::max()) {
                pollWake_.wait(lock);
                continue;
            }
            if (std::chrono::system_clock::now() < next) {
                pollWake_.wait_until(lock, next);
                continue;
            }
            std::vector<std::pair<std::string, PollItem>> due;
            const auto t = std::chrono::system_clock::now();
            for (auto it = polls_.begin(); it != polls_.end();) {
                if (it->second.due <= t) {
                    due.emplace_back(it->first, it->second);
                    it = polls_.erase(it);
                } else {
                    ++it;
                }
            }
            lock.unlock();
            for (auto& [card, item] : due) {
                try {
                    pollOnce(card, item);
                } catch (const std::exception& e) {
                    spdlog::error("unlock: poll of card {}… failed: {}", card.substr(0, 8), e.what());
                }
            }
            lock.lock();
        }
    }
};

// ---------------------------------------------------------------------------------------------------------

UnlockService::UnlockService(CardService& cards, std::unique_ptr<AuthorityClient> client,
                             UnlockOptions options)
    : impl_(std::make_shared<Impl>(cards, std::move(client), std::move(options))) {}

UnlockService::~UnlockService() {
    stop();
}

void UnlockService::start() {
    impl_->pool_.start(impl_->options_.threads);
    {
        std::lock_guard lock(impl_->mutex_);
        if (impl_->poller_.joinable() || impl_->stopping_) return;
    }
    if (impl_->client_) {
        for (const auto& journal : impl_->store_.journals()) {
            if (journal.step == JournalStep::Complete) impl_->scheduleComplete(journal.cardId, 0);
        }
        for (const auto& pending : impl_->store_.pendings()) {
            if (pending.step == "in_review") impl_->schedulePoll(pending.cardId, pending.createdAt, 0);
        }
    }
    std::lock_guard lock(impl_->mutex_);
    impl_->poller_ = std::thread([impl = impl_.get()] { impl->pollLoop(); });
}

void UnlockService::stop() noexcept {
    {
        std::lock_guard lock(impl_->mutex_);
        impl_->stopping_ = true;
        impl_->pollWake_.notify_all();
    }
    if (impl_->poller_.joinable()) impl_->poller_.join();
    impl_->pool_.stop();
}

void UnlockService::setSink(NotificationSink* sink) {
    std::lock_guard lock(impl_->sinkMutex_);
    impl_->sink_ = sink;
}

void UnlockService::onCardEvent(const std::string& method, const json& params) noexcept {
    if (method != "card.inserted") return;
    try {
        const json& card = params.at("card");
        if (!card.is_object()) return;
        const std::string reader = params.at("reader").get<std::string>();
        const std::string cardId = card.at("cardId").get<std::string>();
        if (!isStoreCardId(cardId)) return;
        Impl* impl = impl_.get();
        impl->endFlowsOfOtherCards(reader, cardId);
        impl->pool_.post([impl, reader, cardId] { impl->cardInserted(reader, cardId); });
    } catch (const std::exception& e) {
        spdlog::debug("unlock: card event ignored: {}", e.what());
    }
}

void UnlockService::upload(std::string flowId, std::string kind, std::string body,
                           std::function<void(UploadAnswer)> done) {
    Impl* impl = impl_.get();
    impl->pool_.post([impl, flowId = std::move(flowId), kind = std::move(kind), body = std::move(body),
                      done = std::move(done)] { done(impl->upload(flowId, kind, body)); });
}

std::vector<MethodSpec> UnlockService::methods() {
    Impl* impl = impl_.get();
    auto flowIdOf = [](const json& params) { return requireString(requireObject(params), "flowId"); };
    std::vector<MethodSpec> specs;
    specs.push_back({"unlock.begin", Capability::StartUnlock,
                     [impl](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
                         requireObject(params);
                         const std::string reader = requireString(params, "reader");
                         const std::string slot = slotOf(params);
                         impl->run(responder, [impl, reader, slot] { return impl->begin(reader, slot); });
                     }});
    specs.push_back(
        {"unlock.identify", Capability::Secrets,
         [impl, flowIdOf](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
             const std::string flowId = flowIdOf(params);
             auto it = params.find("handler");
             if (it == params.end() || !it->is_object()) invalidParam("handler", "handler must be an object");
             Handler handler;
             const std::pair<const char*, std::string*> fields[] = {{"organization", &handler.organization},
                                                                    {"name", &handler.name},
                                                                    {"idType", &handler.idType},
                                                                    {"idNumber", &handler.idNumber},
                                                                    {"phone", &handler.phone}};
             for (const auto& [name, target] : fields) {
                 auto f = it->find(name);
                 if (f == it->end()) continue;  // the authority names the missing field
                 if (!f->is_string())
                     invalidParam("handler", std::string("handler.") + name + " must be a string");
                 *target = f->get<std::string>();
             }
             impl->run(responder, [impl, flowId, handler] { return impl->identify(flowId, handler); });
         }});
    specs.push_back(
        {"unlock.sendCode", Capability::Secrets,
         [impl, flowIdOf](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
             const std::string flowId = flowIdOf(params);
             impl->run(responder, [impl, flowId] { return impl->sendCode(flowId); });
         }});
    specs.push_back(
        {"unlock.resetWithCode", Capability::Secrets,
         [impl, flowIdOf](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
             auto secrets = takeSecrets(params, {"code", "newPin"});
             const std::string flowId = flowIdOf(params);
             if (!secrets.contains("code")) invalidParam("code", "code must be a string");
             if (!secrets.contains("newPin")) invalidParam("newPin", "newPin must be a string");
             std::shared_ptr<Secret> code = secrets["code"];
             std::shared_ptr<Secret> pin = secrets["newPin"];
             impl->run(responder, [impl, flowId, code, pin] {
                 json out = impl->resetWithCode(flowId, *code, *pin);
                 code->clear();
                 pin->clear();
                 return out;
             });
         }});
    specs.push_back(
        {"unlock.resetApproved", Capability::Secrets,
         [impl, flowIdOf](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
             auto secrets = takeSecrets(params, {"newPin"});
             const std::string flowId = flowIdOf(params);
             if (!secrets.contains("newPin")) invalidParam("newPin", "newPin must be a string");
             std::shared_ptr<Secret> pin = secrets["newPin"];
             impl->run(responder, [impl, flowId, pin] {
                 json out = impl->resetApproved(flowId, *pin);
                 pin->clear();
                 return out;
             });
         }});
    auto simple = [&](const char* name, Capability capability, json (Impl::*method)(const std::string&)) {
        specs.push_back({name, capability,
                         [impl, flowIdOf, method](const CallContext&, const json& params,
                                                  std::shared_ptr<Responder> responder) {
                             const std::string flowId = flowIdOf(params);
                             impl->run(responder, [impl, flowId, method] { return (impl->*method)(flowId); });
                         }});
    };
    simple("unlock.submit", Capability::Secrets, &Impl::submit);
    simple("unlock.status", Capability::Read, &Impl::status);
    simple("unlock.withdraw", Capability::Secrets, &Impl::withdraw);
    simple("unlock.applicationForm", Capability::Read, &Impl::applicationForm);
    return specs;
}

}  // namespace cardbridge::daemon::unlock
