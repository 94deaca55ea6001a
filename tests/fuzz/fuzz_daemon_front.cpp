// What the daemon decides from a request's header before any work (daemon/core origin policy, daemon/net's
// pure front): the Origin allowlist and its normalisation, the Host check against DNS rebinding, the upload
// route's target and header checks, and the static site's path rules. The input is a selector byte, then
// the text (an Origin, a Host, a target…).
//
// Checked: normalisation is idempotent; only the daemon's own origins get the bundled UI's grant; Host is
// accepted only for 127.0.0.1, localhost or [::1] with this port; an accepted static path has no way out
// of the web root, and no reply of the static site ever carries a file from outside it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "cardbridge/daemon/core/config.hpp"
#include "cardbridge/daemon/core/origin_policy.hpp"
#include "cardbridge/daemon/net/static_site.hpp"
#include "cardbridge/daemon/net/upload_route.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cardbridge;
using namespace cardbridge::daemon;

constexpr std::uint16_t PORT = 23443;
constexpr const char* OUTSIDE_MARKER = "cardbridge-fuzz-outside-the-web-root";

struct Front {
    std::filesystem::path dir;
    std::unique_ptr<OriginPolicy> policy;
    std::unique_ptr<StaticSite> site;

    Front() {
        spdlog::set_level(spdlog::level::off);
        char folder[] = "/tmp/cardbridge-fuzz-front-XXXXXX";
        if (mkdtemp(folder) == nullptr) std::abort();
        dir = folder;
        std::filesystem::create_directories(dir / "www" / "css");
        std::ofstream(dir / "www" / "index.html") << "<!doctype html><title>ok</title>";
        std::ofstream(dir / "www" / "css" / "app.css") << "body{}";
        std::ofstream(dir / "secret.txt") << OUTSIDE_MARKER;
        std::ofstream(dir / "www.txt") << OUTSIDE_MARKER;
        std::filesystem::create_symlink(dir / "secret.txt", dir / "www" / "link.txt");
        policy = std::make_unique<OriginPolicy>(
            std::vector<PlatformOrigin>{{"https://www.szyxhc.com", false},
                                        {"https://trusted.example:8443", true}},
            PORT);
        site = std::make_unique<StaticSite>(dir / "www", PORT, [](std::string_view, std::string_view) {
            return nlohmann::json{{"ok", true}};
        });
    }
};

Front& theFront() {
    static Front* front = new Front();
    return *front;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

void checkOrigin(const Front& f, std::string_view origin) {
    const auto normal = normaliseOrigin(origin);
    if (normal) {
        const auto again = normaliseOrigin(*normal);
        if (!again || *again != *normal) std::abort();  // idempotent
    }
    const auto grant = f.policy->grantFor(origin);
    if (grant && grant->ownOrigin) {
        const auto& own = f.policy->ownOrigins();
        if (!normal || std::find(own.begin(), own.end(), *normal) == own.end()) std::abort();
    }
    if (grant && !grant->capabilities.has(Capability::Read)) std::abort();
    (void)originProblem(std::string(origin));
    std::string problem;
    const auto url = parseHttpsUrl(origin, problem);
    if (url && (url->host.empty() || url->port == 0 || !problem.empty())) std::abort();
    if (!url && problem.empty()) std::abort();
}

void checkHost(const Front& f, std::string_view host) {
    if (!f.policy->hostAllowed(host)) return;
    const std::string h = lower(host);
    if (h != "127.0.0.1:23443" && h != "localhost:23443" && h != "[::1]:23443") std::abort();
}

void checkStatic(const Front& f, std::string_view method, std::string_view target) {
    if (const auto path = sanitiseTarget(target)) {
        const std::filesystem::path p(*path);
        if (p.is_absolute() || path->empty()) std::abort();
        for (const auto& part : p) {
            if (part == ".." || part == "." || part.empty()) std::abort();
        }
        if (path->find('\\') != std::string::npos || path->find('\0') != std::string::npos) std::abort();
    }
    const HttpReply reply = f.site->handle(method, target);
    if (reply.status < 100 || reply.status > 599) std::abort();
    if (reply.body.find(OUTSIDE_MARKER) != std::string::npos) std::abort();  // left the web root
}

void checkUpload(std::string_view method, std::string_view target, bool ownOrigin, std::uint64_t length) {
    if (const auto parsed = parseUploadTarget(target)) {
        if (parsed->flowId.size() != 32 || std::find(ATTACHMENT_KINDS.begin(), ATTACHMENT_KINDS.end(),
                                                     parsed->kind) == ATTACHMENT_KINDS.end()) {
            std::abort();
        }
        if (!isUploadRoute(target)) std::abort();
    }
    UploadHeader header;
    header.method = method;
    header.target = target;
    header.ownOrigin = ownOrigin;
    header.contentLength = length;
    header.handlerPresent = true;
    const auto decision = checkUploadHeader(header);
    if (std::holds_alternative<UploadTarget>(decision)) {
        if (!ownOrigin || method != "PUT" || length > header.maxBytes) std::abort();  // an upload let through
    } else {
        const auto& refusal = std::get<UploadRefusal>(decision);
        if (!nlohmann::json::accept(refusal.json)) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    Front& f = theFront();
    const std::uint8_t selector = data[0];
    const std::string_view text = fuzz::text(data + 1, size - 1);
    checkOrigin(f, text);
    checkHost(f, text);
    const std::string_view method = (selector & 1) != 0 ? "GET" : ((selector & 2) != 0 ? "HEAD" : "PUT");
    checkStatic(f, method, text);
    checkUpload(method, text, (selector & 4) != 0, (selector & 8) != 0 ? 2u * 1024 * 1024 : 100);
    return 0;
}
