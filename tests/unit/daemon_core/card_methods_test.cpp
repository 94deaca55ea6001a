// Card methods against a CardService fed with reader events and a scripted card: caching, export,
// PIN change outcomes, parameter and reader errors, notifications, health.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "card_test_support.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/daemon/core/card_methods.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/core/health.hpp"
#include "fakes/clock_random.hpp"
#include "test_certs.hpp"

namespace cardbridge::daemon {
namespace {

using namespace std::chrono_literals;
using namespace card::test;
using card::ReaderEvent;
using card::ScriptStep;
using card::step;
using nlohmann::json;

const std::string READER = "Virtual PCD 00 00";

/// Records the one completion of a request; waits for it from the test thread.
class TestResponder final : public Responder {
  public:
    void succeed(json result) override { finish(std::move(result), std::nullopt); }
    void fail(std::exception_ptr error) override { finish(std::nullopt, toErrorObject(error)); }

    /// The result; fails the test on an error or after 5 s.
    json result() {
        wait();
        EXPECT_FALSE(error_) << error_->dump();
        return result_.value_or(json());
    }
    /// The error object; fails the test on a result or after 5 s.
    json error() {
        wait();
        EXPECT_FALSE(result_) << result_->dump();
        return error_.value_or(json::object());
    }
    std::string reason() { return error().value("/data/reason"_json_pointer, std::string()); }
    int completions() {
        std::lock_guard lock(mutex_);
        return completions_;
    }

  private:
    void finish(std::optional<json> result, std::optional<json> error) {
        std::lock_guard lock(mutex_);
        ++completions_;
        result_ = std::move(result);
        error_ = std::move(error);
        done_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        if (!done_.wait_for(lock, 5s, [this] { return completions_ > 0; })) ADD_FAILURE() << "no completion";
    }
    std::mutex mutex_;
    std::condition_variable done_;
    int completions_ = 0;
    std::optional<json> result_;
    std::optional<json> error_;
};

/// Collects notifications.
class TestSink final : public NotificationSink {
  public:
    void broadcast(const std::string& method, const json& params, Capability required) override {
        std::lock_guard lock(mutex_);
        EXPECT_EQ(required, Capability::Read);
        events_.push_back({{"method", method}, {"params", params}});
        changed_.notify_all();
    }
    /// Waits for the n-th (from 0) notification named `method`; returns its params.
    json waitFor(const std::string& method, std::size_t nth = 0) {
        std::unique_lock lock(mutex_);
        json found;
        const bool ok = changed_.wait_for(lock, 5s, [&] {
            std::size_t seen = 0;
            for (const auto& e : events_) {
                if (e["method"] == method && seen++ == nth) {
                    found = e["params"];
                    return true;
                }
            }
            return false;
        });
        if (!ok) ADD_FAILURE() << "no notification " << method;
        return found;
    }
    std::vector<std::string> methods() {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& e : events_) out.push_back(e["method"]);
        return out;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<json> events_;
};

class CardMethods : public ::testing::Test {
  protected:
    void SetUp() override {
        cardbridge::test::CertSpec spec;
        spec.commonName = "张三";
        spec.key = cardbridge::test::KeyKind::Sm2;
        cert_ = cardbridge::test::makeCertificate(spec);
        transport_ = std::make_shared<card::ScriptedTransport>(std::vector<ScriptStep>{}, READER);

        CardService::Options options;
        options.startMonitor = false;
        options.connectorFactory = [transport = transport_] {
            return std::make_unique<card::ScriptedConnector>(transport);
        };
        options.clock = &clock_;
        service_ = std::make_unique<CardService>(std::move(options));
        service_->setSink(&sink_);
        service_->start();
        for (auto& m : cardMethods(*service_)) methods_.emplace(m.name, std::move(m));
    }

    void TearDown() override {
        service_->setSink(nullptr);
        service_.reset();
    }

    std::vector<ScriptStep> readInfoScript(const std::string& pinStatus = "63C3") {
        std::vector<ScriptStep> s{step(SELECT, SELECT_OK), step(GET_VERSION, "6D00"),
                                  step(getData("5FC102"), "6A82")};
        add(s, chained(getData("5FC105"), certObject(cert_.der)));
        add(s,
            {step(getData("5FC10A"), "6A82"), step(getData("5FC10B"), "6A82"),
             step(getData("5FC101"), "6A82"), step(getData("5FC10C"), "6A82"), step(PIN_STATUS, pinStatus)});
        return s;
    }

