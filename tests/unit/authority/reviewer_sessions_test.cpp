// Reviewer accounts, logins, sessions and CSRF tokens in the core: tokens from the injected Random, time
// from the injected Clock, hashes only in storage, every login outcome and logout audited.
#include "authority_fixture.hpp"

#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/common/digest.hpp"

namespace cardbridge::authority::test {
namespace {

class ReviewerSessionsTest : public AuthorityFixture {
  protected:
    void SetUp() override {
        AuthorityFixture::SetUp();
        sessions().createReviewer("wang", hashPassword("reviewer-password", ScryptParams{10, 8, 1}));
    }
    ReviewerSessions& sessions() { return service_->reviewers(); }
    LoginResult login(const std::string& password = "reviewer-password") {
        return sessions().login("wang", Secret(password), "198.51.100.9");
    }
    std::vector<std::string> auditActions() const {
        std::vector<std::string> out;
        for (const auto& e : storage_->listAudit("", 1000)) out.push_back(e.action);
        return out;
    }
};

TEST_F(ReviewerSessionsTest, LoginOpensASessionStoredAsHashes) {
    const LoginResult result = login();
    ASSERT_EQ(result.outcome, LoginResult::Outcome::LoggedIn);
    const std::string token(result.sessionToken.view());
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(result.lifetime, std::chrono::seconds(8 * 3600));
    EXPECT_FALSE(storage_->findSession(token));
    const auto stored = storage_->findSession(sha256Hex(token));
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->expiresAt, START + std::chrono::hours(8));
    EXPECT_EQ(stored->csrfHash, sha256Hex(csrfTokenFor(token)));

    const auto session = sessions().resolve(token);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->reviewer, "wang");
    EXPECT_EQ(session->csrfToken, csrfTokenFor(token));
    EXPECT_TRUE(ReviewerSessions::csrfMatches(*session, csrfTokenFor(token)));
    EXPECT_FALSE(ReviewerSessions::csrfMatches(*session, csrfTokenFor("other")));
    EXPECT_FALSE(ReviewerSessions::csrfMatches(*session, ""));
}

TEST_F(ReviewerSessionsTest, TokensComeFromTheInjectedRandom) {
    // The fixture's FakeRandom is deterministic: a second service on a fresh stream with the same seed
    // makes the same form token, which a real RNG would not.
    fake::FakeRandom again;
    UnlockService twin(config_, *storage_, *trust_, keys_, sms_, clock_, again);
    fake::FakeRandom fresh;
    EXPECT_EQ(twin.reviewers().newFormToken(), toLowerHex(fresh.bytes(32)));
    EXPECT_EQ(twin.reviewers().newFormToken().size(), 64u);
}

TEST_F(ReviewerSessionsTest, WrongPasswordUnknownNameAndDisabledAreRefused) {
    EXPECT_EQ(login("wrong-password").outcome, LoginResult::Outcome::WrongCredentials);
    EXPECT_EQ(sessions().login("nobody", Secret(std::string("reviewer-password")), "198.51.100.9").outcome,
              LoginResult::Outcome::WrongCredentials);
    EXPECT_EQ(sessions().login("", Secret(std::string("x")), "198.51.100.9").outcome,
              LoginResult::Outcome::WrongCredentials);
    const auto actions = auditActions();
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "review.login_failed"), 3);
}

TEST_F(ReviewerSessionsTest, LoginsAreThrottledPerAddressAndWindowAndAudited) {
    // Ten names, so the per-account lock (5 in a row) is not what answers.
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(sessions()
                      .login("someone-" + std::to_string(i), Secret(std::string("wrong")), "198.51.100.9")
                      .outcome,
                  LoginResult::Outcome::WrongCredentials);
    }
    EXPECT_EQ(login().outcome, LoginResult::Outcome::Throttled);
    // Another address has its own window.
    EXPECT_EQ(sessions().login("wang", Secret(std::string("reviewer-password")), "198.51.100.10").outcome,
              LoginResult::Outcome::LoggedIn);
    const auto actions = auditActions();
    EXPECT_NE(std::find(actions.begin(), actions.end(), "review.login_throttled"), actions.end());
    clock_.advance(std::chrono::minutes(15));
    EXPECT_EQ(login().outcome, LoginResult::Outcome::LoggedIn);
}

