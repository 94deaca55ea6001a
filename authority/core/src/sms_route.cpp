#include "cardbridge/authority/core/sms_route.hpp"

#include "cardbridge/authority/core/client_address.hpp"

#include <nlohmann/json.hpp>
#include <optional>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/rules/form.hpp"
#include "cardbridge/rules/sms_code.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "request_checks.hpp"
#include "request_ledger.hpp"

namespace cardbridge::authority {

namespace {

using detail::Change;
using nlohmann::json;

rules::SmsCodeMachine machine(const AuthorityKeys& keys, const Clock& clock, Random& random) {
    return rules::SmsCodeMachine(keys.idKey, clock, random);
}

}  // namespace

SmsRoute::SmsRoute(const AuthorityConfig& config, Storage& storage, const AuthorityKeys& keys,
                   SmsGateway& gateway, detail::RequestLedger& ledger, const Clock& clock, Random& random)
    : config_(config),
      storage_(storage),
      keys_(keys),
      gateway_(gateway),
      ledger_(ledger),
      clock_(clock),
      random_(random) {}

CodeSent SmsRoute::sendCode(const std::string& requestId, const std::string& clientAddress) {
    SmsMessage message;
    CodeSent sent;
    std::int64_t codeId = 0;
    ledger_.change(requestId, [&](const UnlockRequestRecord& r, Seconds now) {
        detail::requireRoute(r, Route::Sms);
        detail::requireState(r, RequestState::Open);
        const CertificateRecord cert = ledger_.certificateOf(r);
        rules::SendHistory history;
        history.lastSentToCard = storage_.lastSendForCard(r.cardSerial);
        const auto dayStart = rules::shanghaiDayStart(rules::shanghaiDate(now));
        history.sentTodayForCard = storage_.countSendsForCard(r.cardSerial, dayStart);
        history.sentTodayForAddress = storage_.countSendsForAddress(rateLimitBucket(clientAddress), dayStart);
        const auto decision = rules::checkSendAllowed(history, now);
        if (decision.kind == rules::SendDecision::Kind::DailyCap) {
            fail(reason::DAILY_CAP, "daily SMS cap reached", {{"retryAfter", decision.retryAfter.count()}});
        }
        if (decision.kind == rules::SendDecision::Kind::Cooldown) {
            fail(reason::CODE_COOLDOWN, "resend too early", {{"retryAfter", decision.retryAfter.count()}});
        }
        if (auto previous = storage_.latestCode(r.id); previous && previous->state == CodeState::Active) {
            previous->state = CodeState::Superseded;
            storage_.updateCode(*previous);
        }
        auto issued = machine(keys_, clock_, random_).issue(r.id);
        SmsCodeRecord code;
        code.requestId = r.id;
        code.codeHash = toHex(issued.record.codeHash);
        code.createdAt = issued.record.issuedAt;
        code.expiresAt = issued.record.issuedAt + rules::SMS_CODE_LIFETIME;
        codeId = storage_.insertCode(code);
        storage_.logSend(r.id, r.cardSerial, rateLimitBucket(clientAddress), now);  // IPv6: its /64
        message.phone = cert.phone;
        message.requestId = r.id;
        message.time = now;
        message.text = "【cardbridge】您的证书解锁验证码为 " + std::string(issued.code.view()) +
                       "，5 分钟内有效。请勿告诉他人；如非本人操作，请忽略本短信。";
        sent.maskedPhone = rules::maskPhone(cert.phone);
        sent.expiresAt = code.expiresAt;
        sent.resendAfterSeconds = static_cast<int>(rules::SMS_RESEND_COOLDOWN.count());
        return Change{
            "client:" + clientAddress,
            "code.send",
            {{"maskedPhone", sent.maskedPhone}, {"expiresAt", code.expiresAt.time_since_epoch().count()}},
            false};
    });
    // Sent after the commit: never holds the database while the provider answers.
    try {
        gateway_.send(message);
    } catch (const RetryableError&) {
        wipe(message.text);
        ledger_.change(requestId, [&](const UnlockRequestRecord&, Seconds) {
            if (auto code = storage_.latestCode(requestId); code && code->id == codeId) {
                code->state = CodeState::Dead;
                storage_.updateCode(*code);
            }
            return Change{"system", "code.send.failed", json::object(), false};
        });
        fail(reason::SMS_UNAVAILABLE, "SMS gateway failed");
    }
    wipe(message.text);
    return sent;
}

RequestStatus SmsRoute::verifyCode(const std::string& requestId, const Secret& code) {
    std::optional<AuthorityError> refusal;
    const RequestStatus status = ledger_.changeStatus(requestId, [&](UnlockRequestRecord& r, Seconds now) {
        detail::requireRoute(r, Route::Sms);
        detail::requireState(r, RequestState::Open);
        auto stored = storage_.latestCode(r.id);
        if (!stored || stored->state == CodeState::Superseded) fail(reason::CODE_NOT_SENT, "no code sent");
        rules::SmsCodeRecord rec;
        rec.codeHash = fromHex(stored->codeHash);
        rec.issuedAt = stored->createdAt;
        rec.wrongTries = stored->wrongTries;
        rec.consumed = stored->state == CodeState::Used;
        if (stored->state == CodeState::Dead && rec.wrongTries < rules::SMS_MAX_WRONG_TRIES) {
            fail(reason::CODE_EXPIRED, "code is dead");  // the gateway failed to deliver it
        }
        const std::string actor = "client:" + r.clientAddress;
        switch (machine(keys_, clock_, random_).verify(&rec, r.id, code.view())) {
            case rules::VerifyResult::Ok:
                stored->state = CodeState::Used;
                storage_.updateCode(*stored);
                r.state = RequestState::Authorised;
                r.authorisedUntil = now + std::chrono::minutes(config_.limits.smsAuthorisationMinutes);
                return Change{actor, "code.verify", {{"result", "ok"}}};
            case rules::VerifyResult::Wrong: {
                stored->wrongTries = rec.wrongTries;
                const int left = rules::SmsCodeMachine::triesLeft(rec);
                if (left == 0) stored->state = CodeState::Dead;
                storage_.updateCode(*stored);
                // Refused after the commit, so that the wrong try counts.
                if (left == 0) {
                    refusal.emplace(reason::CODE_LOCKED, httpStatusFor(reason::CODE_LOCKED), "code locked");
                } else {
                    refusal.emplace(reason::CODE_INCORRECT, httpStatusFor(reason::CODE_INCORRECT),
                                    "wrong code", json{{"triesLeft", left}});
                }
                return Change{actor, "code.verify", {{"result", "wrong"}, {"triesLeft", left}}, false};
            }
            case rules::VerifyResult::Expired:
                fail(reason::CODE_EXPIRED, "code expired");
            case rules::VerifyResult::TooManyTries:
                fail(reason::CODE_LOCKED, "code locked");
            case rules::VerifyResult::AlreadyUsed:
                fail(reason::WRONG_STATE, "code already used", {{"state", toString(r.state)}});
            case rules::VerifyResult::NoCode:
                fail(reason::CODE_NOT_SENT, "no code sent");
        }
        throw FatalError("unknown SMS code verification result");
    });
    if (refusal) throw *refusal;
    return status;
}

}  // namespace cardbridge::authority