    /// Reader attached, card inserted and read.
    json insertCard(const std::string& pinStatus = "63C3") {
        transport_->add(readInfoScript(pinStatus));
        service_->handleEvent({ReaderEvent::Kind::ReaderAdded, READER, {}});
        service_->handleEvent({ReaderEvent::Kind::CardInserted, READER, transport_->atr()});
        return sink_.waitFor("card.inserted");
    }

    std::shared_ptr<TestResponder> call(const std::string& method, const json& params = json()) {
        auto responder = std::make_shared<TestResponder>();
        CallContext context;
        context.capabilities.add(Capability::Read).add(Capability::Secrets);
        try {
            methods_.at(method).handler(context, params, responder);
        } catch (...) {
            responder->fail(std::current_exception());  // what the dispatcher does with a throwing handler
        }
        return responder;
    }

    /// The service's clock: now, moved on by the validity tests.
    fake::FakeClock clock_{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
    cardbridge::test::TestCert cert_;
    std::shared_ptr<card::ScriptedTransport> transport_;
    TestSink sink_;
    std::unique_ptr<CardService> service_;
    std::map<std::string, MethodSpec> methods_;
};

TEST_F(CardMethods, CapabilitiesPerMethod) {
    EXPECT_EQ(methods_.at("readers.list").required, Capability::Read);
    EXPECT_EQ(methods_.at("cards.list").required, Capability::Read);
    EXPECT_EQ(methods_.at("certificates.export").required, Capability::Read);
    EXPECT_EQ(methods_.at("pin.change").required, Capability::Secrets);
}

TEST_F(CardMethods, InsertionIsReadOnceAndServedFromMemory) {
    json inserted = insertCard();
    EXPECT_EQ(inserted["reader"], READER);
    EXPECT_EQ(inserted["card"]["certificates"][0]["subject"]["cn"], "张三");
    EXPECT_EQ(inserted["card"]["certificates"][0]["publicKey"]["algorithm"], "SM2");
    EXPECT_EQ(sink_.methods(), (std::vector<std::string>{"reader.added", "card.inserted"}));
    const std::size_t apdus = transport_->sent().size();

    json cards = call("cards.list")->result();
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0], inserted["card"]);  // the same object as in the notification
    EXPECT_EQ(cards[0]["pin"], (json{{"state", "ok"}, {"retriesLeft", 3}}));
    EXPECT_EQ(cards[0]["cardId"].get<std::string>().size(), 32u);
    call("cards.list")->result();
    EXPECT_EQ(transport_->sent().size(), apdus);  // no card work for listing
    EXPECT_TRUE(transport_->finished());

    EXPECT_EQ(call("readers.list")->result(), (json::array({{{"name", READER}, {"cardPresent", true}}})));
}

TEST_F(CardMethods, CachedCardsListIsAnsweredWithoutTheWorker) {
    json inserted = insertCard();
    // Hold the reader's worker: a cards.list that needed it could not complete.
    std::promise<void> release;
    std::promise<void> holding;
    service_->post(READER, [&, released = release.get_future().share()](ReaderSession&) {
        holding.set_value();
        released.wait();
    });
    holding.get_future().wait();
    auto listed = call("cards.list");
    EXPECT_EQ(listed->completions(), 1);  // answered on the calling thread, no job queued
    release.set_value();
    json cards = listed->result();
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0], inserted["card"]);
}

TEST_F(CardMethods, CardsListWaitsBehindAnInsertionRead) {
    insertCard();
    service_->handleEvent({ReaderEvent::Kind::CardRemoved, READER, {}});
    // Held worker, card inserted again: the read is queued, so cards.list must wait for it.
    std::promise<void> release;
    std::promise<void> holding;
    service_->post(READER, [&, released = release.get_future().share()](ReaderSession&) {
        holding.set_value();
        released.wait();
    });
    holding.get_future().wait();
    transport_->add(readInfoScript("63C2"));
    service_->handleEvent({ReaderEvent::Kind::CardInserted, READER, transport_->atr()});
    auto listed = call("cards.list");
    EXPECT_EQ(listed->completions(), 0);
    release.set_value();
    json cards = listed->result();
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0]["pin"], (json{{"state", "ok"}, {"retriesLeft", 2}}));
    EXPECT_EQ(call("cards.list")->result(), cards);  // and cached from then on
}

TEST_F(CardMethods, CachedCardFollowsCertificateStatus) {
    insertCard();
    EXPECT_EQ(call("cards.list")->result()[0]["certificates"][0]["status"], "valid");
    clock_.advance(std::chrono::hours(50 * 365 * 24));  // long after notAfter
    EXPECT_EQ(call("cards.list")->result()[0]["certificates"][0]["status"], "expired");
    EXPECT_EQ(call("cards.list")->result()[0]["certificates"][0]["status"], "expired");
    clock_.advance(std::chrono::hours(-100 * 365 * 24));  // long before notBefore
    json c = call("cards.list")->result()[0]["certificates"][0];
    EXPECT_EQ(c["status"], "notYetValid") << c["notBefore"] << c["notAfter"];
}

