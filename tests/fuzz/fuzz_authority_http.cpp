// The authority's HTTP router and JSON bodies, the reviewers' forms and cookies (authority/http): one raw
// HTTP/1.1 request ("METHOD target HTTP/1.1", header lines, an empty line, the body) handed in-process to
// the authority's one RequestHandler (AuthorityFront: /v1/ API and /review pages) over the real
// UnlockService on SQLite, with a fake clock, RNG and SMS gateway. The server's own framing (Beast) is not
// under test here; this harness splits the request leniently, and applies the server's body limit.
//
// Tokens in the input reach past the first checks: $CERT (the enrolled leaf, base64 DER), $REQ (an SMS-route
// request), $REVIEW (a submitted review request), $CODE (the last SMS code sent), $SESSION and $CSRF (a live
// reviewer session and its CSRF token), $TOKEN (the API's bearer token).
//
// Checked for every request: an answer in 100–599; API answers are JSON objects, errors with an
// error.reason string; the body limit holds.
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/authority/core/registry.hpp"
#include "cardbridge/authority/core/trust.hpp"
#include "cardbridge/authority/core/unlock_service.hpp"
#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/front.hpp"
#include "cardbridge/authority/http/review_site.hpp"
#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/rules/form.hpp"
#include "fakes/clock_random.hpp"
#include "fakes/sms_gateway.hpp"
#include "fuzz_support.hpp"
#include "test_certs.hpp"

namespace {

using namespace cardbridge;
using namespace cardbridge::authority;
using nlohmann::json;

constexpr const char* CARD = "CARD-0001";
constexpr const char* ORGANIZATION = "深圳市某某医疗器械有限公司";
constexpr const char* PHONE = "13812345678";
constexpr const char* BEARER = "fuzz-installation-token-0123456789abcdef";
// 2025-03-05 10:00:00 +08:00.
constexpr Seconds START{std::chrono::seconds(1741140000)};

std::string applicantId() {
    const std::string first17 = "44030419900101123";
    return first17 + *rules::gb11643CheckChar(first17);
}

struct Authority {
    std::filesystem::path dir;
    fake::FakeClock clock{START};
    fake::FakeRandom random;
    fake::RecordingSmsGateway sms;
    test::TestCert ca;
    test::TestCert leaf;
    AuthorityConfig config;
    AuthorityKeys keys;
    std::unique_ptr<IssuerTrust> trust;
    std::unique_ptr<Storage> storage;
    std::unique_ptr<UnlockService> service;
    std::unique_ptr<http::ApiRouter> api;
    std::unique_ptr<http::ReviewSite> review;
    std::unique_ptr<http::AuthorityFront> front;
    std::string smsRequest;
    std::string reviewRequest;
    std::string session;

    Authority() {
        spdlog::set_level(spdlog::level::off);
        // SQLite in shared memory when there is some: the fuzzer's speed is the database's.
        char folder[] = "/dev/shm/cardbridge-fuzz-authority-XXXXXX";
        char fallback[] = "/tmp/cardbridge-fuzz-authority-XXXXXX";
        const char* made = mkdtemp(folder);
        if (made == nullptr) made = mkdtemp(fallback);
        if (made == nullptr) std::abort();
        dir = made;

        test::CertSpec caSpec;
        caSpec.commonName = "Fuzz Issuing CA";
        caSpec.isCa = true;
        caSpec.notBefore = std::chrono::system_clock::time_point(START) - std::chrono::days(3650);
        caSpec.notAfter = std::chrono::system_clock::time_point(START) + std::chrono::days(3650);
        ca = test::makeCertificate(caSpec);
        test::CertSpec leafSpec;
        leafSpec.commonName = "张三";
        leafSpec.issuer = &ca;
        leafSpec.notBefore = std::chrono::system_clock::time_point(START) - std::chrono::days(30);
        leafSpec.notAfter = leafSpec.notBefore + std::chrono::days(365);
        leaf = test::makeCertificate(leafSpec);
        test::writeFile(dir / "ca.pem", ca.certPem);

        config.dataDir = dir;
        config.databasePath = dir / "authority.db";
        config.issuingCaFiles = {dir / "ca.pem"};
        config.uniformTimingMillis = 0;
        keys.master = Secret(std::string(32, 'M'));
        keys.idKey = Secret(std::string(32, 'I'));
        keys.attachment = Secret(std::string(32, 'A'));
        trust = std::make_unique<IssuerTrust>(config.issuingCaFiles);
        storage = openSqliteStorage(config.databasePath);
        service = std::make_unique<UnlockService>(config, *storage, *trust, keys, sms, clock, random);
        Registry registry(*storage, *trust, keys, clock);
        Enrollment enrollment;
        enrollment.certificate = leaf.certPem;
        enrollment.cardSerial = CARD;
        enrollment.organization = ORGANIZATION;
        enrollment.applicant = {"张三", "居民身份证", applicantId(), PHONE};
        registry.enroll(enrollment);

        CreateUnlock create;
        create.certificateDer = leaf.der;
        create.cardSerial = CARD;
        create.handler = {ORGANIZATION, "张三", "居民身份证", applicantId(), PHONE};
        create.clientAddress = "198.51.100.1";
        smsRequest = service->requests().create(create).requestId;
        service->sms().sendCode(smsRequest, "198.51.100.1");
        const std::string otherFirst17 = "11010519851231002";
        create.handler = {ORGANIZATION, "李四", "居民身份证",
                          otherFirst17 + *rules::gb11643CheckChar(otherFirst17), "13987654321"};
        reviewRequest = service->requests().create(create).requestId;
        const Bytes pdf = toBytes("%PDF-1.7\nfuzz\n");
        service->review().putAttachment(reviewRequest, "application_form", pdf);
        service->review().putAttachment(reviewRequest, "business_license",
                                        Bytes{0xFF, 0xD8, 0xFF, 0xE0, 1, 2});
        service->review().putAttachment(reviewRequest, "handler_id",
                                        Bytes{0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0});
        service->review().submit(reviewRequest);
        service->reviewers().createReviewer("wang",
                                            hashPassword("reviewer-password", ScryptParams{10, 8, 1}));

        http::ApiOptions apiOptions;
        apiOptions.bearerTokens = {BEARER};
        api = std::make_unique<http::ApiRouter>(*service, apiOptions);
        review = std::make_unique<http::ReviewSite>(*service, http::ReviewOptions{});
        front = std::make_unique<http::AuthorityFront>(*api, *review);
    }

