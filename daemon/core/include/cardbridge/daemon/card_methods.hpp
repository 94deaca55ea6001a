// JSON-RPC methods over the card service: readers.list, cards.list, certificates.export, pin.change.
#pragma once

#include <string>
#include <vector>

#include "cardbridge/daemon/card_service.hpp"
#include "cardbridge/daemon/rpc.hpp"

namespace cardbridge::daemon {

class Dispatcher;

/// One method ready to register: its name, the capability a caller needs, and the handler.
struct MethodSpec {
    std::string name;
    Capability required;
    MethodHandler handler;
};

/// The card methods (docs/api.md). Handlers run on the caller's thread, validate params there (throwing
/// json type errors / RpcError INVALID_PARAMS), and post card work to the reader's worker, which completes
/// the Responder. `service` must outlive the handlers.
std::vector<MethodSpec> cardMethods(CardService& service);

/// Adds cardMethods(service) to `dispatcher`. Throws std::logic_error on a duplicate name.
void registerCardMethods(Dispatcher& dispatcher, CardService& service);

}  // namespace cardbridge::daemon
