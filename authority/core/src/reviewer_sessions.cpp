#include "cardbridge/authority/core/reviewer_sessions.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cardbridge/authority/core/client_address.hpp"
#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/rules/form.hpp"
#include "fixed_window.hpp"
#include "request_ledger.hpp"

namespace cardbridge::authority {

namespace {

using nlohmann::json;

constexpr std::size_t TOKEN_BYTES = 32;

// A valid scrypt hash of a random password, verified when the name is unknown so both cases cost the same.
constexpr std::string_view DUMMY_HASH =
    "scrypt$15$8$1$6F6E6C7920666F722074696D696E6721$"
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace

ReviewerSessions::ReviewerSessions(const ReviewerSessionPolicy& policy, Storage& storage,
                                   detail::RequestLedger& ledger, const Clock& clock, Random& random)
    : policy_(policy), storage_(storage), ledger_(ledger), clock_(clock), random_(random) {}

std::int64_t ReviewerSessions::createReviewer(const std::string& name, const std::string& passwordHash) {
    const auto normalised = rules::normalizeText(name).value_or("");
    if (normalised.empty() || normalised.size() > 100) {
        fail(reason::FORM_INVALID, "reviewer name invalid", {{"field", "name"}, {"problem", "length"}});
    }
    if (passwordHash.empty())
        fail(reason::FORM_INVALID, "password hash empty", {{"field", "password"}, {"problem", "required"}});
    std::int64_t id = 0;
    storage_.inTransaction([&] {
        id = storage_.insertReviewer({0, normalised, passwordHash, clock_.now(), false});
        ledger_.audit("cli", "reviewer.create", "", {{"reviewer", normalised}});
    });
    return id;
}

std::optional<ReviewerRecord> ReviewerSessions::findReviewer(const std::string& name) {
    return storage_.findReviewerByName(rules::normalizeText(name).value_or(name));
}

std::string ReviewerSessions::newFormToken() {
    return toLowerHex(random_.bytes(TOKEN_BYTES));
}

LoginResult ReviewerSessions::login(const std::string& name, const Secret& password,
                                    const std::string& clientAddress) {
    const std::string client = "client:" + clientAddress;
    const Seconds now = clock_.now();
    LoginResult result;
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(policy_.loginWindow);
    if (detail::countInWindow(storage_, "login:" + rateLimitBucket(clientAddress), window, now).count >
        policy_.loginAttemptsPerWindow) {
        ledger_.audit(client, "review.login_throttled", "");
        result.outcome = LoginResult::Outcome::Throttled;
        return result;
    }
    // Per account, whether the name exists or not (so a lock tells nothing about which names do): after
    // accountFailuresBeforeLock failures in a row, the name is locked for accountLockBase, doubling with
    // each further failure up to accountLockMax. Only a hash of the typed name is stored.
    const std::string account =
        sha256Hex("cardbridge-login-account:" + rules::normalizeText(name).value_or(name));
    LoginFailures failures = storage_.loginFailures(account);
    if (failures.lockedUntil > now) {
        ledger_.audit(client, "review.login_locked", "");
        result.outcome = LoginResult::Outcome::Throttled;
        return result;
    }
    const auto reviewer = name.empty() ? std::nullopt : findReviewer(name);
    const bool ok = reviewer && !reviewer->disabled
                        ? verifyPassword(password.view(), reviewer->passwordHash)
                        : (static_cast<void>(verifyPassword(password.view(), DUMMY_HASH)), false);
    if (!ok) {
        ++failures.failures;
        const int over = failures.failures - policy_.accountFailuresBeforeLock;
        if (over >= 0) {
            auto lock = policy_.accountLockBase;
            for (int i = 0; i < over && lock < policy_.accountLockMax; ++i) lock *= 2;
            failures.lockedUntil = now + std::min(lock, policy_.accountLockMax);
        }
        // What was typed as the name is not recorded: it is often a password typed in the wrong field.
        storage_.inTransaction([&] {
            storage_.setLoginFailures(account, failures, now);
            ledger_.audit(client, "review.login_failed", "",
                          {{"locked", over >= 0}, {"failuresInARow", failures.failures}});
        });
        return result;
    }
    std::string token = newFormToken();
    SessionRecord record;
    record.tokenHash = sha256Hex(token);
    record.reviewerId = reviewer->id;
    record.createdAt = now;
    result.lifetime = std::chrono::duration_cast<std::chrono::seconds>(policy_.sessionLifetime);
    record.expiresAt = now + result.lifetime;
    record.csrfHash = sha256Hex(csrfTokenFor(token));
    record.lastSeenAt = now;
    storage_.inTransaction([&] {
        storage_.setLoginFailures(account, {}, now);
        storage_.deleteExpiredSessions(now);
        storage_.insertSession(record);
        ledger_.audit("reviewer:" + reviewer->name, "review.login", "");
    });
    result.outcome = LoginResult::Outcome::LoggedIn;
    result.sessionToken = Secret(token);
    wipe(token);
    return result;
}

std::optional<ReviewerSession> ReviewerSessions::resolve(std::string_view sessionToken) {
    if (sessionToken.size() != 2 * TOKEN_BYTES) return std::nullopt;
    const std::string tokenHash = sha256Hex(sessionToken);
    const auto record = storage_.findSession(tokenHash);
    const Seconds now = clock_.now();
    if (!record || record->expiresAt <= now) return std::nullopt;
    if (now - record->lastSeenAt >= policy_.idleTimeout) {
        storage_.deleteSession(tokenHash);  // idle too long: the absolute life does not keep it
        return std::nullopt;
    }
    const auto reviewer = storage_.findReviewerById(record->reviewerId);
    if (!reviewer || reviewer->disabled) return std::nullopt;
    // Touch at most once a minute: the idle clock needs no finer grain, and each touch is a write.
    if (now - record->lastSeenAt >= std::chrono::minutes(1)) storage_.touchSession(tokenHash, now);
    return ReviewerSession{tokenHash, reviewer->name, csrfTokenFor(sessionToken), record->csrfHash};
}

bool ReviewerSessions::csrfMatches(const ReviewerSession& session, std::string_view presented) {
    return constantTimeEquals(sha256Hex(presented), session.csrfHash);
}

void ReviewerSessions::logout(const ReviewerSession& session) {
    storage_.inTransaction([&] {
        storage_.deleteSession(session.tokenHash);
        ledger_.audit("reviewer:" + session.reviewer, "review.logout", "");
    });
}

std::string csrfTokenFor(std::string_view sessionToken) {
    return sha256Hex("cardbridge-review-csrf:" + std::string(sessionToken));
}

}  // namespace cardbridge::authority
