// JSON-RPC methods over the card service: readers.list, cards.list, certificates.export, pin.change.
#pragma once

#include <string>
#include <vector>

#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/rpc.hpp"

namespace cardbridge::daemon {

/// The card methods (docs/api.md). Handlers run on the caller's thread, validate params there (throwing
/// json type errors / RpcError INVALID_PARAMS), and post card work to the reader's worker, which completes
/// the Responder. `service` must outlive the handlers.
std::vector<MethodSpec> cardMethods(CardService& service);

}  // namespace cardbridge::daemon
