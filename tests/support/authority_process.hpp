// The real cardbridge-authority binary for black-box tests: a temp data folder, a test issuing CA with one
// enrollable card certificate, a TLS root and a 127.0.0.1 leaf minted at run time, keys, a token file,
// and the process started and stopped. Shared by tests/integration/authority and tests/integration/unlock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "test_certs.hpp"

namespace cardbridge::test {

/// One authority installation under a test's folder. Not copyable; stops the process on destruction.
class AuthorityProcess {
  public:
    /// Mints the certificates, writes keys, `token` (in "tokens", mode 0600) and "authority.json" under
    /// `dir` (`extraConfig` merged over the defaults: port 0, no uniform-timing padding, debug log). `exe`
    /// is the cardbridge-authority binary. Nothing runs yet. Throws std::runtime_error.
    AuthorityProcess(std::filesystem::path dir, std::string exe, const std::string& token,
                     const nlohmann::json& extraConfig = nlohmann::json::object());
    AuthorityProcess(const AuthorityProcess&) = delete;
    AuthorityProcess& operator=(const AuthorityProcess&) = delete;
    ~AuthorityProcess();

    /// Runs the CLI with `args` (and `stdinText` on stdin); its output goes to dir()/cli.out. Returns
    /// the exit status (-1 when it did not exit).
    int cli(const std::string& args, const std::string& stdinText = {}) const;
    /// Enrols leaf() for `card` with the given applicant (the CLI's `enroll`). Returns its exit status.
    int enroll(const std::string& card, const std::string& organization, const std::string& name,
               const std::string& idNumber, const std::string& phone) const;

    /// Starts `serve` and waits (10 s) for its "listening on" line. Throws std::runtime_error with its
    /// stderr when it does not come.
    void start();
    /// SIGTERM and wait. True when it exited with status 0 (also when it was not running).
    bool stop();
    /// The port `serve` listens on (0 when not running).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    /// The last 6-digit code in the SMS outbox, "" when none.
    [[nodiscard]] std::string lastCode() const;

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
    [[nodiscard]] const TestCert& issuingCa() const noexcept { return ca_; }
    [[nodiscard]] const TestCert& leaf() const noexcept { return leaf_; }        ///< a card certificate
    [[nodiscard]] const TestCert& tlsRoot() const noexcept { return tlsRoot_; }  ///< trust this for HTTPS

  private:
    std::filesystem::path dir_;
    std::string exe_;
    TestCert ca_, leaf_, tlsRoot_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

/// The whole file as a string ("" when it cannot be read).
std::string readTextFile(const std::filesystem::path& path);

}  // namespace cardbridge::test
