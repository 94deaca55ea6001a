// PUT /unlock/{flowId}/attachments/{kind} over real TLS against the real server: what reaches the
// upload handler, when it is answered, and every refusal the network layer makes before the handler.
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <random>

#include "cardbridge/daemon/core/errors.hpp"
#include "net_fixture.hpp"
#include "raw_https.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
using daemon::Reason;
using daemon::reasonName;
using daemon::UploadRequest;
using daemon::UploadResponse;
using nlohmann::json;

constexpr const char* FLOW = "3f9c0e1a5b7d4c2e8f6a1b0c9d8e7f6a";
constexpr std::size_t LIMIT = 1024 * 1024;

std::string uploadTarget(const std::string& kind = "handler_id", const std::string& flow = FLOW) {
    return "/unlock/" + flow + "/attachments/" + kind;
}

// Bytes a text-minded server would mangle: every byte value, CR LF, NUL, then random filler.
std::string fileBytes(std::size_t size) {
    std::string bytes = "%PDF-1.7\r\n";
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    std::mt19937 random(42);
    while (bytes.size() < size) bytes.push_back(static_cast<char>(random() & 0xff));
    bytes.resize(size);
    return bytes;
}

// The upload handler: records what reaches it and answers at once, holds `done` for the test to
// complete from its own thread, drops `done`, or throws.
class FakeUploads {
  public:
    enum class Mode { Answer, Hold, Drop, Throw };

    daemon::UploadHandler handler() {
        return [this](UploadRequest request, std::function<void(UploadResponse)> done) {
            std::unique_lock lock(mutex_);
            received_.push_back(request);
            switch (mode_) {
                case Mode::Answer:
                    lock.unlock();
                    done(answerFor(request));
                    break;
                case Mode::Hold:
                    held_.push_back({std::move(request), std::move(done)});
                    break;
                case Mode::Drop:
                    break;
                case Mode::Throw:
                    throw std::runtime_error("fake handler failure");
            }
            changed_.notify_all();
        };
    }

    static UploadResponse answerFor(const UploadRequest& request) {
        return {200, json{{"kind", request.kind}, {"size", request.body.size()}}.dump()};
    }

    void setMode(Mode mode) {
        std::lock_guard lock(mutex_);
        mode_ = mode;
    }

    std::vector<UploadRequest> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

    // Waits until `count` uploads are held; false after `timeout`.
    bool waitHeld(std::size_t count, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return held_.size() >= count; });
    }

    // Completes every held upload from a new thread after `delay`; join the returned thread.
    std::thread completeLater(std::chrono::milliseconds delay, unsigned status) {
        std::vector<Held> held;
        {
            std::lock_guard lock(mutex_);
            held.swap(held_);
        }
        return std::thread([held = std::move(held), delay, status]() mutable {
            std::this_thread::sleep_for(delay);
            for (auto& [request, done] : held) {
                UploadResponse response = answerFor(request);
                response.status = status;
                done(std::move(response));
            }
        });
    }

  private:
    struct Held {
        UploadRequest request;
        std::function<void(UploadResponse)> done;
    };
    std::mutex mutex_;
    std::condition_variable changed_;
    Mode mode_ = Mode::Answer;
    std::vector<UploadRequest> received_;
    std::vector<Held> held_;
};

class NetUploadTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override {
        options.upload = uploads_.handler();
        // Capture the server's log (before it starts: sinks are not added safely while it logs).
        spdlog::default_logger()->sinks().push_back(log_);
    }

    void TearDown() override {
        NetFixture::TearDown();
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
    }

    [[nodiscard]] std::string hostHeader() const { return "127.0.0.1:" + std::to_string(port_); }

    std::unique_ptr<RawHttpsConnection> open() {
        return std::make_unique<RawHttpsConnection>(clientOptions(std::nullopt));
    }

    // One upload on a fresh connection; the response must arrive.
    HttpsResponse put(const std::optional<std::string>& origin, const std::string& target,
                      const std::string& body, const std::string& extraHeaders = "",
                      const std::string& method = "PUT") {
        auto connection = open();
        auto response = connection->sendAndRead(
            uploadRequest(hostHeader(), origin, target, body, extraHeaders, {}, method));
        if (!response) throw WssError("no response to " + method + " " + target);
        return *response;
    }

    std::string logText() {
        std::string text;
        for (const auto& line : log_->last_formatted()) text += line;
        return text;
    }

    FakeUploads uploads_;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_ =
        std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
};

json errorOf(const HttpsResponse& response) {
    return json::parse(response.body).at("error");
}

