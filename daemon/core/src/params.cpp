#include "cardbridge/daemon/core/params.hpp"

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {

using nlohmann::json;

void invalidParam(const char* name, const std::string& message) {
    throw RpcError(Reason::InvalidParams, {{"param", name}}, message);
}

const json& requireObject(const json& params) {
    if (!params.is_object()) {
        throw RpcError(Reason::InvalidParams, {}, "params must be an object");
    }
    return params;
}

std::string requireString(const json& params, const char* name) {
    auto it = params.find(name);
    if (it == params.end() || !it->is_string()) invalidParam(name, std::string(name) + " must be a string");
    return it->get<std::string>();
}

std::optional<std::string> optionalString(const json& params, const char* name) {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    if (!it->is_string()) invalidParam(name, std::string(name) + " must be a string");
    return it->get<std::string>();
}

std::map<std::string, std::shared_ptr<Secret>> takeSecrets(const json& params,
                                                           std::initializer_list<const char*> names) {
    std::map<std::string, std::shared_ptr<Secret>> secrets;
    if (!params.is_object()) return secrets;
    for (const char* name : names) {
        auto it = params.find(name);
        if (it == params.end() || !it->is_string()) continue;
        auto& text = const_cast<json&>(*it).get_ref<std::string&>();
        secrets[name] = std::make_shared<Secret>(text);
        wipe(text);
    }
    return secrets;
}

}  // namespace cardbridge::daemon
