// What ends or refuses a flow (docs/api.md §4.5): the certificate's validity (checked before the authority
// hears anything), no authority configured, unknown flows, calls in the wrong step, another card inserted
// into the flow's reader, the authority's form check, bad parameters.
#include <gtest/gtest.h>

#include "cardbridge/common/time.hpp"
#include "unlock_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

class FlowErrors : public UnlockServiceTest {};

TEST_F(FlowErrors, AnExpiredCertificateIsTheOfflineProcedure) {
    insert(makeCard(certs().expired));
    startUnlock();
    const json e = error("unlock.begin", {{"reader", READER}});
    EXPECT_EQ(e["code"], -32000);
    EXPECT_EQ(e["data"]["reason"], "CERT_EXPIRED");
    EXPECT_EQ(e["data"]["offline"], true);
    const std::string notAfter = e["data"].value("notAfter", "");
    EXPECT_EQ(notAfter.size(), 20u) << notAfter;  // YYYY-MM-DDTHH:MM:SSZ
    EXPECT_LT(notAfter, isoTime(clock_.now()));
    EXPECT_TRUE(authority_->calls().empty());
}

TEST_F(FlowErrors, ACertificateNotValidYetIsRefusedToo) {
    insert(makeCard(certs().notYetValid));
    startUnlock();
    const json e = error("unlock.begin", {{"reader", READER}});
    EXPECT_EQ(e["data"]["reason"], "CERT_NOT_YET_VALID");
    EXPECT_GT(e["data"].value("notBefore", ""), isoTime(clock_.now()));
    EXPECT_TRUE(authority_->calls().empty());
}

TEST_F(FlowErrors, TheDaemonsClockDecidesValidity) {
    insert(makeCard(certs().valid));
    startUnlock();
    EXPECT_EQ(begin()["step"], "identify");
    clock_.advance(std::chrono::days(400));  // past notAfter
    EXPECT_EQ(error("unlock.begin", {{"reader", READER}})["data"]["reason"], "CERT_EXPIRED");
}

TEST_F(FlowErrors, WithoutAnAuthorityBeginIsNotConfigured) {
    insert(makeCard(certs().valid));
    startUnlock(/*withClient=*/false);
    EXPECT_EQ(error("unlock.begin", {{"reader", READER}})["data"]["reason"], "AUTHORITY_NOT_CONFIGURED");
}

