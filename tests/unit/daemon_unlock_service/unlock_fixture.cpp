#include "unlock_fixture.hpp"

#include <fstream>
#include <future>
#include <thread>

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::test {

using namespace std::chrono_literals;
using daemon::Capability;
using daemon::unlock::UploadAnswer;

// ----- TestResponder ------------------------------------------------------------------------------------

void TestResponder::succeed(json result) {
    finish(std::move(result), std::nullopt);
}

void TestResponder::fail(std::exception_ptr error) {
    finish(std::nullopt, daemon::toErrorObject(error));
}

json TestResponder::result() {
    wait();
    std::lock_guard lock(mutex_);
    EXPECT_FALSE(error_) << error_->dump();
    return result_.value_or(json());
}

json TestResponder::error() {
    wait();
    std::lock_guard lock(mutex_);
    EXPECT_FALSE(result_) << result_->dump();
    return error_.value_or(json::object());
}

std::string TestResponder::reason() {
    return error().value("/data/reason"_json_pointer, std::string());
}

void TestResponder::finish(std::optional<json> result, std::optional<json> error) {
    std::lock_guard lock(mutex_);
    ++completions_;
    EXPECT_EQ(completions_, 1) << "a request was completed twice";
    result_ = std::move(result);
    error_ = std::move(error);
    done_.notify_all();
}

void TestResponder::wait() {
    std::unique_lock lock(mutex_);
    if (!done_.wait_for(lock, WAIT, [this] { return completions_ > 0; })) ADD_FAILURE() << "no completion";
}

// ----- TestSink -----------------------------------------------------------------------------------------

void TestSink::broadcast(const std::string& method, const json& params, Capability required) {
    std::function<void(const std::string&, const json&)> hook;
    {
        std::lock_guard lock(mutex_);
        EXPECT_EQ(required, Capability::Read) << method;
        events_.emplace_back(method, params);
        changed_.notify_all();
        hook = hook_;
    }
    if (hook) hook(method, params);
}

void TestSink::setHook(std::function<void(const std::string&, const json&)> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
}

std::size_t TestSink::size() {
    std::lock_guard lock(mutex_);
    return events_.size();
}

json TestSink::waitFor(const std::string& method, const std::function<bool(const json&)>& match,
                       std::size_t from, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    json found;
    const bool ok = changed_.wait_for(lock, timeout, [&] {
        for (std::size_t i = from; i < events_.size(); ++i) {
            if (events_[i].first == method && (!match || match(events_[i].second))) {
                found = events_[i].second;
                return true;
            }
        }
        return false;
    });
    if (!ok)
        ADD_FAILURE() << "no notification " << method << " (matching) within " << timeout.count() << " ms";
    return found;
}

std::vector<json> TestSink::all(const std::string& method) {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& [m, params] : events_) {
        if (m == method) out.push_back(params);
    }
    return out;
}

// ----- fixture ------------------------------------------------------------------------------------------

const TestCertificates& UnlockServiceTest::certs() {
    static const TestCertificates made = [] {
        const auto now = std::chrono::system_clock::now();
        TestCertificates c;
        CertSpec spec;
        spec.commonName = "张三";
        spec.notBefore = now - 24h;
        spec.notAfter = now + std::chrono::days(365);
        c.valid = makeCertificate(spec);
        spec.notBefore = now - std::chrono::days(730);
        spec.notAfter = now - 24h;
        c.expired = makeCertificate(spec);
        spec.notBefore = now + std::chrono::days(10);
        spec.notAfter = now + std::chrono::days(375);
        c.notYetValid = makeCertificate(spec);
        return c;
    }();
    return made;
}

void UnlockServiceTest::SetUp() {
    daemon::CardService::Options options;
    options.startMonitor = false;
    options.connectorFactory = [this] { return std::make_unique<AppletConnector>(reader_); };
    options.clock = &clock_;
    cards_ = std::make_unique<daemon::CardService>(std::move(options));
    cards_->setSink(&sink_);
    cards_->start();
}

void UnlockServiceTest::TearDown() {
    stopUnlock();
    cards_->setSink(nullptr);
    cards_->stop();
}

void UnlockServiceTest::startUnlock(bool withClient,
                                    const std::function<void(daemon::unlock::UnlockOptions&)>& tweak) {
    stopUnlock();
    daemon::unlock::UnlockOptions options;
    options.stateDir = stateDir_.path();
    options.port = [] { return std::uint16_t{23443}; };
    options.pollInterval = 1s;
    options.pollMaxInterval = 2s;
    options.clock = &clock_;
    options.random = &random_;
    if (tweak) tweak(options);
    unlock_ = std::make_unique<daemon::unlock::UnlockService>(
        *cards_, withClient ? clientOf(authority_) : nullptr, std::move(options));
    unlock_->setSink(&sink_);
    tap_ = std::make_unique<daemon::unlock::CardEventTap>(sink_, *unlock_);
    cards_->setSink(tap_.get());
    methods_.clear();
    for (auto& spec : unlock_->methods()) methods_.emplace(spec.name, std::move(spec.handler));
    unlock_->start();
}

void UnlockServiceTest::stopUnlock() {
    if (!unlock_) return;
    cards_->setSink(&sink_);  // returns once no broadcast reaches the tap any more
    tap_.reset();
    methods_.clear();
    unlock_->stop();
    unlock_.reset();
}

std::shared_ptr<VirtualCard> UnlockServiceTest::makeCard(const TestCert& cert, std::uint32_t serial,
                                                         const std::string& guidHex) {
    return std::make_shared<VirtualCard>(pivCardState(serial, fromHex(guidHex), cert.der));
}

