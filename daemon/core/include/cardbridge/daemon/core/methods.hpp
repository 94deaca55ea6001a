// The one place where the daemon's JSON-RPC methods are registered (docs/api.md §3–4.5).
#pragma once

#include <vector>

#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/system_methods.hpp"

namespace cardbridge::daemon {

/// Registers every method of the API on `dispatcher`: system.hello, the card methods (readers.list,
/// cards.list, certificates.export, pin.change), then `unlock` (the unlock.* methods, built by
/// daemon/unlock, which depends on this library). `dispatcher` and `cards` must outlive the handlers.
/// Call before serving. Throws std::logic_error when a name is already registered.
void registerMethods(Dispatcher& dispatcher, CardService& cards, SystemInfo system,
                     std::vector<MethodSpec> unlock = {});

}  // namespace cardbridge::daemon