// docs/api.md §4.5: "without it every unlock.* method answers AUTHORITY_NOT_CONFIGURED". The service looks
// the flow up first, so the methods that take a flowId answer FLOW_NOT_FOUND (and an upload 404) instead —
// a wizard opened on a daemon without authority tells the user "the flow is gone" rather than "not set up".
TEST_F(FlowErrors, WithoutAnAuthorityEveryMethodIsNotConfigured) {
    insert(makeCard(certs().valid));
    startUnlock(/*withClient=*/false);
    const std::string flowId(32, 'b');
    for (const char* method :
         {"unlock.status", "unlock.sendCode", "unlock.submit", "unlock.withdraw", "unlock.applicationForm"}) {
        EXPECT_EQ(error(method, {{"flowId", flowId}})["data"]["reason"], "AUTHORITY_NOT_CONFIGURED")
            << method;
    }
    EXPECT_EQ(
        error("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}})["data"]["reason"],
        "AUTHORITY_NOT_CONFIGURED");
    EXPECT_EQ(upload(flowId, "handler_id", jpegBytes()).status, 503u);
}

TEST_F(FlowErrors, AnUnknownFlowIsNotFound) {
    insert(makeCard(certs().valid));
    startUnlock();
    const std::string flowId(32, 'c');
    for (const char* method :
         {"unlock.status", "unlock.sendCode", "unlock.submit", "unlock.withdraw", "unlock.applicationForm"}) {
        EXPECT_EQ(error(method, {{"flowId", flowId}})["data"]["reason"], "FLOW_NOT_FOUND") << method;
    }
    EXPECT_EQ(error("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}})["data"]["reason"],
              "FLOW_NOT_FOUND");
    EXPECT_TRUE(authority_->calls().empty());
}

TEST_F(FlowErrors, ACallInTheWrongStepNamesTheStep) {
    insert(makeCard(certs().valid));
    startUnlock();
    const std::string flowId = begin()["flowId"];
    for (const char* method : {"unlock.sendCode", "unlock.submit", "unlock.withdraw"}) {
        const json e = error(method, {{"flowId", flowId}});
        EXPECT_EQ(e["data"]["reason"], "WRONG_STATE") << method;
        EXPECT_EQ(e["data"]["step"], "identify") << method;
    }
    const json reset =
        error("unlock.resetWithCode", {{"flowId", flowId}, {"code", "1"}, {"newPin", NEW_PIN}});
    EXPECT_EQ(reset["data"]["step"], "identify");

    result("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}});
    const json submit = error("unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(submit["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(submit["data"]["step"], "sms");
    const json identify = error("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}});
    EXPECT_EQ(identify["data"]["step"], "sms");
    EXPECT_EQ(authority_->calls(), (std::vector<std::string>{"createRequest"}));
}

TEST_F(FlowErrors, TheAuthoritysFormCheckNamesTheFields) {
    insert(makeCard(certs().valid));
    startUnlock();
    const std::string flowId = begin()["flowId"];
    json handler = originalHandler();
    handler["idNumber"] = "1101011990";
    handler["phone"] = "0755-1234";
    const json e = error("unlock.identify", {{"flowId", flowId}, {"handler", handler}});
    EXPECT_EQ(e["data"]["reason"], "FORM_INVALID");
    EXPECT_EQ(e["data"]["fields"], (json{{{"field", "handler.idNumber"}, {"problem", "checksum"}},
                                         {{"field", "handler.phone"}, {"problem", "format"}}}));
    // The flow stays in identify: the corrected form goes through.
    EXPECT_EQ(result("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}})["step"], "sms");
}

TEST_F(FlowErrors, AuthorityRefusalsOfIdentifyKeepTheirData) {
    insert(makeCard(certs().valid));
    startUnlock();
    const std::string flowId = begin()["flowId"];
    authority_->failNext("createRequest", refused("RATE_LIMITED", 429, {{"retryAfter", "600"}}));
    const json limited = error("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}});
    EXPECT_EQ(limited["data"]["reason"], "RATE_LIMITED");
    EXPECT_EQ(limited["data"]["retryAfter"], 600);
    authority_->failNext("createRequest", refused("CERT_UNKNOWN", 404));
    EXPECT_EQ(
        error("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}})["data"]["reason"],
        "CERT_UNKNOWN");
    authority_->failNext("createRequest", refused("CARD_MISMATCH", 409));
    EXPECT_EQ(
        error("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}})["data"]["reason"],
        "CARD_MISMATCH");
}

TEST_F(FlowErrors, AnotherCardInTheReaderEndsTheFlow) {
    auto first = makeCard(certs().valid);
    insert(first);
    startUnlock();
    const json flow = begin();
    const std::string flowId = flow["flowId"];
    result("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}});

    const std::size_t from = sink_.size();
    auto second = makeCard(certs().valid, 20261128, "0F9E7C5A3D1B6F9E2A4C7D5B0E3F1A8C");
    insert(second);
    const json ended = sink_.waitFor(
        "unlock.statusChanged", [](const json& p) { return p.value("step", "") == "ended"; }, from);
    EXPECT_EQ(ended["flowId"], flowId);
    EXPECT_EQ(ended["reason"], "CARD_CHANGED");
    EXPECT_EQ(ended["cardId"], first->cardId());

    for (const char* method : {"unlock.status", "unlock.sendCode"}) {
        EXPECT_EQ(error(method, {{"flowId", flowId}})["data"]["reason"], "CARD_CHANGED") << method;
    }
    EXPECT_EQ(
        error("unlock.resetWithCode",
              {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", NEW_PIN}})["data"]["reason"],
        "CARD_CHANGED");
    EXPECT_EQ(authority_->count("sendCode"), 0u);
    EXPECT_EQ(second->state().pinTriesLeft, 0);
    EXPECT_EQ(second->puk(), FakeAuthority::pukOf(0));

    // The same card again does not end a flow: a new flow on the second card runs.
    const json other = begin();
    EXPECT_EQ(other["cardId"], second->cardId());
    const std::size_t before = sink_.all("unlock.statusChanged").size();
    insert(second);
    EXPECT_EQ(result("unlock.status", {{"flowId", other["flowId"]}})["step"], "identify");
    EXPECT_EQ(sink_.all("unlock.statusChanged").size(), before);
}

TEST_F(FlowErrors, ParametersAreChecked) {
    insert(makeCard(certs().valid));
    startUnlock();
    EXPECT_EQ(error("unlock.begin", json::object())["data"]["reason"], "INVALID_PARAMS");
    EXPECT_EQ(error("unlock.begin", {{"reader", READER}, {"slot", "zz"}})["data"]["reason"],
              "INVALID_PARAMS");
    EXPECT_EQ(error("unlock.begin", {{"reader", "No Such Reader"}})["data"]["reason"], "READER_UNAVAILABLE");
    const json noCert = error("unlock.begin", {{"reader", READER}, {"slot", "9c"}});
    EXPECT_EQ(noCert["data"]["reason"], "CERT_NOT_FOUND");
    EXPECT_EQ(noCert["data"]["slot"], "9c");
    const std::string flowId = begin()["flowId"];
    EXPECT_EQ(error("unlock.identify", {{"flowId", flowId}})["data"]["reason"], "INVALID_PARAMS");
    EXPECT_EQ(error("unlock.resetWithCode", {{"flowId", flowId}, {"newPin", NEW_PIN}})["data"]["reason"],
              "INVALID_PARAMS");
    EXPECT_TRUE(authority_->calls().empty());
}

}  // namespace
}  // namespace cardbridge::test
