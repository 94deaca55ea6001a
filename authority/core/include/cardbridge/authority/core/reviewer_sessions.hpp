// ReviewerSessions: reviewer accounts, logins (throttled per client address), sessions and their CSRF
// tokens. Tokens come from the injected Random, times from the injected Clock; storage keeps hashes only;
// logins, failures, throttling and logouts are audited.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

namespace detail {
class RequestLedger;
}

/// A live reviewer session, as the reviewers' pages need it.
struct ReviewerSession {
    std::string tokenHash;  ///< SHA-256 of the session token, lower-case hex (what storage keeps)
    std::string reviewer;   ///< the reviewer's name
    std::string csrfToken;  ///< what every POST form of this session must carry
    std::string csrfHash;   ///< SHA-256 of csrfToken as stored
};

/// Outcome of a login attempt.
struct LoginResult {
    enum class Outcome { LoggedIn, WrongCredentials, Throttled };
    Outcome outcome = Outcome::WrongCredentials;
    Secret sessionToken;               ///< LoggedIn: the token for the session cookie (64 hex characters)
    std::chrono::seconds lifetime{0};  ///< LoggedIn: how long the session lives (the cookie's Max-Age)
};

/// Reviewer accounts and sessions. Thread-safe; keeps references to its collaborators, which must outlive
/// it.
class ReviewerSessions {
  public:
    /// Throws nothing.
    ReviewerSessions(const ReviewerSessionPolicy& policy, Storage& storage, detail::RequestLedger& ledger,
                     const Clock& clock, Random& random);

    /// Creates a reviewer account with an already hashed password (hashPassword); audited. Throws
    /// AuthorityError REVIEWER_EXISTS, FORM_INVALID (empty or over-long name, empty hash).
    std::int64_t createReviewer(const std::string& name, const std::string& passwordHash);

    /// The reviewer named `name` (normalised as at creation), if any. Throws FatalError on storage failure.
    std::optional<ReviewerRecord> findReviewer(const std::string& name);

    /// A fresh random token (64 lower-case hex characters) for a form that has no session yet: the login
    /// form's double-submit cookie. Throws FatalError when the generator fails.
    [[nodiscard]] std::string newFormToken();

    /// Counts the attempt against `clientAddress`'s window (policy.loginAttemptsPerWindow per
    /// policy.loginWindow; IPv6 by /64), refuses (Throttled) while the typed name is locked after
    /// policy.accountFailuresBeforeLock failures in a row (backoff doubling to accountLockMax, known and
    /// unknown names alike), then checks name and password (an unknown name costs the same scrypt) and
    /// opens a session. Every outcome is audited, never with the typed name. Throws FatalError on storage
    /// failure.
    LoginResult login(const std::string& name, const Secret& password, const std::string& clientAddress);

    /// The live session of `sessionToken`: known, within its absolute life and not idle for
    /// policy.idleTimeout (an idle one is deleted), its reviewer not disabled; nullopt otherwise. A use
    /// restarts the idle clock. Throws FatalError on storage failure.
    std::optional<ReviewerSession> resolve(std::string_view sessionToken);

    /// True when `presented` is the session's CSRF token (hashes compared in constant time). Throws
    /// OpenSslError.
    [[nodiscard]] static bool csrfMatches(const ReviewerSession& session, std::string_view presented);

    /// Ends the session; audited. Throws FatalError on storage failure.
    void logout(const ReviewerSession& session);

  private:
    const ReviewerSessionPolicy& policy_;
    Storage& storage_;
    detail::RequestLedger& ledger_;
    const Clock& clock_;
    Random& random_;
};

/// The CSRF token of a session, derived from its token: SHA-256("cardbridge-review-csrf:" ‖ token),
/// lower-case hex. Forms carry it while storage keeps only hashes. Throws OpenSslError.
std::string csrfTokenFor(std::string_view sessionToken);

}  // namespace cardbridge::authority
