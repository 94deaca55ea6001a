// Provisioning the virtual card's state file from the command line (init, import, set, lock-pin, show).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cardbridge::vcard {

/// Options of `cardbridge-vcard init`.
struct InitOptions {
    std::optional<std::uint32_t> serial;  ///< random 8-digit serial when absent
    std::string pin = "123456";
    std::string puk = "12345678";
    int pinRetries = 3;
    int pukRetries = 3;
    std::optional<std::string> mgmtKeyHex;  ///< 24-byte 3DES key; the YubiKey default when absent
    bool force = false;                     ///< overwrite an existing state file
};

/// Writes a fresh card. Throws InputError for bad options or an existing file without `force`.
void initCard(const std::filesystem::path& statePath, const InitOptions& options);

/// Options of `cardbridge-vcard import`.
struct ImportOptions {
    std::string slot;  ///< 9a, 9c, 9d, 9e, 82..95
    std::filesystem::path certPath;
    std::optional<std::filesystem::path> keyPath;
    bool compress = false;  ///< store the certificate gzip-compressed (CertInfo 01)
};

/// Stores a certificate (and its private key) in a slot. Throws InputError for unreadable, unsupported or
/// mismatching cert/key files.
void importIntoCard(const std::filesystem::path& statePath, const ImportOptions& options);

/// Options of `cardbridge-vcard set`; only the given fields change.
struct SetOptions {
    std::optional<std::string> pin;
    std::optional<std::string> puk;
    std::optional<int> pinRetries;  ///< also refills the tries left, as YubiKey SET PIN RETRIES does
    std::optional<int> pukRetries;
    std::optional<int> pinTriesLeft;
    std::optional<int> pukTriesLeft;
    std::optional<std::uint32_t> serial;
    std::optional<std::string> mgmtKeyHex;
};

/// Applies `options` to an existing state file. Throws InputError for out-of-range values.
void setCard(const std::filesystem::path& statePath, const SetOptions& options);

/// Sets the PIN tries left to 0 (the "locked card" of the demo).
void lockPin(const std::filesystem::path& statePath);

/// Public summary of the card: serial, GUID, counters and per-slot contents; never PIN/PUK/key material.
nlohmann::json showCard(const std::filesystem::path& statePath);

}  // namespace cardbridge::vcard