TEST_F(CardMethods, ExportPemAndDer) {
    insertCard();
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}})->result(),
              (json{{"format", "pem"}, {"data", cert_.certPem}}));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9A"}, {"format", "der"}})->result(),
              (json{{"format", "der"}, {"data", base64Encode(cert_.der)}}));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9c"}})->reason(),
              reasonName(Reason::CertNotFound));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9b"}})->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}, {"format", "p12"}})->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", 154}})->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("certificates.export", json::array({READER, "9a"}))->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_TRUE(transport_->finished());
}

TEST_F(CardMethods, WrongPinCountsDownAndIsCached) {
    insertCard();
    transport_->add({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3"), step(SELECT, SELECT_OK),
                     step(changePinCmd("000000", "258014"), "63C2")});
    auto r = call("pin.change", {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}});
    json error = r->error();
    EXPECT_EQ(error["code"], -32000);
    EXPECT_EQ(error["data"]["reason"], reasonName(Reason::PinIncorrect));
    EXPECT_EQ(error["data"]["retriesLeft"], 2);
    EXPECT_EQ(call("cards.list")->result()[0]["pin"], (json{{"state", "ok"}, {"retriesLeft", 2}}));
    // Other open pages learn the new PIN state.
    const json changed = sink_.waitFor("card.pinChanged");
    EXPECT_EQ(changed["reader"], READER);
    EXPECT_EQ(changed["pin"], (json{{"state", "ok"}, {"retriesLeft", 2}}));
    EXPECT_FALSE(changed.value("cardId", "").empty());
    EXPECT_TRUE(transport_->finished());
}

TEST_F(CardMethods, WrongPinWithoutACountIsNotReportedAsBlocked) {
    // A card that answers a wrong PIN with a bare 6300 says nothing about the tries left: no retriesLeft
    // (0 would read as blocked), and the cached state is unknown.
    insertCard();
    transport_->add({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3"), step(SELECT, SELECT_OK),
                     step(changePinCmd("000000", "258014"), "6300")});
    auto r = call("pin.change", {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}});
    json error = r->error();
    EXPECT_EQ(error["data"]["reason"], reasonName(Reason::PinIncorrect));
    EXPECT_FALSE(error["data"].contains("retriesLeft")) << error.dump();
    EXPECT_EQ(call("cards.list")->result()[0]["pin"]["state"], "unknown");
}

TEST_F(CardMethods, BlockedPin) {
    insertCard();
    transport_->add({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3"), step(SELECT, SELECT_OK),
                     step(changePinCmd("000000", "258014"), "6983")});
    auto r = call("pin.change", {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}});
    EXPECT_EQ(r->reason(), reasonName(Reason::PinBlocked));
    EXPECT_EQ(call("cards.list")->result()[0]["pin"], (json{{"state", "blocked"}, {"retriesLeft", 0}}));
}

TEST_F(CardMethods, PolicyViolationNeverReachesTheCard) {
    insertCard();
    const std::size_t apdus = transport_->sent().size();
    auto r = call("pin.change", {{"reader", READER}, {"oldPin", "123456"}, {"newPin", "123456"}});
    json error = r->error();
    EXPECT_EQ(error["data"]["reason"], reasonName(Reason::PinPolicy));
    EXPECT_EQ(error["data"]["violation"], "Sequential");
    EXPECT_EQ(call("pin.change", {{"reader", READER}, {"oldPin", "123456"}, {"newPin", "12a456"}})
                  ->error()["data"]["violation"],
              "NotDigits");
    EXPECT_EQ(transport_->sent().size(), apdus);
}