void UnlockServiceTest::insert(const std::shared_ptr<VirtualCard>& card) {
    using card::ReaderEvent;
    if (!readerAttached_) {
        cards_->handleEvent({ReaderEvent::Kind::ReaderAdded, READER, {}});
        readerAttached_ = true;
    }
    if (reader_.card()) {
        reader_.remove();
        cards_->handleEvent({ReaderEvent::Kind::CardRemoved, READER, {}});
    }
    const std::size_t from = sink_.size();
    reader_.insert(card);
    cards_->handleEvent({ReaderEvent::Kind::CardInserted, READER, vcard::yubikey5Atr()});
    const json inserted = sink_.waitFor(
        "card.inserted",
        [&](const json& p) { return p.value("/card/cardId"_json_pointer, "") == card->cardId(); }, from);
    ASSERT_FALSE(inserted.is_null()) << "the card was not read";
}

std::shared_ptr<TestResponder> UnlockServiceTest::call(const std::string& method, const json& params) {
    auto responder = std::make_shared<TestResponder>();
    daemon::CallContext context;
    context.ownOrigin = true;
    context.capabilities.add(Capability::Read).add(Capability::StartUnlock).add(Capability::Secrets);
    try {
        methods_.at(method)(context, params, responder);
    } catch (...) {
        responder->fail(std::current_exception());  // what the dispatcher does with a throwing handler
    }
    return responder;
}

UploadAnswer UnlockServiceTest::upload(const std::string& flowId, const std::string& kind, std::string body) {
    auto answer = std::make_shared<std::promise<UploadAnswer>>();
    auto future = answer->get_future();
    unlock_->upload(flowId, kind, std::move(body),
                    [answer](UploadAnswer a) { answer->set_value(std::move(a)); });
    if (future.wait_for(WAIT) != std::future_status::ready) {
        ADD_FAILURE() << "no upload answer";
        return {};
    }
    return future.get();
}

json UnlockServiceTest::originalHandler() {
    return {{"organization", "深圳市测试医疗器械有限公司"},
            {"name", FakeAuthority::ORIGINAL_HANDLER},
            {"idType", "居民身份证"},
            {"idNumber", "110101199003074514"},
            {"phone", "13812345678"}};
}

json UnlockServiceTest::otherHandler() {
    json h = originalHandler();
    h["name"] = "李四";
    h["idNumber"] = "110101199107085530";
    h["phone"] = "13912345678";
    return h;
}

json UnlockServiceTest::smsFlow() {
    const json flow = begin();
    const std::string flowId = flow.value("flowId", "");
    const json identified = result("unlock.identify", {{"flowId", flowId}, {"handler", originalHandler()}});
    EXPECT_EQ(identified.value("step", ""), "sms") << identified.dump();
    const json sent = result("unlock.sendCode", {{"flowId", flowId}});
    EXPECT_EQ(sent.value("maskedPhone", ""), "138****5678");
    return identified;
}

json UnlockServiceTest::reviewFlowInReview() {
    const json flow = begin();
    const std::string flowId = flow.value("flowId", "");
    const json identified = result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    EXPECT_EQ(identified.value("step", ""), "attachments") << identified.dump();
    EXPECT_EQ(upload(flowId, "application_form", pdfBytes()).status, 200u);
    EXPECT_EQ(upload(flowId, "business_license", pngBytes()).status, 200u);
    EXPECT_EQ(upload(flowId, "handler_id", jpegBytes()).status, 200u);
    const json submitted = result("unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(submitted.value("step", ""), "in_review") << submitted.dump();
    return submitted;
}

std::filesystem::path UnlockServiceTest::journalPath(const std::string& cardId) const {
    return stateDir_.path() / "unlock" / ("journal-" + cardId + ".json");
}

std::filesystem::path UnlockServiceTest::pendingPath(const std::string& cardId) const {
    return stateDir_.path() / "unlock" / ("pending-" + cardId + ".json");
}

namespace {

std::string stepIn(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return {};
    const json j = json::parse(in, nullptr, false);
    return j.is_object() ? j.value("step", "?") : "?";
}

}  // namespace

std::string UnlockServiceTest::journalStep(const std::string& cardId) const {
    return stepIn(journalPath(cardId));
}

std::string UnlockServiceTest::pendingStep(const std::string& cardId) const {
    return stepIn(pendingPath(cardId));
}

bool UnlockServiceTest::eventually(const std::function<bool()>& condition,
                                   std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

void UnlockServiceTest::expectRotated(const VirtualCard& card, const std::string& pin,
                                      const std::string& cardSerial) {
    const vcard::CardState s = card.state();
    EXPECT_EQ(card.pin(), pin);
    EXPECT_EQ(s.pinTriesLeft, s.pinRetries);
    EXPECT_EQ(card.puk(), FakeAuthority::pukOf(1));
    EXPECT_EQ(s.pukTriesLeft, s.pukRetries);
    EXPECT_GE(card.lowestPukTriesLeft(), s.pukRetries - 1);
    EXPECT_LE(card.wrongPukAnswers(), 1);
    EXPECT_EQ(authority_->epoch(cardSerial), 1u);
    EXPECT_FALSE(authority_->pendingRotation(cardSerial));
    EXPECT_FALSE(std::filesystem::exists(journalPath(card.cardId()))) << journalStep(card.cardId());
}

std::string pngBytes() {
    std::string b = "\x89PNG\r\n\x1a\n";
    b += std::string(200, 'p');
    return b;
}

std::string pdfBytes() {
    return "%PDF-1.7\n" + std::string(1000, 'd');
}

std::string jpegBytes() {
    return std::string("\xFF\xD8\xFF\xE0", 4) + std::string(300, 'j');
}

}  // namespace cardbridge::test
