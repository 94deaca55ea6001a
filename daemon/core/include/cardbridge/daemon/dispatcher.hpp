// JSON-RPC 2.0 dispatch: parse (bounded depth), check the caller's capability, run the method,
// turn every failure into an error object (via toErrorObject), serialise the response.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "cardbridge/daemon/rpc.hpp"

namespace cardbridge::daemon {

/// Routes requests to registered methods. add() before serving; handle() is thread-safe afterwards.
class Dispatcher {
public:
    /// `maxJsonDepth`: deeper requests are refused with PARSE_ERROR before any handler runs.
    explicit Dispatcher(unsigned maxJsonDepth = 16);

    /// Registers `name`; callers without `required` get NOT_ALLOWED. Throws std::logic_error on duplicates.
    void add(std::string name, Capability required, MethodHandler handler);

    /// Handles one text frame. `send` receives the serialised response at most once, possibly later
    /// and from another thread (nothing for a notification, i.e. a request without id). Never throws.
    void handle(const CallContext& context, std::string_view text, std::function<void(std::string)> send);

    /// Names of the registered methods a caller with `capabilities` may call (for system.hello).
    [[nodiscard]] std::vector<std::string> methodsFor(const Capabilities& capabilities) const;

private:
    struct Method {
        Capability required;
        MethodHandler handler;
    };
    unsigned maxJsonDepth_;
    std::map<std::string, Method, std::less<>> methods_;
};

}  // namespace cardbridge::daemon
