// CardService and the card methods against the real pcscd and the virtual card, through the Dispatcher:
// listing and export, PIN change witnessed by yubico-piv-tool, wrong and blocked PINs, hotplug
// notifications, two readers, pcscd stopped and restarted.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "cardbridge/common/base64.hpp"
#include "cardbridge/daemon/core/card_methods.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/core/health.hpp"
#include "pcsc_env.hpp"
#include "test_certs.hpp"

namespace cardbridge::daemon {
namespace {

using namespace std::chrono_literals;
using cardbridge::test::PcscEnv;
using cardbridge::test::VcardOptions;
using cardbridge::test::VirtualCard;
using nlohmann::json;

/// Collects notifications from the workers.
class CollectingSink final : public NotificationSink {
  public:
    void broadcast(const std::string& method, const json& params, Capability required) override {
        std::lock_guard lock(mutex_);
        EXPECT_EQ(required, Capability::Read);
        events_.push_back({{"method", method}, {"params", params}});
        changed_.notify_all();
    }
    /// Number of notifications so far (to wait for later ones).
    std::size_t size() {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    /// Params of the first `method` notification for `reader` at index >= from; fails after `timeout`.
    json waitFor(const std::string& method, const std::string& reader, std::size_t from = 0,
                 std::chrono::milliseconds timeout = 20s) {
        std::unique_lock lock(mutex_);
        json found;
        const bool ok = changed_.wait_for(lock, timeout, [&] {
            for (std::size_t i = from; i < events_.size(); ++i) {
                if (events_[i]["method"] == method && events_[i]["params"].value("reader", "") == reader) {
                    found = events_[i]["params"];
                    return true;
                }
            }
            return false;
        });
        if (!ok) ADD_FAILURE() << "no " << method << " for '" << reader << "'";
        return found;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<json> events_;
};

class DaemonCore : public ::testing::Test {
  protected:
    void SetUp() override {
        env_ = std::make_unique<PcscEnv>();
        cardbridge::test::CertSpec spec;
        spec.commonName = "张三";
        spec.organization = "深圳市测试医疗器械有限公司";
        cert_ = cardbridge::test::makeCertificate(spec);
        const auto state = env_->dir() / "card0.json";
        cardbridge::test::provisionCard(state, {{"9a", cert_.certPem, cert_.keyPem, false}});
        card_ = std::make_unique<VirtualCard>(*env_, state);
        card_->waitPresent();
        reader_ = env_->readerName(0);

        CardService::Options options;
        options.monitor.serviceRetry = 200ms;
        service_ = std::make_unique<CardService>(std::move(options));
        service_->setSink(&sink_);
        for (auto& method : cardMethods(*service_)) dispatcher_.add(std::move(method));
        service_->start();
        sink_.waitFor("card.inserted", reader_);
    }

    void TearDown() override {
        service_->setSink(nullptr);
        service_.reset();
        card2_.reset();
        card_.reset();
        env_.reset();
    }

    /// One JSON-RPC call through the Dispatcher with every capability; returns the parsed response.
    json call(const std::string& method, const json& params = json::object()) {
        CallContext context;
        context.connectionId = 1;
        context.origin = "https://127.0.0.1:23443";
        context.ownOrigin = true;
        context.capabilities.add(Capability::Read).add(Capability::StartUnlock).add(Capability::Secrets);
        auto promise = std::make_shared<std::promise<std::string>>();
        std::future<std::string> answer = promise->get_future();
        const json request = {{"jsonrpc", "2.0"}, {"id", ++nextId_}, {"method", method}, {"params", params}};
        dispatcher_.handle(context, request.dump(),
                           [promise](std::string text) { promise->set_value(std::move(text)); });
        if (answer.wait_for(30s) != std::future_status::ready) {
            ADD_FAILURE() << method << ": no answer";
            return json::object();
        }
        json response = json::parse(answer.get());
        EXPECT_EQ(response["id"], nextId_);
        return response;
    }
    json result(const std::string& method, const json& params = json::object()) {
        json r = call(method, params);
        EXPECT_TRUE(r.contains("result")) << r.dump();
        return r.value("result", json());
    }
    std::string reason(const std::string& method, const json& params = json::object()) {
        json r = call(method, params);
        EXPECT_TRUE(r.contains("error")) << r.dump();
        return r.value("/error/data/reason"_json_pointer, std::string());
    }

    /// Waits until `predicate` holds (polling the service's state, not the card).
    template <typename Predicate>
    bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 20s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            if (predicate()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return predicate();
    }

    std::unique_ptr<PcscEnv> env_;
    cardbridge::test::TestCert cert_;
    std::unique_ptr<VirtualCard> card_;
    std::unique_ptr<VirtualCard> card2_;
    std::string reader_;
    CollectingSink sink_;
    Dispatcher dispatcher_;
    std::unique_ptr<CardService> service_;
    int nextId_ = 0;
};

TEST_F(DaemonCore, CardsListShowsTheProvisionedCertificate) {
    json cards = result("cards.list");
    ASSERT_EQ(cards.size(), 1u) << cards.dump();
    const json& card = cards[0];
    EXPECT_EQ(card["reader"], reader_);
    EXPECT_EQ(card["cardId"].get<std::string>().size(), 32u);
    EXPECT_EQ(card["pin"], (json{{"state", "ok"}, {"retriesLeft", 3}}));
    ASSERT_EQ(card["certificates"].size(), 1u);
    const json& c = card["certificates"][0];
    EXPECT_EQ(c["slot"], "9a");
    EXPECT_EQ(c["subject"]["cn"], "张三");
    EXPECT_EQ(c["subject"]["o"], "深圳市测试医疗器械有限公司");
    EXPECT_EQ(c["status"], "valid");
    EXPECT_EQ(c["publicKey"]["curve"], "P-256");
    EXPECT_EQ(c["pem"], cert_.certPem);

    EXPECT_EQ(result("readers.list"),
              (json::array({{{"name", env_->readerName(0)}, {"cardPresent", true}},
                            {{"name", env_->readerName(1)}, {"cardPresent", false}}})));
}

TEST_F(DaemonCore, ExportEqualsTheProvisionedCertificate) {
    EXPECT_EQ(result("certificates.export", {{"reader", reader_}, {"slot", "9a"}}),
              (json{{"format", "pem"}, {"data", cert_.certPem}}));
    EXPECT_EQ(result("certificates.export", {{"reader", reader_}, {"slot", "9a"}, {"format", "der"}})["data"],
              base64Encode(cert_.der));
    EXPECT_EQ(reason("certificates.export", {{"reader", reader_}, {"slot", "9c"}}),
              reasonName(Reason::CertNotFound));
    EXPECT_EQ(reason("certificates.export", {{"reader", env_->readerName(1)}, {"slot", "9a"}}),
              reasonName(Reason::CardAbsent));
    EXPECT_EQ(reason("certificates.export", {{"reader", "No Such Reader 00 00"}, {"slot", "9a"}}),
              reasonName(Reason::ReaderUnavailable));
    EXPECT_EQ(reason("certificates.export", {{"reader", 0}, {"slot", "9a"}}),
              reasonName(Reason::InvalidParams));
}

TEST_F(DaemonCore, PinChangeIsWitnessedByYubicoPivTool) {
    EXPECT_EQ(reason("pin.change", {{"reader", reader_}, {"oldPin", "123456"}, {"newPin", "111111"}}),
              reasonName(Reason::PinPolicy));
    json r = result("pin.change", {{"reader", reader_}, {"oldPin", "123456"}, {"newPin", "258014"}});
    EXPECT_EQ(r["ok"], true);
    // The service lets go of the card between operations: another PC/SC client can use it.
    auto witness = cardbridge::test::runCommand(
        {"yubico-piv-tool", "-r", "Virtual PCD", "-a", "verify-pin", "-P", "258014"});
    EXPECT_EQ(witness.exitCode, 0) << witness.output;
    auto old = cardbridge::test::runCommand(
        {"yubico-piv-tool", "-r", "Virtual PCD", "-a", "verify-pin", "-P", "123456"});
    EXPECT_NE(old.exitCode, 0) << old.output;
}

TEST_F(DaemonCore, WrongPinCountsDownThenBlocks) {
    const json params = {{"reader", reader_}, {"oldPin", "000000"}, {"newPin", "258014"}};
    json first = call("pin.change", params);
    EXPECT_EQ(first["error"]["data"]["reason"], reasonName(Reason::PinIncorrect));
    EXPECT_EQ(first["error"]["data"]["retriesLeft"], 2);
    EXPECT_EQ(call("pin.change", params)["error"]["data"]["retriesLeft"], 1);
    EXPECT_EQ(result("cards.list")[0]["pin"], (json{{"state", "ok"}, {"retriesLeft", 1}}));
    EXPECT_EQ(reason("pin.change", params), reasonName(Reason::PinLastTry)) << "the last try needs a yes";
    EXPECT_EQ(card_->show()["pinTriesLeft"], 1);
    json confirmed = params;
    confirmed["confirmLastTry"] = true;
    EXPECT_EQ(reason("pin.change", confirmed), reasonName(Reason::PinBlocked));
    EXPECT_EQ(result("cards.list")[0]["pin"], (json{{"state", "blocked"}, {"retriesLeft", 0}}));
    // Even the right PIN cannot change it now.
    EXPECT_EQ(reason("pin.change", {{"reader", reader_}, {"oldPin", "123456"}, {"newPin", "258014"}}),
              reasonName(Reason::PinBlocked));
    EXPECT_EQ(card_->show()["pinTriesLeft"], 0);
}

TEST_F(DaemonCore, HotplugIsNotified) {
    const std::size_t before = sink_.size();
    card_->remove();
    sink_.waitFor("card.removed", reader_, before);
    EXPECT_EQ(result("cards.list"), json::array());
    EXPECT_EQ(reason("certificates.export", {{"reader", reader_}, {"slot", "9a"}}),
              reasonName(Reason::CardAbsent));

    const std::size_t removed = sink_.size();
    card_->insert();
    json inserted = sink_.waitFor("card.inserted", reader_, removed);
    EXPECT_EQ(inserted["card"]["certificates"][0]["subject"]["cn"], "张三");
    json cards = result("cards.list");
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0], inserted["card"]);
}

TEST_F(DaemonCore, TwoReadersTwoCards) {
    cardbridge::test::CertSpec spec;
    spec.commonName = "李四";
    spec.key = cardbridge::test::KeyKind::Rsa2048;
    const auto cert2 = cardbridge::test::makeCertificate(spec);
    const auto state2 = env_->dir() / "card1.json";
    cardbridge::test::provisionCard(state2, {{"9a", cert2.certPem, cert2.keyPem, false}});
    const std::size_t before = sink_.size();
    card2_ = std::make_unique<VirtualCard>(*env_, state2, VcardOptions{1});
    card2_->waitPresent();
    sink_.waitFor("card.inserted", env_->readerName(1), before);

    json cards = result("cards.list");
    ASSERT_EQ(cards.size(), 2u) << cards.dump();
    EXPECT_EQ(cards[0]["reader"], env_->readerName(0));
    EXPECT_EQ(cards[1]["reader"], env_->readerName(1));
    EXPECT_EQ(cards[0]["certificates"][0]["subject"]["cn"], "张三");
    EXPECT_EQ(cards[1]["certificates"][0]["subject"]["cn"], "李四");
    EXPECT_EQ(cards[1]["certificates"][0]["publicKey"]["algorithm"], "RSA");
    EXPECT_NE(cards[0]["cardId"], cards[1]["cardId"]);
    EXPECT_EQ(result("certificates.export", {{"reader", env_->readerName(1)}, {"slot", "9a"}})["data"],
              cert2.certPem);
    // A PIN operation on one card leaves the other alone.
    EXPECT_EQ(call("pin.change", {{"reader", env_->readerName(1)},
                                  {"oldPin", "000000"},
                                  {"newPin", "258014"}})["error"]["data"]["retriesLeft"],
              2);
    EXPECT_EQ(result("cards.list")[0]["pin"]["retriesLeft"], 3);
}

TEST_F(DaemonCore, PcscdStoppedAndRestarted) {
    EXPECT_EQ(cardHealth(*service_)["status"], "ok");
    const std::size_t before = sink_.size();
    env_->stopPcscd();
    ASSERT_TRUE(eventually([&] { return !service_->pcscAvailable(); }));
    sink_.waitFor("card.removed", reader_, before);
    sink_.waitFor("reader.removed", reader_, before);
    json health = cardHealth(*service_);
    EXPECT_EQ(health["pcscAvailable"], false);
    EXPECT_EQ(health["problems"][0]["reason"], reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(reason("cards.list"), reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(reason("readers.list"), reasonName(Reason::PcscUnavailable));
    EXPECT_EQ(reason("certificates.export", {{"reader", reader_}, {"slot", "9a"}}),
              reasonName(Reason::PcscUnavailable));

    const std::size_t lost = sink_.size();
    env_->startPcscd();
    sink_.waitFor("reader.added", reader_, lost, 30s);
    json inserted = sink_.waitFor("card.inserted", reader_, lost, 30s);
    EXPECT_EQ(inserted["card"]["certificates"][0]["pem"], cert_.certPem);
    EXPECT_TRUE(service_->pcscAvailable());
    EXPECT_EQ(result("cards.list").size(), 1u);
    EXPECT_EQ(result("certificates.export", {{"reader", reader_}, {"slot", "9a"}})["data"], cert_.certPem);
}

TEST(DaemonCoreWithoutPcscd, StartsAndPicksUpTheServiceLater) {
    // pcscd is not running at start: the service serves (PCSC_UNAVAILABLE) and then finds the card.
    auto env = std::make_unique<PcscEnv>();
    env->stopPcscd();
    const auto state = env->dir() / "late.json";
    cardbridge::test::CertSpec spec;
    const auto cert = cardbridge::test::makeCertificate(spec);
    cardbridge::test::provisionCard(state, {{"9a", cert.certPem, cert.keyPem, false}});

    CollectingSink sink;
    CardService::Options options;
    options.monitor.serviceRetry = 200ms;
    CardService service(std::move(options));
    service.setSink(&sink);
    service.start();
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (service.pcscAvailable() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(service.pcscAvailable());
    EXPECT_EQ(cardHealth(service)["problems"][0]["reason"], reasonName(Reason::PcscUnavailable));

    env->startPcscd();
    VirtualCard card(*env, state);
    card.waitPresent();
    json inserted = sink.waitFor("card.inserted", env->readerName(0), 0, 30s);
    EXPECT_EQ(inserted["card"]["certificates"][0]["pem"], cert.certPem);
    EXPECT_TRUE(service.pcscAvailable());
    service.setSink(nullptr);
}

}  // namespace
}  // namespace cardbridge::daemon
