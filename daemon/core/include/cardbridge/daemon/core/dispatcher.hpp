// JSON-RPC 2.0 dispatch: parse (bounded depth), check the caller's capability, run the method,
// turn every failure into an error object (via toErrorObject), serialise the response.
// Batches (a JSON array at the top) are refused with INVALID_REQUEST: every call is its own frame.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/daemon/core/rpc.hpp"

namespace cardbridge::daemon {

/// Routes requests to registered methods. add() before serving; handle() is thread-safe afterwards.
class Dispatcher {
  public:
    /// Called exactly once per handled frame, possibly later and from another thread: with the
    /// serialised response, or with an empty string when there is nothing to send (a notification).
    using Send = std::function<void(std::string)>;

    /// `maxJsonDepth`: deeper requests are refused with PARSE_ERROR before any handler runs.
    explicit Dispatcher(unsigned maxJsonDepth = 16);

    /// Registers `name`; callers without `required` get NOT_ALLOWED. Throws std::logic_error on duplicates.
    void add(std::string name, Capability required, MethodHandler handler);
    /// add(spec.name, spec.required, spec.handler).
    void add(MethodSpec spec);

    /// Handles one text frame and calls `send` exactly once (see Send); a request without id is a
    /// notification: its handler runs but nothing is sent back. Never throws.
    void handle(const CallContext& context, std::string_view text, Send send);

    /// Answers one text frame with `error` without running any method (the network layer's bounds:
    /// RATE_LIMITED, TOO_MANY_PENDING), using the request's id when it has a valid one. Calls `send`
    /// exactly once, synchronously (empty for a notification). Never throws.
    void refuse(std::string_view text, const RpcError& error, const Send& send) const;

    /// Names of the registered methods a caller with `capabilities` may call (for system.hello).
    [[nodiscard]] std::vector<std::string> methodsFor(const Capabilities& capabilities) const;

    /// Depth limit given at construction (the outermost object or array is depth 1).
    [[nodiscard]] unsigned maxJsonDepth() const noexcept { return maxJsonDepth_; }

  private:
    struct Method {
        Capability required;
        MethodHandler handler;
    };
    unsigned maxJsonDepth_;
    std::map<std::string, Method, std::less<>> methods_;
};

/// Parses `text` as JSON, refusing nesting deeper than `maxDepth` before any tree is built.
/// Returns a discarded value (is_discarded()) for invalid JSON, invalid UTF-8 or too deep. Never throws.
nlohmann::json parseBoundedJson(std::string_view text, unsigned maxDepth) noexcept;

}  // namespace cardbridge::daemon
