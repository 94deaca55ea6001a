// The seam between card applications and PC/SC: send an APDU, get the response.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "cardbridge/common/apdu.hpp"
#include "cardbridge/common/bytes.hpp"

namespace cardbridge::card {

/// Upper bound of GET RESPONSE rounds that one command may trigger (a card answering 61xx forever).
inline constexpr std::size_t MAX_GET_RESPONSE_ROUNDS = 256;
/// Upper bound of the concatenated response data of one command.
inline constexpr std::size_t MAX_RESPONSE_SIZE = 64 * 1024;

/// A connection to one card. Not thread-safe: use it from one thread.
class Transport {
  public:
    virtual ~Transport() = default;

    /// Sends `command`, follows 61xx with GET RESPONSE (concatenating) and resends once on 6Cxx with
    /// Le = xx. The encoded command bytes are wiped after sending (they may hold a PIN). Throws CardError:
    /// ProtocolError for malformed answers or unbounded chaining, PC/SC conditions from exchange().
    ResponseApdu transmit(const CommandApdu& command);

    /// One raw exchange (no 61xx/6Cxx handling): command bytes in, data ‖ SW out. Throws CardError.
    virtual Bytes exchange(ByteView command) = 0;
    /// Starts exclusive access (SCardBeginTransaction). Throws CardError.
    virtual void beginTransaction() = 0;
    /// Ends exclusive access, leaving the card as is. Throws CardError.
    virtual void endTransaction() = 0;
    /// Re-establishes the connection after CardReset (shared, leave card); the caller re-selects.
    /// Throws CardError.
    virtual void reconnect() = 0;
    /// Reader this transport is connected to.
    [[nodiscard]] virtual std::string readerName() const = 0;
    /// Answer-to-reset of the card.
    [[nodiscard]] virtual Bytes atr() const = 0;

  protected:
    Transport() = default;
    Transport(const Transport&) = default;
    Transport& operator=(const Transport&) = default;
};

/// RAII transaction scope: begins in the constructor (may throw CardError), ends in the destructor
/// (errors there are swallowed: a reset or removed card has no transaction left to end).
class TransactionGuard {
  public:
    explicit TransactionGuard(Transport& transport);
    ~TransactionGuard();
    TransactionGuard(const TransactionGuard&) = delete;
    TransactionGuard& operator=(const TransactionGuard&) = delete;

  private:
    Transport& transport_;
};

/// Opens transports by reader name; the real one owns a PC/SC context, the fake hands out scripts.
class CardConnector {
  public:
    virtual ~CardConnector() = default;
    /// Connects to the card in `reader` (shared mode). Throws CardError (CardAbsent, ReaderUnavailable, …).
    virtual std::shared_ptr<Transport> connect(const std::string& reader) = 0;
    /// Drops the current PC/SC context so that the next connect() establishes a fresh one
    /// (after ServiceUnavailable: pcscd may have exited and been restarted). Never throws.
    virtual void resetContext() noexcept = 0;

  protected:
    CardConnector() = default;
    CardConnector(const CardConnector&) = default;
    CardConnector& operator=(const CardConnector&) = default;
};

}  // namespace cardbridge::card