void expectJsonHeaders(const HttpsResponse& response) {
    EXPECT_EQ(response.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(response.header("Cache-Control"), "no-store");
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(NetUploadTest, AGoodUploadReachesTheHandlerWithTheExactBytesAndItsAnswerIsReturned) {
    const std::string body = fileBytes(300 * 1024);
    auto response = put(ownOrigin(), uploadTarget("business_license"), body);
    EXPECT_EQ(response.status, 200U) << response.body;
    expectJsonHeaders(response);
    EXPECT_EQ(json::parse(response.body), json({{"kind", "business_license"}, {"size", body.size()}}));
    auto received = uploads_.received();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_EQ(received[0].flowId, FLOW);
    EXPECT_EQ(received[0].kind, "business_license");
    EXPECT_TRUE(received[0].body == body) << "the handler got " << received[0].body.size() << " bytes";
    expectStillServes();
}

TEST_F(NetUploadTest, EveryOwnOriginMayUpload) {
    const std::string p = std::to_string(port_);
    for (const std::string& origin :
         {"https://127.0.0.1:" + p, "https://localhost:" + p, "https://[::1]:" + p}) {
        EXPECT_EQ(put(origin, uploadTarget(), "%PDF-").status, 200U) << origin;
    }
    EXPECT_EQ(uploads_.received().size(), 3U);
}

TEST_F(NetUploadTest, UploadsAreLoggedWithAShortFlowIdAndNeverTheBody) {
    const std::string body = "%PDF-secret-looking-content-" + std::string(100, 'z');
    ASSERT_EQ(put(ownOrigin(), uploadTarget("application_form"), body).status, 200U);
    const std::string log = logText();
    EXPECT_NE(log.find("3f9c0e1a"), std::string::npos) << log;
    EXPECT_NE(log.find("application_form"), std::string::npos) << log;
    EXPECT_NE(log.find(std::to_string(body.size()) + " bytes"), std::string::npos) << log;
    EXPECT_EQ(log.find(FLOW), std::string::npos) << "the whole flow id was logged";
    EXPECT_EQ(log.find("secret-looking"), std::string::npos) << "the body was logged";
}

TEST_F(NetUploadTest, TheConnectionIsKeptAliveForFurtherRequests) {
    auto connection = open();
    for (const char* kind : {"application_form", "business_license", "handler_id"}) {
        auto response =
            connection->sendAndRead(uploadRequest(hostHeader(), ownOrigin(), uploadTarget(kind), kind));
        ASSERT_TRUE(response) << kind;
        EXPECT_EQ(response->status, 200U) << kind;
        EXPECT_EQ(json::parse(response->body).at("kind"), kind);
    }
    auto health = connection->sendAndRead("GET /health HTTP/1.1\r\nHost: " + hostHeader() + "\r\n\r\n");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200U);
    EXPECT_EQ(json::parse(health->body).at("status"), "ok");
    auto received = uploads_.received();
    ASSERT_EQ(received.size(), 3U);
    EXPECT_EQ(received[2].body, "handler_id");
}

TEST_F(NetUploadTest, TheHandlerMayAnswerLaterFromAnotherThreadWhileTheServerServesOthers) {
    uploads_.setMode(FakeUploads::Mode::Hold);
    auto connection = open();
    ASSERT_TRUE(connection->send(uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), fileBytes(2000))));
    ASSERT_TRUE(uploads_.waitHeld(1, 5s));
    EXPECT_FALSE(connection->readResponse(300ms)) << "answered before the handler completed";
    // Both io threads are free while the upload waits: WebSocket RPCs and pages still work.
    expectStillServes();
    EXPECT_EQ(httpsRequest(clientOptions(std::nullopt), "GET", "/health").status, 200U);
    std::thread worker = uploads_.completeLater(200ms, 201);
    auto response = connection->readResponse(5s);
    worker.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 201U);
    expectJsonHeaders(*response);
    EXPECT_EQ(json::parse(response->body).at("size"), 2000);
    // Kept alive after a late answer too.
    uploads_.setMode(FakeUploads::Mode::Answer);
    auto again = connection->sendAndRead(uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), "x"));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200U);
}

TEST_F(NetUploadTest, AClientThatLeavesBeforeTheAnswerDoesNotHurtTheServer) {
    uploads_.setMode(FakeUploads::Mode::Hold);
    {
        auto connection = open();
        ASSERT_TRUE(connection->send(uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), "abc")));
        ASSERT_TRUE(uploads_.waitHeld(1, 5s));
    }
    std::thread worker = uploads_.completeLater(0ms, 200);  // answers a closed connection
    worker.join();
    uploads_.setMode(FakeUploads::Mode::Answer);
    EXPECT_EQ(put(ownOrigin(), uploadTarget(), "again").status, 200U);
    expectStillServes();
}