TEST_F(CardMethods, SuccessRefreshesPinState) {
    insertCard("63C1");
    // One try left: pin.change needs confirmLastTry (the state is read first; the card is not touched).
    transport_->add({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C1")});
    EXPECT_EQ(call("pin.change", {{"reader", READER}, {"oldPin", "123456"}, {"newPin", "258014"}})->error(),
              (json{{"code", -32000},
                    {"message", info(Reason::PinLastTry).message},
                    {"data", {{"reason", "PIN_LAST_TRY"}, {"retriesLeft", 1}}}}));
    EXPECT_TRUE(transport_->finished());
    transport_->add({step(SELECT, SELECT_OK), step(changePinCmd("123456", "258014"), "9000"),
                     step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3")});
    json result =
        call("pin.change",
             {{"reader", READER}, {"oldPin", "123456"}, {"newPin", "258014"}, {"confirmLastTry", true}})
            ->result();
    EXPECT_EQ(result, (json{{"ok", true}, {"retriesLeft", 3}}));
    EXPECT_EQ(call("cards.list")->result()[0]["pin"], (json{{"state", "ok"}, {"retriesLeft", 3}}));
    EXPECT_TRUE(transport_->finished());
}

TEST_F(CardMethods, PinParamsAreWipedInPlace) {
    insertCard();
    transport_->add({step(SELECT, SELECT_OK), step(PIN_STATUS, "63C3"), step(SELECT, SELECT_OK),
                     step(changePinCmd("000000", "258014"), "63C2")});
    json params = {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}};
    auto r = call("pin.change", params);
    EXPECT_EQ(params["oldPin"], "");
    EXPECT_EQ(params["newPin"], "");
    EXPECT_EQ(r->reason(), reasonName(Reason::PinIncorrect));
    // Even when the request is otherwise invalid.
    json bad = {{"reader", 7}, {"oldPin", "000000"}, {"newPin", "258014"}};
    EXPECT_EQ(call("pin.change", bad)->reason(), reasonName(Reason::InvalidParams));
    EXPECT_EQ(bad["oldPin"], "");
    EXPECT_EQ(bad["newPin"], "");
}

TEST_F(CardMethods, ParamErrors) {
    insertCard();
    EXPECT_EQ(call("pin.change", {{"reader", READER}, {"oldPin", 123456}, {"newPin", "258014"}})->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("pin.change", {{"reader", READER}, {"newPin", "258014"}})->reason(),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("pin.change", json("x"))->reason(), reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("readers.list", {{"x", 1}})->reason(), reasonName(Reason::InvalidParams));
    EXPECT_EQ(call("cards.list", json::object())->result().size(), 1u);
}

TEST_F(CardMethods, UnknownReaderAndAbsentCard) {
    service_->handleEvent({ReaderEvent::Kind::ReaderAdded, READER, {}});
    sink_.waitFor("reader.added");
    EXPECT_EQ(call("certificates.export", {{"reader", "No Such Reader"}, {"slot", "9a"}})->reason(),
              reasonName(Reason::ReaderUnavailable));
    EXPECT_EQ(
        call("pin.change", {{"reader", "No Such Reader"}, {"oldPin", "1"}, {"newPin", "258014"}})->reason(),
        reasonName(Reason::ReaderUnavailable));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}})->reason(),
              reasonName(Reason::CardAbsent));
    EXPECT_EQ(call("pin.change", {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}})->reason(),
              reasonName(Reason::CardAbsent));
    EXPECT_EQ(call("cards.list")->result(), json::array());
    EXPECT_EQ(call("readers.list")->result(), (json::array({{{"name", READER}, {"cardPresent", false}}})));
}

TEST_F(CardMethods, RemovalDropsTheCache) {
    insertCard();
    service_->handleEvent({ReaderEvent::Kind::CardRemoved, READER, {}});
    EXPECT_EQ(sink_.waitFor("card.removed"), (json{{"reader", READER}}));
    EXPECT_EQ(call("cards.list")->result(), json::array());
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}})->reason(),
              reasonName(Reason::CardAbsent));

    // Inserted again: read again.
    transport_->add(readInfoScript("63C2"));
    service_->handleEvent({ReaderEvent::Kind::CardInserted, READER, transport_->atr()});
    EXPECT_EQ(sink_.waitFor("card.inserted", 1)["card"]["pin"]["retriesLeft"], 2);
    EXPECT_TRUE(transport_->finished());
}

TEST_F(CardMethods, ReaderRemovalNotifiesInOrder) {
    insertCard();
    service_->handleEvent({ReaderEvent::Kind::CardRemoved, READER, {}});
    service_->handleEvent({ReaderEvent::Kind::ReaderRemoved, READER, {}});
    sink_.waitFor("reader.removed");
    EXPECT_EQ(sink_.methods(),
              (std::vector<std::string>{"reader.added", "card.inserted", "card.removed", "reader.removed"}));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}})->reason(),
              reasonName(Reason::ReaderUnavailable));
    EXPECT_EQ(call("readers.list")->result(), json::array());
}