TEST_F(ReviewerSessionsTest, SessionsExpireAndEndAtLogout) {
    const std::string token(login().sessionToken.view());
    EXPECT_FALSE(sessions().resolve(std::string(64, 'a')));
    EXPECT_FALSE(sessions().resolve("short"));
    // Used every 20 minutes (within the idle timeout), it lives to its absolute end.
    for (int i = 0; i < 23; ++i) {
        clock_.advance(std::chrono::minutes(20));
        ASSERT_TRUE(sessions().resolve(token)) << i;
    }
    clock_.advance(std::chrono::minutes(20) - std::chrono::seconds(1));
    const auto session = sessions().resolve(token);
    ASSERT_TRUE(session);
    sessions().logout(*session);
    EXPECT_FALSE(sessions().resolve(token));
    EXPECT_FALSE(storage_->findSession(sha256Hex(token)));

    const std::string second(login().sessionToken.view());
    clock_.advance(std::chrono::hours(8));
    EXPECT_FALSE(sessions().resolve(second));
    const auto actions = auditActions();
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "review.login"), 2);
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "review.logout"), 1);
}

TEST_F(ReviewerSessionsTest, AccountsAreCreatedOnceWithAValidName) {
    expectReason([&] { sessions().createReviewer("wang", "scrypt$x"); }, reason::REVIEWER_EXISTS);
    expectReason([&] { sessions().createReviewer("  ", "scrypt$x"); }, reason::FORM_INVALID);
    expectReason([&] { sessions().createReviewer("li", ""); }, reason::FORM_INVALID);
    ASSERT_TRUE(sessions().findReviewer("wang"));
    EXPECT_FALSE(sessions().findReviewer("li"));
}

// Issue 10, finding 6: a session unused for the idle timeout (30 minutes) ends, long before its
// absolute life (8 hours); use restarts the idle clock.
TEST_F(ReviewerSessionsTest, IdleSessionsEnd) {
    const std::string token(login().sessionToken.view());
    clock_.advance(std::chrono::minutes(25));
    ASSERT_TRUE(sessions().resolve(token));
    clock_.advance(std::chrono::minutes(25));
    ASSERT_TRUE(sessions().resolve(token));  // 50 minutes after login, 25 after the last use
    clock_.advance(std::chrono::minutes(30));
    EXPECT_FALSE(sessions().resolve(token));
    EXPECT_FALSE(storage_->findSession(sha256Hex(token)));
}

// Issue 10, finding 6: five failures in a row lock the name — from any address, with the right password
// too — for a minute, doubling with each further failure; unknown names lock the same way.
TEST_F(ReviewerSessionsTest, AccountsLockWithBackoffAfterFailuresInARow) {
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(sessions()
                      .login("wang", Secret(std::string("wrong")), "198.51.100." + std::to_string(i + 1))
                      .outcome,
                  LoginResult::Outcome::WrongCredentials);
    }
    EXPECT_EQ(sessions().login("wang", Secret(std::string("reviewer-password")), "203.0.113.50").outcome,
              LoginResult::Outcome::Throttled);
    clock_.advance(std::chrono::seconds(61));
    EXPECT_EQ(sessions().login("wang", Secret(std::string("wrong")), "203.0.113.51").outcome,
              LoginResult::Outcome::WrongCredentials);  // sixth failure: locked two minutes
    clock_.advance(std::chrono::seconds(61));
    EXPECT_EQ(sessions().login("wang", Secret(std::string("reviewer-password")), "203.0.113.52").outcome,
              LoginResult::Outcome::Throttled);
    clock_.advance(std::chrono::seconds(60));
    EXPECT_EQ(sessions().login("wang", Secret(std::string("reviewer-password")), "203.0.113.53").outcome,
              LoginResult::Outcome::LoggedIn);
    // A success clears the count.
    EXPECT_EQ(storage_->loginFailures(sha256Hex("cardbridge-login-account:wang")).failures, 0);
    for (int i = 0; i < 5; ++i) sessions().login("nobody", Secret(std::string("x")), "198.51.100.60");
    EXPECT_EQ(sessions().login("nobody", Secret(std::string("x")), "198.51.100.61").outcome,
              LoginResult::Outcome::Throttled);
}

// Issue 10, finding 5: a failed login does not record what was typed as the name (often a password typed
// in the wrong field).
TEST_F(ReviewerSessionsTest, FailedLoginsDoNotRecordTheTypedName) {
    sessions().login("Pa55word-typed-as-name", Secret(std::string("x")), "198.51.100.9");
    const auto audit = storage_->listAudit("", 1000);
    ASSERT_EQ(audit.back().action, "review.login_failed");
    for (const auto& entry : audit) {
        EXPECT_EQ(entry.detailsJson.find("Pa55word"), std::string::npos) << entry.detailsJson;
    }
}

}  // namespace
}  // namespace cardbridge::authority::test
