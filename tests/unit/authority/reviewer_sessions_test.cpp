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
    for (int i = 0; i < 10; ++i) EXPECT_EQ(login("wrong").outcome, LoginResult::Outcome::WrongCredentials);
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
    clock_.advance(std::chrono::hours(8) - std::chrono::seconds(1));
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

}  // namespace
}  // namespace cardbridge::authority::test
