// Path-prefix dispatch between the API and the reviewers' pages.
#include "cardbridge/authority/http/front.hpp"

#include "cardbridge/authority/http/review_pages.hpp"

namespace cardbridge::authority::http {

namespace {
bool underReview(std::string_view path) {
    return path == "/review" || path.starts_with("/review/");
}
bool underApi(std::string_view path) {
    return path.starts_with("/v1/");
}
std::string_view pathOf(std::string_view target) {
    return target.substr(0, target.find('?'));
}
}  // namespace

HttpResponse AuthorityFront::handle(const HttpRequest& request) const noexcept {
    const std::string_view path = request.path();
    if (underApi(path)) return api_.handle(request);
    if (underReview(path)) return review_.handle(request);
    try {
        HttpResponse response;
        for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
        if (path == "/" && (request.method == "GET" || request.method == "HEAD")) {
            response.status = 303;
            response.set("Location", "/review/");
            return response;
        }
        // Liveness for monitors and the package test: no token, no data, nothing cached.
        if (path == "/health" && (request.method == "GET" || request.method == "HEAD")) {
            response.status = 200;
            response.set("Content-Type", "application/json");
            response.set("Cache-Control", "no-store");
            response.body = R"({"status":"ok","service":"cardbridge-authority"})"
                            "\n";
            return response;
        }
        response.status = 404;
        response.set("Content-Type", "text/plain; charset=utf-8");
        response.body = "not found\n";
        return response;
    } catch (...) {
        return HttpResponse{500, {}, {}, std::nullopt};
    }
}

std::size_t AuthorityFront::bodyLimit(std::string_view method, std::string_view target) const noexcept {
    const std::string_view path = pathOf(target);
    if (underApi(path)) return api_.bodyLimit(method, target);
    if (underReview(path)) return review_.formMaxBytes();
    return 0;
}

HttpResponse AuthorityFront::bodyTooLarge(std::string_view method, std::string_view target) const noexcept {
    if (underApi(pathOf(target))) return api_.bodyTooLarge(method, target);
    try {
        HttpResponse response;
        response.status = 413;
        for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
        response.set("Content-Type", "text/plain; charset=utf-8");
        response.body = "request body too large\n";
        return response;
    } catch (...) {
        return HttpResponse{413, {}, {}, std::nullopt};
    }
}

std::optional<HttpResponse> AuthorityFront::admit(std::string_view method, std::string_view target,
                                                  std::string_view authorization) const noexcept {
    if (underApi(pathOf(target))) return api_.admit(method, target, authorization);
    return std::nullopt;
}

HttpResponse AuthorityFront::overloaded(std::string_view method, std::string_view target) const noexcept {
    if (underApi(pathOf(target))) return RequestHandler::overloaded(method, target);
    try {
        HttpResponse response;
        response.status = 503;
        for (auto& [name, value] : pageSecurityHeaders()) response.set(name, value);
        response.set("Content-Type", "text/plain; charset=utf-8");
        response.set("Retry-After", "1");
        response.body = "busy; try again shortly\n";
        return response;
    } catch (...) {
        return HttpResponse{503, {}, {}, std::nullopt};
    }
}

}  // namespace cardbridge::authority::http
