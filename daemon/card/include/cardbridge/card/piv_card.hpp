// The façade the daemon uses: one PIV card in one reader, each call one transaction.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/card/piv.hpp"
#include "cardbridge/card/transport.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::card {

/// Everything the daemon shows about a card.
struct CardInfo {
    std::string reader;
    std::string atrHex;
    std::optional<std::string> guidHex;     ///< CHUID GUID, 32 hex digits
    std::optional<std::uint32_t> serial;    ///< YubiKey serial
    std::optional<YubiKeyVersion> version;  ///< YubiKey firmware
    PinRetries pin;
    std::vector<PivCertificate> certificates;  ///< slot order: 9A, 9C, 9D, 9E, 82…
};

/// A PIV card in one reader. Each call connects if needed, then runs SELECT + the operation inside one
/// transaction. A reset card is reconnected and the call retried once; after ServiceUnavailable the
/// context is dropped and the call retried once, except when a PIN/PUK command was already under way
/// (the card may have executed it, and a repeat could spend a second try). Not thread-safe: use from the
/// reader's worker thread. Every call throws CardError.
class PivCard {
  public:
    /// Does not connect yet. `connector` must outlive this object.
    PivCard(CardConnector& connector, std::string reader);

    /// Identity, PIN state and all certificates.
    CardInfo readInfo();
    /// Certificates only (the fewest APDUs: SELECT, Key History, one GET DATA per object).
    std::vector<PivCertificate> readCertificates();
    /// PIN state without spending a try.
    PinRetries pinRetries();
    /// VERIFY the PIN.
    PinResult verifyPin(const Secret& pin);
    /// Changes the PIN; throws PinPolicyError before touching the card when `newPin` is weak.
    PinResult changePin(const Secret& oldPin, const Secret& newPin);
    /// Unblocks with the PUK and sets `newPin`; throws PinPolicyError when `newPin` is weak.
    PinResult unblockPin(const Secret& puk, const Secret& newPin);
    /// Changes the PUK (1–8 bytes each).
    PinResult changePuk(const Secret& oldPuk, const Secret& newPuk);
    /// Runs `work` after SELECT inside one exclusive PC/SC transaction, so no other program's commands come
    /// between its commands (the unlock flow's RESET RETRY COUNTER + CHANGE REFERENCE DATA). Never
    /// repeated once SELECT succeeded: `work` may carry PIN/PUK commands.
    void exclusive(const std::function<void(PivApplication&)>& work);
    /// Drops the connection (e.g. after the monitor reported the card removed). Never throws.
    void disconnect() noexcept;

    [[nodiscard]] const std::string& reader() const noexcept { return reader_; }

  private:
    template <typename Operation>
    auto run(bool idempotent, Operation&& operation);

    CardConnector& connector_;
    std::string reader_;
    std::shared_ptr<Transport> transport_;
};

}  // namespace cardbridge::card
