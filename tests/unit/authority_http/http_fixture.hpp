// The authority fixture plus the HTTP front and request helpers.
#pragma once

#include "authority_fixture.hpp"
#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/front.hpp"
#include "cardbridge/authority/http/review_site.hpp"
#include "cardbridge/common/base64.hpp"

namespace cardbridge::authority::test {

class HttpFixture : public AuthorityFixture {
  protected:
    void SetUp() override {
        AuthorityFixture::SetUp();
        api_ = std::make_unique<http::ApiRouter>(*service_, apiOptions());
        review_ = std::make_unique<http::ReviewSite>(*service_, http::ReviewOptions{});
        front_ = std::make_unique<http::AuthorityFront>(*api_, *review_);
    }

    virtual http::ApiOptions apiOptions() const { return {}; }

    http::HttpResponse call(std::string method, std::string target, std::string body = {},
                            std::string contentType = "application/json",
                            std::vector<std::pair<std::string, std::string>> headers = {}) const {
        http::HttpRequest request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.body = std::move(body);
        request.clientAddress = "203.0.113.7";
        if (!contentType.empty()) request.headers.emplace_back("Content-Type", contentType);
        for (auto& h : headers) request.headers.push_back(std::move(h));
        return front_->handle(request);
    }

    static nlohmann::json json(const http::HttpResponse& r) { return nlohmann::json::parse(r.body); }
    static std::string reasonOf(const http::HttpResponse& r) {
        return nlohmann::json::parse(r.body).at("error").at("reason").get<std::string>();
    }

    nlohmann::json createBody(const std::string& name, const std::string& id,
                              const std::string& phone) const {
        return {{"certificate", base64Encode(leaf_.der)},
                {"cardSerial", CARD},
                {"handler",
                 {{"organization", ORGANIZATION},
                  {"name", name},
                  {"idType", "居民身份证"},
                  {"idNumber", id},
                  {"phone", phone}}}};
    }

    std::unique_ptr<http::ApiRouter> api_;
    std::unique_ptr<http::ReviewSite> review_;
    std::unique_ptr<http::AuthorityFront> front_;
};

}  // namespace cardbridge::authority::test
