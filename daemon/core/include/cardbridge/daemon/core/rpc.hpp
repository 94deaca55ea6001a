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

#include "cardbridge/daemon/core/errors.hpp"

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

/// Runs `work` (returning the result JSON) and completes `responder` with its result or its exception,
/// exactly once. For handlers that finish on another thread (a reader's worker, the unlock pool).
template <typename Work>
void completeWith(const std::shared_ptr<Responder>& responder, Work&& work) {
    nlohmann::json result;
    try {
        result = work();
    } catch (...) {
        responder->fail(std::current_exception());
        return;
    }
    responder->succeed(std::move(result));
}

/// A method: runs on the caller's (network) thread and must not block; card work is posted to the
/// reader's worker, which completes the responder later. May throw: the dispatcher turns it into an error.
using MethodHandler =
    std::function<void(const CallContext&, const nlohmann::json& params, std::shared_ptr<Responder>)>;

/// One method ready to register: its name, the capability a caller needs, and the handler.
struct MethodSpec {
    std::string name;
    Capability required;
    MethodHandler handler;
};

/// Receives notifications ({"jsonrpc":"2.0","method":…,"params":…}) for every connected client whose
/// capabilities include `required`. Implemented by the network layer; thread-safe.
class NotificationSink {
  public:
    virtual ~NotificationSink() = default;
    virtual void broadcast(const std::string& method, const nlohmann::json& params, Capability required) = 0;
};

}  // namespace cardbridge::daemon
