// Trusting the local root on Windows: the Windows ROOT certificate store (what Edge, Chrome and every
// program using CryptoAPI/schannel trust) and Firefox's enterprise-roots policy (Firefox then imports the
// machine's ROOT store). Plain crypt32 and the registry: no OpenSSL (the PEM is decoded by crypt32), so
// scripts/mingw-check.sh compiles and links it with mingw-w64. Windows only. docs/windows.md, "Trust".
#pragma once

#ifdef _WIN32

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::localtls::windows {

/// Which ROOT store. LocalMachine needs an elevated process and is what Firefox's enterprise roots read;
/// CurrentUser needs no elevation but Windows asks the user with a dialog before adding a root there
/// (nothing can answer it in a service), and Firefox does not read it.
enum class RootStore { LocalMachine, CurrentUser };

/// The DER of the first certificate in `pem` (CryptStringToBinaryA). Throws std::runtime_error when
/// there is none.
std::vector<std::uint8_t> derFromPem(std::string_view pem);

/// Adds the root `der` to the store. Returns false when exactly this certificate is already there.
/// Throws std::runtime_error naming the call and the Windows error (e.g. 5, access denied, when not
/// elevated for LocalMachine).
bool addRoot(std::span<const std::uint8_t> der, RootStore store);

/// Whether exactly this certificate is in the store. Throws std::runtime_error when it cannot be opened.
bool hasRoot(std::span<const std::uint8_t> der, RootStore store);

/// Removes every certificate whose subject common name starts with `commonNamePrefix` (the cardbridge
/// roots: NSS_NICKNAME_PREFIX), except `keep` when given (a renewed root replaces the older ones).
/// Returns how many were removed. Throws std::runtime_error.
std::size_t removeRoots(std::string_view commonNamePrefix, RootStore store,
                        std::span<const std::uint8_t> keep = {});

/// What enableFirefoxEnterpriseRoots found and did.
enum class FirefoxPolicy {
    Set,               ///< the value was absent; we set it to 1 and recorded that we did
    AlreadyOn,         ///< already 1 (set by an administrator or by us earlier): left alone
    TurnedOffByAdmin,  ///< present and 0 (or not a DWORD): an administrator's choice, left alone
};

/// HKLM\SOFTWARE\Policies\Mozilla\Firefox\Certificates ImportEnterpriseRoots = 1 (DWORD), only when the
/// value is absent. What it created is recorded under HKLM\SOFTWARE\cardbridge so the removal takes out
/// only that. Needs elevation. Throws std::runtime_error.
FirefoxPolicy enableFirefoxEnterpriseRoots();

/// Takes out what enableFirefoxEnterpriseRoots recorded: the value (if it is still 1) and the keys it
/// created (if they are empty now), then the record. Returns true when it removed the value. Throws
/// std::runtime_error.
bool removeFirefoxEnterpriseRoots();

/// Whether ImportEnterpriseRoots is 1. Never throws (false when unreadable).
bool firefoxEnterpriseRootsOn() noexcept;

/// What `cardbridged trust` does on Windows.
enum class TrustCommand { Install, Status, Remove };

/// `trust install | status | remove` on Windows, for the root in `rootPem` (may be empty for Remove):
/// install puts it into the LocalMachine ROOT store, removes older cardbridge roots and turns on Firefox's
/// enterprise roots (unless `firefox` is false); status checks both; remove takes out every cardbridge
/// root and what enableFirefoxEnterpriseRoots recorded. Appends one Chinese + English line per store to
/// `report`. Returns 0 when done (status: the store trusts the root and Firefox imports it), 1 when a
/// store failed or does not trust it. Never throws.
int runTrust(TrustCommand command, std::string_view rootPem, bool firefox, std::string& report) noexcept;

}  // namespace cardbridge::localtls::windows

#endif