TEST_F(NetUploadTest, AHandlerThatThrowsOrDropsItsCompletionGives500Internal) {
    for (auto mode : {FakeUploads::Mode::Throw, FakeUploads::Mode::Drop}) {
        uploads_.setMode(mode);
        auto response = put(ownOrigin(), uploadTarget(), "%PDF-");
        EXPECT_EQ(response.status, 500U);
        EXPECT_EQ(errorOf(response).at("reason"), reasonName(Reason::Internal));
        expectJsonHeaders(response);
    }
    EXPECT_EQ(uploads_.received().size(), 2U);
    expectStillServes();
}

TEST_F(NetUploadTest, OtherOriginsAre403AndTheHandlerIsNotCalled) {
    const std::string p = std::to_string(port_);
    for (const std::optional<std::string>& origin : std::vector<std::optional<std::string>>{
             std::string(PLATFORM_ORIGIN), std::string(TRUSTED_ORIGIN), std::nullopt, std::string("null"),
             std::string(""), "http://127.0.0.1:" + p, "https://127.0.0.1:" + std::to_string(port_ + 1),
             "https://127.0.0.1.evil.example:" + p}) {
        auto connection = open();
        auto response = connection->sendAndRead(
            uploadRequest(hostHeader(), origin, uploadTarget(), "%PDF-", "Expect: 100-continue\r\n"));
        ASSERT_TRUE(response) << origin.value_or("(none)");
        EXPECT_EQ(response->status, 403U) << origin.value_or("(none)");
        expectJsonHeaders(*response);
        EXPECT_EQ(errorOf(*response).at("reason"), reasonName(Reason::NotAllowed));
        EXPECT_EQ(errorOf(*response).at("message"), daemon::info(Reason::NotAllowed).message);
        EXPECT_TRUE(connection->waitClosed(5s)) << "a refusal closes the connection";
    }
    EXPECT_TRUE(uploads_.received().empty());
    expectStillServes();
}

TEST_F(NetUploadTest, AForeignHostIsRefusedAsForAnyRequest) {
    auto connection = open();
    auto response = connection->sendAndRead(
        uploadRequest("attacker.example:" + std::to_string(port_), ownOrigin(), uploadTarget(), "%PDF-"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 403U);
    EXPECT_TRUE(uploads_.received().empty());
}

TEST_F(NetUploadTest, ContentLengthOverTheLimitIs413BeforeTheBodyIsSent) {
    for (const std::string& expect : {std::string(), std::string("Expect: 100-continue\r\n")}) {
        auto connection = open();
        // Only the header: the answer must come without the body, so it was decided from the header.
        const std::string header =
            uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), "", expect, LIMIT + 1);
        ASSERT_TRUE(connection->send(header));
        auto response = connection->readResponse(5s);
        ASSERT_TRUE(response) << "no answer before the body" << expect;
        EXPECT_EQ(response->status, 413U) << "a 100 Continue came first?";
        expectJsonHeaders(*response);
        const json error = errorOf(*response);
        EXPECT_EQ(error.at("reason"), "ATTACHMENT_TOO_LARGE");
        EXPECT_EQ(error.at("message"), "The file must be under 1024 KB.");
        EXPECT_EQ(error.at("limit"), LIMIT);
        EXPECT_TRUE(connection->waitClosed(5s)) << "the connection stays open after a 413";
    }
    EXPECT_TRUE(uploads_.received().empty());
    expectStillServes();
}

TEST_F(NetUploadTest, ExactlyTheLimitIsAccepted) {
    const std::string body = fileBytes(LIMIT);
    auto response = put(ownOrigin(), uploadTarget(), body);
    EXPECT_EQ(response.status, 200U) << response.body;
    auto received = uploads_.received();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_TRUE(received[0].body == body);
}

TEST_F(NetUploadTest, ChunkedBodiesAreBoundedByTheSameLimit) {
    const std::string small = fileBytes(100 * 1024);
    auto accepted =
        put(ownOrigin(), uploadTarget("application_form"), chunked("", 1), "Transfer-Encoding: chunked\r\n");
    EXPECT_EQ(accepted.status, 200U) << "an empty chunked body";
    auto connection = open();
    auto ok =
        connection->sendAndRead(uploadRequest(hostHeader(), ownOrigin(), uploadTarget("application_form"), "",
                                              "Transfer-Encoding: chunked\r\n") +
                                chunked(small, 8000));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200U) << ok->body;

    auto big = open();
    auto refused = big->sendAndRead(
        uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), "", "Transfer-Encoding: chunked\r\n") +
        chunked(fileBytes(LIMIT + 1), 64 * 1024));
    ASSERT_TRUE(refused) << "no answer to a chunked body over the limit";
    EXPECT_EQ(refused->status, 413U);
    EXPECT_EQ(errorOf(*refused).at("reason"), "ATTACHMENT_TOO_LARGE");
    EXPECT_EQ(errorOf(*refused).at("limit"), LIMIT);
    EXPECT_TRUE(big->waitClosed(5s));

    auto received = uploads_.received();
    ASSERT_EQ(received.size(), 2U) << "the chunked body over the limit reached the handler";
    EXPECT_TRUE(received[0].body.empty());
    EXPECT_TRUE(received[1].body == small);
    expectStillServes();
}