TEST_F(CardMethods, NonPivCardIsReportedNotFatal) {
    transport_->add({step(SELECT, "6A82")});
    service_->handleEvent({ReaderEvent::Kind::ReaderAdded, READER, {}});
    service_->handleEvent({ReaderEvent::Kind::CardInserted, READER, transport_->atr()});
    json inserted = sink_.waitFor("card.inserted");
    EXPECT_TRUE(inserted["card"].is_null());
    EXPECT_EQ(inserted["error"], reasonName(Reason::CardUnsupported));
    EXPECT_EQ(call("readers.list")->result()[0]["cardError"], reasonName(Reason::CardUnsupported));
    EXPECT_EQ(cardHealth(*service_)["problems"][0]["reason"], reasonName(Reason::CardUnsupported));
    // cards.list retries the read on demand and leaves the card out when it still fails.
    transport_->add({step(SELECT, "6A82")});
    EXPECT_EQ(call("cards.list")->result(), json::array());
    EXPECT_TRUE(transport_->finished());
}

TEST_F(CardMethods, ServiceLossAndReturn) {
    insertCard();
    EXPECT_EQ(cardHealth(*service_)["status"], "ok");
    service_->handleEvent({ReaderEvent::Kind::CardRemoved, READER, {}});
    service_->handleEvent({ReaderEvent::Kind::ReaderRemoved, READER, {}});
    service_->handleEvent({ReaderEvent::Kind::ServiceLost, "", {}});
    json health = cardHealth(*service_);
    EXPECT_EQ(health["pcscAvailable"], false);
    EXPECT_EQ(health["status"], "degraded");
    EXPECT_EQ(health["problems"][0]["reason"], reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(call("readers.list")->reason(), reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(call("cards.list")->reason(), reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(call("certificates.export", {{"reader", READER}, {"slot", "9a"}})->reason(),
              reasonName(Reason::PcscUnavailable));

    service_->handleEvent({ReaderEvent::Kind::ServiceRestored, "", {}});
    EXPECT_TRUE(service_->pcscAvailable());
    EXPECT_EQ(cardHealth(*service_)["problems"][0]["reason"], reasonName(Reason::NoReader));
    EXPECT_EQ(call("readers.list")->result(), json::array());
}

TEST_F(CardMethods, ServiceLossWithoutRemovalEventsStillRemovesReaders) {
    insertCard();
    service_->handleEvent({ReaderEvent::Kind::ServiceLost, "", {}});
    sink_.waitFor("reader.removed");
    EXPECT_EQ(sink_.methods(),
              (std::vector<std::string>{"reader.added", "card.inserted", "card.removed", "reader.removed"}));
    EXPECT_TRUE(service_->readers().empty());
}

/// Counts notifications.
class CountingSink final : public NotificationSink {
  public:
    void broadcast(const std::string&, const json&, Capability) override { ++count; }
    std::atomic<int> count{0};
};

TEST_F(CardMethods, SetSinkIsSafeWhileNotificationsFlow) {
    CountingSink a;
    CountingSink b;
    std::atomic<bool> running{true};
    std::thread churn([&] {
        for (int i = 0; running; ++i) {
            const std::string reader = "Reader " + std::to_string(i % 4);
            service_->handleEvent({ReaderEvent::Kind::ReaderAdded, reader, {}});
            service_->handleEvent({ReaderEvent::Kind::ReaderRemoved, reader, {}});
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (int i = 0; i < 200 || (a.count + b.count < 10 && std::chrono::steady_clock::now() < deadline); ++i) {
        service_->setSink(i % 2 == 0 ? static_cast<NotificationSink*>(&a) : &b);
        std::this_thread::sleep_for(100us);
    }
    service_->setSink(nullptr);
    // After setSink returns, the old sinks are never called again.
    const int seenA = a.count;
    const int seenB = b.count;
    std::this_thread::sleep_for(50ms);
    running = false;
    churn.join();
    EXPECT_EQ(a.count, seenA);
    EXPECT_EQ(b.count, seenB);
    EXPECT_GT(seenA + seenB, 0);
}

TEST_F(CardMethods, HealthHasNoSecretsOrCertificates) {
    insertCard();
    json health = cardHealth(*service_);
    EXPECT_EQ(health["readers"][0]["name"], READER);
    EXPECT_EQ(health["readers"][0]["card"]["certificates"], 1);
    EXPECT_EQ(health["readers"][0]["card"]["pin"]["state"], "ok");
    EXPECT_EQ(health.dump().find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(CardMethods, StopAnswersQueuedRequests) {
    insertCard();
    transport_->add({step(SELECT, SELECT_OK), step(changePinCmd("000000", "258014"), "63C2")});
    auto r = call("pin.change", {{"reader", READER}, {"oldPin", "000000"}, {"newPin", "258014"}});
    service_->stop();
    r->error();  // answered one way or the other, exactly once
    EXPECT_EQ(r->completions(), 1);
}

}  // namespace
}  // namespace cardbridge::daemon
