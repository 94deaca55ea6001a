// JSON-RPC 2.0 seam between the network layer (daemon/net, Beast) and the method handlers (daemon/core).
// No Beast here: handlers, card and certificate code never see a socket.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cardbridge::daemon {

/// What a caller may do; decided per origin by the origin policy.
enum class Capability : unsigned {
    Read = 1,         ///< readers, cards, certificates, PIN state, unlock status
    StartUnlock = 2,  ///< start an unlock (returns the wizard URL)
    Secrets = 4,      ///< methods carrying a PIN, PUK or SMS code; attachment uploads
};

/// A set of capabilities.
struct Capabilities {
    unsigned bits = 0;
    [[nodiscard]] bool has(Capability c) const noexcept { return (bits & static_cast<unsigned>(c)) != 0; }
    Capabilities& add(Capability c) noexcept {
        bits |= static_cast<unsigned>(c);
        return *this;
    }
};

/// Who is calling: fixed at the WebSocket handshake.
struct CallContext {
    std::uint64_t connectionId = 0;
    std::string origin;      ///< the handshake's Origin, already checked against the allowlist
    bool ownOrigin = false;  ///< the bundled UI's own origin (https://127.0.0.1:PORT)
    Capabilities capabilities;
};

/// JSON-RPC error codes (the spec's, plus the implementation-defined server error range for ours).
enum class RpcCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    ApplicationError = -32000,  ///< data.reason says which
};

/// An error a handler reports on purpose: becomes {code, message, data:{reason, …extra}}. `reason` is one
/// of the documented stable strings (docs/api.md), e.g. "PIN_INCORRECT" with extra {"retriesLeft": 2}.
class RpcError : public std::exception {
  public:
    RpcError(RpcCode code, std::string reason, std::string message,
             nlohmann::json extra = nlohmann::json::object())
        : code_(code), reason_(std::move(reason)), message_(std::move(message)), extra_(std::move(extra)) {}
    [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
    [[nodiscard]] RpcCode code() const noexcept { return code_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] const nlohmann::json& extra() const noexcept { return extra_; }

  private:
    RpcCode code_;
    std::string reason_;
    std::string message_;
    nlohmann::json extra_;
};

/// Completes one request exactly once, from any thread: with a result, or with an exception that
/// toErrorObject() turns into a JSON-RPC error. Dropping it unanswered answers INTERNAL.
class Responder {
  public:
    virtual ~Responder() = default;
    virtual void succeed(nlohmann::json result) = 0;
    /// Completes with a result given as JSON text, which the dispatcher splices into the response as is.
    /// `json` must come from our own serialiser (nlohmann::json::dump), never from input. The default
    /// parses it back and calls succeed().
    virtual void succeedRaw(std::string json) { succeed(nlohmann::json::parse(json)); }
    virtual void fail(std::exception_ptr error) = 0;
};

/// A method: runs on the caller's (network) thread and must not block; card work is posted to the
/// reader's worker, which completes the responder later. May throw: the dispatcher turns it into an error.
using MethodHandler =
    std::function<void(const CallContext&, const nlohmann::json& params, std::shared_ptr<Responder>)>;

/// The single place where an exception becomes a JSON-RPC error object {code, message, data{reason…}}.
/// Known exceptions (RpcError, cardbridge::card::CardError, cardbridge::InputError, …) map to stable
/// reasons; anything else is INTERNAL and its what() goes to the log only.
nlohmann::json toErrorObject(std::exception_ptr error);

/// Receives notifications ({"jsonrpc":"2.0","method":…,"params":…}) for every connected client whose
/// capabilities include `required`. Implemented by the network layer; thread-safe.
class NotificationSink {
  public:
    virtual ~NotificationSink() = default;
    virtual void broadcast(const std::string& method, const nlohmann::json& params, Capability required) = 0;
};

}  // namespace cardbridge::daemon
