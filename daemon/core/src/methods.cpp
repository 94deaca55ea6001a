// Every JSON-RPC method of cardbridged, registered here and nowhere else.
#include "cardbridge/daemon/core/methods.hpp"

#include "cardbridge/daemon/core/card_methods.hpp"

namespace cardbridge::daemon {

void registerMethods(Dispatcher& dispatcher, CardService& cards, SystemInfo system,
                     std::vector<MethodSpec> unlock) {
    dispatcher.add(systemHello(dispatcher, std::move(system)));
    for (auto& method : cardMethods(cards)) dispatcher.add(std::move(method));
    for (auto& method : unlock) dispatcher.add(std::move(method));
}

}  // namespace cardbridge::daemon
