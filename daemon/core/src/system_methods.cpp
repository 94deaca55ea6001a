// system.hello: product, version, protocol, and what this caller may call.
#include "cardbridge/daemon/core/system_methods.hpp"

#include "cardbridge/daemon/core/origin_policy.hpp"

namespace cardbridge::daemon {

MethodSpec systemHello(const Dispatcher& dispatcher, SystemInfo info) {
    return {"system.hello", Capability::Read,
            [&dispatcher, info = std::move(info)](const CallContext& context, const nlohmann::json&,
                                                  std::shared_ptr<Responder> responder) {
                responder->succeed({
                    {"product", "cardbridge"},
                    {"version", info.version},
                    {"protocol", PROTOCOL_VERSION},
                    {"port", info.port ? info.port() : 0},
                    {"origin", context.origin},
                    {"capabilities", capabilityNames(context.capabilities)},
                    {"methods", dispatcher.methodsFor(context.capabilities)},
                });
            }};
}

}  // namespace cardbridge::daemon
