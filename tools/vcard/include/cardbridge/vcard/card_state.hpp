// Persistent state of the virtual PIV card and the seam that stores it (a JSON file, or memory in tests).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::vcard {

/// PIV algorithm identifiers (SP 800-78-4 table 6-2) the card knows.
enum class PivAlgorithm : std::uint8_t {
    TripleDes = 0x03,
    Rsa1024 = 0x06,
    Rsa2048 = 0x07,
    EccP256 = 0x11,
};

/// A private key held in a slot: PKCS#8 PEM plus the YubiKey metadata that goes with it.
struct SlotKey {
    PivAlgorithm algorithm = PivAlgorithm::Rsa2048;
    std::uint8_t pinPolicy = 0;    ///< 0 = slot default, 1 never, 2 once, 3 always
    std::uint8_t touchPolicy = 0;  ///< stored and reported only; the emulator never waits for touch
    std::uint8_t origin = 2;       ///< 1 generated on card, 2 imported
    std::string pkcs8Pem;          ///< unencrypted private key (the file is owner-only, like a card's EEPROM)
};

/// Everything a real card keeps across power cycles. PIN/PUK are the unpadded bytes.
struct CardState {
    std::uint32_t serial = 0;
    Bytes guid;  ///< 16 bytes, goes into the CHUID
    Bytes pin;
    Bytes puk;
    int pinRetries = 3;
    int pinTriesLeft = 3;
    int pukRetries = 3;
    int pukTriesLeft = 3;
    Bytes mgmtKey;  ///< 24-byte 3DES key
    /// Data objects by tag (e.g. 0x5FC105), holding the full object TLV as GET DATA returns it (`53 …`).
    std::map<std::uint32_t, Bytes> objects;
    /// Private keys by slot (0x9A, 0x9C, 0x9D, 0x9E, 0x82..0x95).
    std::map<std::uint8_t, SlotKey> keys;
};

inline constexpr std::string_view DEFAULT_PIN = "123456";
inline constexpr std::string_view DEFAULT_PUK = "12345678";
/// 01 02 03 04 05 06 07 08 three times, the YubiKey factory management key.
Bytes defaultMgmtKey();

/// A fresh card: default PIN/PUK/management key, 3/3 tries, the given serial and GUID.
CardState freshCardState(std::uint32_t serial, Bytes guid);

/// JSON form of the state file. Throws InputError for a malformed or inconsistent document.
nlohmann::json stateToJson(const CardState& state);
CardState stateFromJson(const nlohmann::json& json);

/// Where the card's state lives. The applet saves after every change, before it answers.
class StateStore {
  public:
    virtual ~StateStore() = default;
    /// Reads the stored state. Throws InputError (bad content) or FatalError (I/O).
    virtual CardState load() = 0;
    /// Stores the state durably. Throws FatalError when it cannot.
    virtual void save(const CardState& state) = 0;
    /// Returns the stored state if someone else changed it since our last load/save (e.g. the CLI while
    /// the emulator runs), otherwise nothing. Never throws.
    virtual std::optional<CardState> reloadIfChanged() noexcept { return std::nullopt; }
};

/// The state in a JSON file, written atomically (temp file, fsync, rename, fsync dir) with mode 0600.
class FileStateStore : public StateStore {
  public:
    explicit FileStateStore(std::filesystem::path path) : path_(std::move(path)) {}
    CardState load() override;
    void save(const CardState& state) override;
    std::optional<CardState> reloadIfChanged() noexcept override;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    struct Stamp {
        std::uint64_t ino = 0;
        std::int64_t mtimeNs = 0;
        std::int64_t size = 0;
        bool operator==(const Stamp&) const = default;
    };
    std::optional<Stamp> currentStamp() const noexcept;

    std::filesystem::path path_;
    std::optional<Stamp> lastStamp_;
};

/// State kept in memory, for unit tests; counts saves so tests can assert persistence happened.
class MemoryStateStore : public StateStore {
  public:
    explicit MemoryStateStore(CardState state) : state_(std::move(state)) {}
    CardState load() override { return state_; }
    void save(const CardState& state) override {
        state_ = state;
        ++saves_;
    }
    [[nodiscard]] const CardState& stored() const noexcept { return state_; }
    [[nodiscard]] int saves() const noexcept { return saves_; }

  private:
    CardState state_;
    int saves_ = 0;
};

}  // namespace cardbridge::vcard
