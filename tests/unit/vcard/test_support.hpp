// Shared helpers for the vcard unit tests: an applet on an in-memory store, APDU helpers, OpenSSL helpers
// that do not go through the code under test.
#pragma once

#include <string>
#include <string_view>

#include "cardbridge/common/apdu.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/vcard/card_state.hpp"
#include "cardbridge/vcard/piv_applet.hpp"

namespace vcardtest {

using namespace cardbridge;
using namespace cardbridge::vcard;

/// Deterministic "random" bytes: 01 02 03 … continuing across calls.
class CounterRandom final : public Random {
  public:
    Bytes bytes(std::size_t count) override {
        Bytes out(count);
        for (auto& b : out) b = ++counter_;
        return out;
    }

  private:
    std::uint8_t counter_ = 0;
};

/// A fresh card state with a fixed serial and GUID.
CardState testState();

/// An applet over a MemoryStateStore.
struct Card {
    explicit Card(CardState state = testState());
    /// Sends raw hex, returns the parsed response (no 61xx handling).
    ResponseApdu send(std::string_view hex);
    ResponseApdu send(const Bytes& raw);
    /// Sends (chaining with CLA 10 above 255 bytes) and follows 61xx with GET RESPONSE like OpenSC does.
    ResponseApdu transmit(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data,
                          std::optional<std::size_t> le = 256);
    void select();
    void verifyPin(std::string_view pin = "123456");
    void authenticateMgmt(const Bytes& key);

    CounterRandom random;
    MemoryStateStore store;
    PivApplet applet;
};

/// The 8-byte FF-padded form of a PIN/PUK.
Bytes pad8(std::string_view text);

/// 3DES-ECB computed here with OpenSSL directly (independent of the vcard's own helper).
Bytes des3(const Bytes& key, const Bytes& block, bool encrypt);

/// Fresh keys made by OpenSSL.
EvpPkeyPtr makeRsa(int bits);
EvpPkeyPtr makeP256();
/// PKCS#8 PEM of a private key.
std::string toPem(EVP_PKEY* key);
/// A self-signed certificate for the key, PEM.
std::string selfSignedPem(EVP_PKEY* key, const std::string& cn);
/// Writes a file.
void writeFile(const std::string& path, const std::string& content);

/// "9000" style status of a response for readable assertions.
std::string swHex(const ResponseApdu& r);

}  // namespace vcardtest
