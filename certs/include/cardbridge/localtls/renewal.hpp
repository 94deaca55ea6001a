// Keeping the local TLS leaf fresh while the daemon runs: a daily check that renews a leaf entering the
// renewal window, re-trusts the new root where the old one was trusted, and a server identity that hands
// the new leaf to new connections without a restart.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cardbridge/localtls/local_tls.hpp"
#include "cardbridge/localtls/trust_stores.hpp"

namespace cardbridge::localtls {

/// The chain and key a TLS server presents, replaceable while it serves: install() makes every new
/// handshake on the context take the identity current at that moment; connections already open keep
/// theirs. Thread-safe.
class ServerIdentity {
  public:
    ServerIdentity();
    ~ServerIdentity();
    ServerIdentity(const ServerIdentity&) = delete;
    ServerIdentity& operator=(const ServerIdentity&) = delete;

    /// Loads the chain (PEM, leaf first) and its key; on success new handshakes present them. Throws
    /// FatalError (the old identity stays) when a file does not load or the key does not match the leaf.
    void load(const std::filesystem::path& chainPem, const std::filesystem::path& keyPem);

    /// Installs a certificate callback on `ctx` (SSL_CTX_set_cert_cb). This object must outlive `ctx`.
    void install(SSL_CTX* ctx);

    /// Serial number of the leaf new handshakes get (upper-case hex); "" before load().
    [[nodiscard]] std::string leafSerialHex() const;

  private:
    struct Loaded;
    static int onHandshake(SSL* ssl, void* self);
    [[nodiscard]] std::shared_ptr<const Loaded> current() const;
    mutable std::mutex mutex_;
    std::shared_ptr<const Loaded> current_;
};

/// Where a renewed root must be trusted when the old one was.
struct TrustTargets {
    /// NSS database (sql:) the old root may be in; empty: not checked.
    std::filesystem::path nssDb = defaultNssDbDir();
    /// The system store's anchor file `cardbridged trust install` writes for this user; empty: not
    /// checked. (It is root's: a daemon running as the user reports the new root as a problem there, and
    /// `sudo cardbridged trust install` puts it in.)
    std::filesystem::path systemAnchor = defaultSystemAnchor();
    /// Run (argv, no shell) after the anchor file was replaced.
    std::vector<std::string> systemUpdate = {"update-ca-certificates"};
};

/// What renewLocalTls did.
struct Renewal {
    LocalTlsFiles files;                 ///< as ensureLocalTls returned them
    std::vector<std::string> retrusted;  ///< stores that now trust the new root ("nss", "system")
    std::vector<std::string> problems;   ///< stores that trusted the old root and could not take the new one
};

/// ensureLocalTls(stateDir, now) and, when it minted a new root, trusts the new root wherever the old
/// one was trusted: in targets.nssDb (old nicknames removed by trustInNss) and in the system anchor file
/// (overwritten, then targets.systemUpdate). A store that did not trust the old root is left alone.
/// Throws as ensureLocalTls; trust failures are reported in `problems`, not thrown.
Renewal renewLocalTls(const std::filesystem::path& stateDir, std::chrono::system_clock::time_point now,
                      const TrustTargets& targets);

/// How often the running daemon checks its leaf.
inline constexpr std::chrono::hours RENEWAL_CHECK_INTERVAL{24};

/// A thread that calls renewLocalTls every `interval` with `now()`, and when it minted, loads the new
/// files into `identity` and calls `onRenewed`. Errors are logged and retried at the next check.
class RenewalTimer {
  public:
    /// `identity` must outlive the timer; `onRenewed` may be empty.
    RenewalTimer(std::filesystem::path stateDir, TrustTargets targets, ServerIdentity& identity,
                 std::function<std::chrono::system_clock::time_point()> now,
                 std::chrono::milliseconds interval, std::function<void(const Renewal&)> onRenewed);
    ~RenewalTimer();
    RenewalTimer(const RenewalTimer&) = delete;
    RenewalTimer& operator=(const RenewalTimer&) = delete;

    /// Starts the thread; the first check is one interval from now (start-up already ran ensureLocalTls).
    void start();
    /// Ends the thread, waiting for a check under way. Idempotent.
    void stop();
    /// Checks finished so far (tests).
    [[nodiscard]] unsigned checks() const;

  private:
    void loop();
    std::filesystem::path stateDir_;
    TrustTargets targets_;
    ServerIdentity& identity_;
    std::function<std::chrono::system_clock::time_point()> now_;
    std::chrono::milliseconds interval_;
    std::function<void(const Renewal&)> onRenewed_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    unsigned checks_ = 0;
    std::thread thread_;
};

}  // namespace cardbridge::localtls
