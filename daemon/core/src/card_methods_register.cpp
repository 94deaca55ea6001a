// registerCardMethods in its own file: unit tests use cardMethods() without linking the Dispatcher.
#include "cardbridge/daemon/card_methods.hpp"
#include "cardbridge/daemon/dispatcher.hpp"

namespace cardbridge::daemon {

void registerCardMethods(Dispatcher& dispatcher, CardService& service) {
    for (auto& method : cardMethods(service)) {
        dispatcher.add(std::move(method.name), method.required, std::move(method.handler));
    }
}

}  // namespace cardbridge::daemon
