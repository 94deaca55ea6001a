// Renewal while running: the daily check, re-trust where the old root was trusted, and the swappable
// server identity behind an SSL_CTX certificate callback.
#include "cardbridge/localtls/renewal.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "cardbridge/common/error.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls {

// One loaded identity, immutable once made: handshakes hold a shared_ptr while they copy from it.
struct ServerIdentity::Loaded {
    std::vector<X509Ptr> chain;  // leaf first
    EvpPkeyPtr key;
    std::string serialHex;
};

ServerIdentity::ServerIdentity() = default;
ServerIdentity::~ServerIdentity() = default;

void ServerIdentity::load(const std::filesystem::path& chainPem, const std::filesystem::path& keyPem) {
    const auto chainText = detail::readSmallFile(chainPem);
    if (!chainText) throw FatalError("cannot read " + chainPem.string());
    auto loaded = std::make_shared<Loaded>();
    loaded->chain = detail::parseCertificates(*chainText);
    if (loaded->chain.empty()) throw FatalError(chainPem.string() + " holds no certificate");
    loaded->key = detail::readPrivateKeyFile(keyPem);
    if (!loaded->key) throw FatalError("cannot read the private key " + keyPem.string());
    if (X509_check_private_key(loaded->chain.front().get(), loaded->key.get()) != 1) {
        ERR_clear_error();
        throw FatalError(keyPem.string() + " does not match the leaf in " + chainPem.string());
    }
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(loaded->chain.front().get()), nullptr);
    if (serial != nullptr) {
        char* hex = BN_bn2hex(serial);
        if (hex != nullptr) loaded->serialHex = hex;
        OPENSSL_free(hex);
        BN_free(serial);
    }
    std::lock_guard lock(mutex_);
    current_ = std::move(loaded);
}

std::shared_ptr<const ServerIdentity::Loaded> ServerIdentity::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::string ServerIdentity::leafSerialHex() const {
    const auto loaded = current();
    return loaded ? loaded->serialHex : std::string();
}

void ServerIdentity::install(SSL_CTX* ctx) {
    SSL_CTX_set_cert_cb(ctx, &ServerIdentity::onHandshake, this);
}

// Runs inside each server handshake, before the certificate is chosen: the SSL gets the identity current
// now (SSL_use_cert_and_key copies references), so a load() later never touches a handshake under way.
int ServerIdentity::onHandshake(SSL* ssl, void* self) {
    const auto loaded = static_cast<ServerIdentity*>(self)->current();
    if (!loaded) return 1;  // keep what the context was configured with
    STACK_OF(X509)* rest = sk_X509_new_null();
    if (rest == nullptr) return 0;
    for (std::size_t i = 1; i < loaded->chain.size(); ++i) {
        if (sk_X509_push(rest, loaded->chain[i].get()) <= 0) {
            sk_X509_free(rest);
            return 0;
        }
    }
    const int ok = SSL_use_cert_and_key(ssl, loaded->chain.front().get(), loaded->key.get(), rest, 1);
    sk_X509_free(rest);  // SSL_use_cert_and_key took its own references
    return ok == 1 ? 1 : 0;
}

namespace {

bool sameFile(const std::filesystem::path& file, const std::string& pem) {
    const auto text = detail::readSmallFile(file);
    if (!text) return false;
    const auto a = detail::parseCertificates(*text);
    const auto b = detail::parseCertificates(pem);
    return !a.empty() && !b.empty() && X509_cmp(a.front().get(), b.front().get()) == 0;
}

}  // namespace

Renewal renewLocalTls(const std::filesystem::path& stateDir, std::chrono::system_clock::time_point now,
                      const TrustTargets& targets) {
    const auto oldRoot = detail::readSmallFile(stateDir / ROOT_CERT_FILE);
    // Where the old root is trusted, asked before it is replaced.
    bool inNss = false;
    bool inSystem = false;
    if (oldRoot && !detail::parseCertificates(*oldRoot).empty()) {
        if (!targets.nssDb.empty())
            inNss = isTrustedByNss(*oldRoot, targets.nssDb).state == TrustState::Trusted;
        if (!targets.systemAnchor.empty()) inSystem = sameFile(targets.systemAnchor, *oldRoot);
    }

    Renewal out;
    out.files = ensureLocalTls(stateDir, now);
    if (!out.files.minted) return out;

    if (inNss) {
        try {
            trustInNss(out.files.rootCertPath, targets.nssDb, nssNickname(out.files.rootSha256Fingerprint));
            out.retrusted.emplace_back("nss");
        } catch (const std::exception& e) {
            out.problems.push_back(std::string("nss: ") + e.what());
        }
    }
    if (inSystem) {
        std::error_code ec;
        std::filesystem::copy_file(out.files.rootCertPath, targets.systemAnchor,
                                   std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) {
            out.problems.push_back("system: cannot write " + targets.systemAnchor.string() + ": " +
                                   ec.message());
        } else {
            std::filesystem::permissions(targets.systemAnchor, std::filesystem::perms(0644), ec);
            const auto update = targets.systemUpdate.empty() ? detail::ProcessResult{true, 0, {}, {}}
                                                             : detail::runProcess(targets.systemUpdate);
            if (update.started && update.exitCode == 0) {
                out.retrusted.emplace_back("system");
            } else {
                out.problems.push_back(
                    "system: " + (targets.systemUpdate.empty() ? "" : targets.systemUpdate[0]) +
                    " failed: " + update.err);
            }
        }
    }
    return out;
}

RenewalTimer::RenewalTimer(std::filesystem::path stateDir, TrustTargets targets, ServerIdentity& identity,
                           std::function<std::chrono::system_clock::time_point()> now,
                           std::chrono::milliseconds interval, std::function<void(const Renewal&)> onRenewed)
    : stateDir_(std::move(stateDir)),
      targets_(std::move(targets)),
      identity_(identity),
      now_(std::move(now)),
      interval_(interval),
      onRenewed_(std::move(onRenewed)) {}

RenewalTimer::~RenewalTimer() {
    stop();
}

void RenewalTimer::start() {
    thread_ = std::thread([this] { loop(); });
}

void RenewalTimer::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

unsigned RenewalTimer::checks() const {
    std::lock_guard lock(mutex_);
    return checks_;
}

void RenewalTimer::loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (wake_.wait_for(lock, interval_, [this] { return stop_; })) return;
        }
        try {
            const Renewal renewal = renewLocalTls(stateDir_, now_(), targets_);
            if (renewal.files.minted) {
                identity_.load(renewal.files.leafChainPath, renewal.files.leafKeyPath);
                spdlog::info("renewed the local TLS leaf ({}); new root {}; new connections get serial {}",
                             renewal.files.reason, renewal.files.rootSha256Fingerprint,
                             identity_.leafSerialHex());
                for (const auto& store : renewal.retrusted)
                    spdlog::info("trusted the new local root in {}", store);
                for (const auto& problem : renewal.problems)
                    spdlog::warn("the old local root was trusted but the new one could not be: {}", problem);
                if (onRenewed_) onRenewed_(renewal);
            }
        } catch (const std::exception& e) {
            spdlog::error("local TLS renewal check failed (retried at the next check): {}", e.what());
        }
        std::lock_guard lock(mutex_);
        ++checks_;
    }
}

}  // namespace cardbridge::localtls
