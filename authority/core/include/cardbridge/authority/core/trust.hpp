// IssuerTrust: does a certificate chain to one of the configured issuing CAs?
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// Outcome of checking a leaf certificate.
enum class TrustResult { Trusted, Untrusted, Expired, NotYetValid };

/// The configured issuing CAs as an OpenSSL store. Immutable after construction; thread-safe.
class IssuerTrust {
  public:
    /// Loads every certificate of every PEM file. Throws FatalError when a file cannot be read or holds
    /// no certificate.
    explicit IssuerTrust(const std::vector<std::filesystem::path>& pemFiles);
    /// Trusts exactly these certificates (tests). Throws InputError on a bad PEM.
    static IssuerTrust fromPems(const std::vector<std::string>& pems);
    ~IssuerTrust();
    IssuerTrust(IssuerTrust&&) noexcept;
    IssuerTrust& operator=(IssuerTrust&&) noexcept;

    /// Checks that `leaf` chains (signature, CA constraints) to a configured CA — SM2 signatures with
    /// GM/T 0009's default id "1234567812345678" — and that leaf and CAs are valid at `at`. Untrusted wins
    /// over the leaf's time. Never throws beyond std::bad_alloc.
    [[nodiscard]] TrustResult check(const Certificate& leaf, Seconds at) const;

    /// Number of CA certificates loaded.
    [[nodiscard]] std::size_t size() const noexcept;

  private:
    IssuerTrust() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cardbridge::authority
