// Test doubles for the card seam: a Transport that replays an APDU script, and a connector handing it out.
// Link cardbridge_card_fake only from tests.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/transport.hpp"

namespace cardbridge::card {

/// One expected exchange: the command (hex, spaces allowed) and either the response hex or an error.
struct ScriptStep {
    std::string command;
    std::string response;
    std::optional<CardErrorCode> error;  ///< thrown instead of answering (e.g. CardReset, CardRemoved)
};

/// Shorthand: expect `command`, answer `response`.
inline ScriptStep step(std::string command, std::string response) {
    return {std::move(command), std::move(response), std::nullopt};
}
/// Shorthand: expect `command`, fail with `error` as the PC/SC layer would.
inline ScriptStep failStep(std::string command, CardErrorCode error) {
    return {std::move(command), {}, error};
}

/// A scripted command did not match: not a cardbridge::Error, so no card-layer code can swallow it.
class ScriptMismatch : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

/// Replays a script; a command that differs from the next step throws ScriptMismatch
/// "at step N: unexpected command <hex>, expected <hex>" (N counts from 1).
class ScriptedTransport : public Transport {
  public:
    explicit ScriptedTransport(std::vector<ScriptStep> script, std::string reader = "Scripted Reader 00 00",
                               std::string atrHex = "3BFD1300008131FE158073C021C057597562694B657940");

    Bytes exchange(ByteView command) override;
    void beginTransaction() override;
    void endTransaction() override;
    void reconnect() override;
    [[nodiscard]] std::string readerName() const override { return reader_; }
    [[nodiscard]] Bytes atr() const override { return atr_; }

    /// Appends steps (e.g. for the attempt after a reconnect).
    void add(std::vector<ScriptStep> steps);
    /// Steps consumed so far.
    [[nodiscard]] std::size_t position() const noexcept { return position_; }
    /// True when every step was consumed.
    [[nodiscard]] bool finished() const noexcept { return position_ == script_.size(); }
    /// Commands sent so far (normalised hex), for assertions.
    [[nodiscard]] const std::vector<std::string>& sent() const noexcept { return sent_; }
    [[nodiscard]] int transactionsBegun() const noexcept { return begun_; }
    [[nodiscard]] int transactionsEnded() const noexcept { return ended_; }
    [[nodiscard]] int reconnects() const noexcept { return reconnects_; }
    /// Makes the next beginTransaction() throw `error` once.
    void failNextBegin(CardErrorCode error) { failBegin_ = error; }
    /// True while a transaction is open (begun and not ended).
    [[nodiscard]] bool inTransaction() const noexcept { return begun_ > ended_; }

  private:
    std::vector<ScriptStep> script_;
    std::size_t position_ = 0;
    std::vector<std::string> sent_;
    std::string reader_;
    Bytes atr_;
    int begun_ = 0, ended_ = 0, reconnects_ = 0;
    std::optional<CardErrorCode> failBegin_;
};

/// A CardConnector that hands out one shared ScriptedTransport, or fails connects from a queue.
class ScriptedConnector : public CardConnector {
  public:
    explicit ScriptedConnector(std::shared_ptr<ScriptedTransport> transport)
        : transport_(std::move(transport)) {}
    std::shared_ptr<Transport> connect(const std::string& reader) override;
    void resetContext() noexcept override { ++contextResets_; }
    /// The next connect() calls throw these errors, in order, before connecting succeeds.
    void failConnects(std::vector<CardErrorCode> errors) {
        connectErrors_.assign(errors.begin(), errors.end());
    }
    [[nodiscard]] int connects() const noexcept { return connects_; }
    [[nodiscard]] int contextResets() const noexcept { return contextResets_; }

  private:
    std::shared_ptr<ScriptedTransport> transport_;
    std::deque<CardErrorCode> connectErrors_;
    int connects_ = 0, contextResets_ = 0;
};

}  // namespace cardbridge::card