    /// A live reviewer session (the fuzzer may have logged the last one out).
    const std::string& liveSession() {
        if (session.empty() || !service->reviewers().resolve(session)) {
            const LoginResult login = service->reviewers().login(
                "wang", Secret(std::string_view("reviewer-password")), "198.51.100.1");
            if (login.outcome == LoginResult::Outcome::LoggedIn) {
                session = std::string(login.sessionToken.view());
            } else {
                clock.advance(std::chrono::hours(1));  // throttled: let the window pass for the next try
            }
        }
        return session;
    }
};

Authority& theAuthority() {
    static Authority* authority = new Authority();
    return *authority;
}

std::string lastCode(const Authority& a) {
    const auto messages = a.sms.messages();
    if (messages.empty()) return "000000";
    const std::string& text = messages.back().text;
    for (std::size_t i = 0; i + 6 <= text.size(); ++i) {
        bool digits = true;
        for (std::size_t j = 0; j < 6; ++j)
            digits = digits && std::isdigit(static_cast<unsigned char>(text[i + j]));
        if (digits) return text.substr(i, 6);
    }
    return "000000";
}

void substitute(std::string& text, std::string_view token, const std::string& value) {
    for (std::size_t at = text.find(token); at != std::string::npos;
         at = text.find(token, at + value.size())) {
        text.replace(at, token.size(), value);
    }
}

std::string_view line(std::string_view& rest) {
    const std::size_t end = rest.find('\n');
    std::string_view out = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
    return out;
}

http::HttpRequest parseRaw(std::string_view raw) {
    http::HttpRequest request;
    std::string_view requestLine = line(raw);
    const std::size_t space = requestLine.find(' ');
    request.method = std::string(requestLine.substr(0, space));
    if (space != std::string_view::npos) {
        std::string_view after = requestLine.substr(space + 1);
        request.target = std::string(after.substr(0, after.find(' ')));
    }
    while (!raw.empty()) {
        const std::string_view header = line(raw);
        if (header.empty()) break;
        const std::size_t colon = header.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view value = header.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        request.headers.emplace_back(std::string(header.substr(0, colon)), std::string(value));
    }
    request.body = std::string(raw);
    request.clientAddress = "203.0.113.7";
    request.receivedAt = std::chrono::steady_clock::now();
    return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Authority& a = theAuthority();
    std::string raw(fuzz::text(data, size));
    if (raw.find('$') != std::string::npos) {
        substitute(raw, "$CERT", base64Encode(a.leaf.der));
        substitute(raw, "$REQ", a.smsRequest);
        substitute(raw, "$REVIEW", a.reviewRequest);
        substitute(raw, "$CODE", lastCode(a));
        substitute(raw, "$TOKEN", BEARER);
        if (raw.find("$SESSION") != std::string::npos || raw.find("$CSRF") != std::string::npos) {
            const std::string session = a.liveSession();
            substitute(raw, "$CSRF", session.empty() ? std::string() : csrfTokenFor(session));
            substitute(raw, "$SESSION", session);
        }
    }
    const http::HttpRequest request = parseRaw(raw);

    // The server answers bodyTooLarge without reading an oversized body; the handler never sees one.
    const std::size_t limit = a.front->bodyLimit(request.method, request.target);
    const http::HttpResponse response = request.body.size() > limit
                                            ? a.front->bodyTooLarge(request.method, request.target)
                                            : a.front->handle(request);
    if (response.status < 100 || response.status > 599) std::abort();
    if (request.path().starts_with("/v1/") &&
        response.header("Content-Type").starts_with("application/json")) {
        const json body = json::parse(response.body);  // our own serialiser: must parse
        if (!body.is_object()) std::abort();
        if (response.status >= 400 && !body.at("error").at("reason").is_string()) std::abort();
    }
    return 0;
}