TEST_F(NetUploadTest, Expect100ContinueIsAnsweredAfterTheChecksThenTheBodyIsRead) {
    const std::string body = fileBytes(50 * 1024);
    auto connection = open();
    ASSERT_TRUE(connection->send(uploadRequest(hostHeader(), ownOrigin(), uploadTarget(), "",
                                               "Expect: 100-continue\r\n", body.size())));
    auto interim = connection->readResponse(5s);
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100U);
    EXPECT_TRUE(uploads_.received().empty()) << "the handler ran before the body was sent";
    auto response = connection->sendAndRead(body);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200U) << response->body;
    auto received = uploads_.received();
    ASSERT_EQ(received.size(), 1U);
    EXPECT_TRUE(received[0].body == body);
}

TEST_F(NetUploadTest, OtherMethodsAre405WithAllowPut) {
    for (const char* method : {"GET", "POST", "DELETE", "PATCH", "OPTIONS"}) {
        auto response = put(ownOrigin(), uploadTarget(), "", "", method);
        EXPECT_EQ(response.status, 405U) << method;
        EXPECT_EQ(response.header("Allow"), "PUT") << method;
        expectJsonHeaders(response);
        EXPECT_EQ(errorOf(response).at("reason"), reasonName(Reason::MethodNotFound)) << method;
    }
    // The shared client's GET, as a browser navigating there would.
    auto viaGet = httpsRequest(clientOptions(ownOrigin()), "GET", uploadTarget());
    EXPECT_EQ(viaGet.status, 405U);
    EXPECT_TRUE(uploads_.received().empty());
    expectStillServes();
}

TEST_F(NetUploadTest, BadFlowIdsKindsAndExtraSegmentsAre404) {
    const std::string flow(FLOW);
    for (const std::string& target : {
             uploadTarget("handler_id", "3F9C0E1A5B7D4C2E8F6A1B0C9D8E7F6A"),
             uploadTarget("handler_id", flow.substr(0, 31)),
             uploadTarget("handler_id", "../../etc"),
             uploadTarget("passport"),
             uploadTarget("handler_id") + "/extra",
             uploadTarget("handler_id") + "?x=1",
             std::string("/unlock/"),
             std::string("/unlock/") + FLOW,
             std::string("/unlock/") + FLOW + "/attachments",
         }) {
        auto response = put(ownOrigin(), target, "%PDF-");
        EXPECT_EQ(response.status, 404U) << target;
        expectJsonHeaders(response);
        const std::string reason = errorOf(response).at("reason");
        EXPECT_TRUE(reason == reasonName(Reason::MethodNotFound) ||
                    reason == reasonName(Reason::InvalidParams))
            << target << ": " << reason;
    }
    EXPECT_EQ(errorOf(put(ownOrigin(), uploadTarget("passport"), "x")).at("param"), "kind");
    EXPECT_TRUE(uploads_.received().empty());
    expectStillServes();
}

TEST_F(NetUploadTest, OtherRequestsKeepTheirSmallBodyLimit) {
    auto connection = open();
    ASSERT_TRUE(connection->send("POST /index.html HTTP/1.1\r\nHost: " + hostHeader() +
                                 "\r\nContent-Length: 100000\r\n\r\n"));
    auto response = connection->readResponse(5s);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413U);
    EXPECT_TRUE(connection->waitClosed(5s));
    expectStillServes();
}

class NetNoUploadHandlerTest : public NetFixture {};

TEST_F(NetNoUploadHandlerTest, WithoutAHandlerTheRouteIs404) {
    RawHttpsConnection connection(clientOptions(std::nullopt));
    auto response = connection.sendAndRead(
        uploadRequest("127.0.0.1:" + std::to_string(port_), ownOrigin(), uploadTarget(), "%PDF-"));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404U);
    EXPECT_EQ(errorOf(*response).at("reason"), reasonName(Reason::MethodNotFound));
    expectStillServes();
}

}  // namespace
}  // namespace cardbridge::test
