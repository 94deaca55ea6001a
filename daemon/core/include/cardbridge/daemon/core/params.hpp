// Reading a method's params: the shared checks (INVALID_PARAMS with data.param) and the one way PINs, PUKs
// and codes are taken out of a parsed request into wiping buffers.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cardbridge/common/secret.hpp"

namespace cardbridge::daemon {

/// Throws RpcError INVALID_PARAMS with data.param = `name`; `message` goes to the log.
[[noreturn]] void invalidParam(const char* name, const std::string& message);
/// `params` when it is an object; INVALID_PARAMS otherwise.
const nlohmann::json& requireObject(const nlohmann::json& params);
/// params[name] as a string; INVALID_PARAMS (param = name) when missing or not a string.
std::string requireString(const nlohmann::json& params, const char* name);
/// params[name] as a string when present; INVALID_PARAMS when present but not a string.
std::optional<std::string> optionalString(const nlohmann::json& params, const char* name);

/// Copies the named string fields into Secrets and wipes them in place, whatever else is wrong with the
/// params, so a secret lives in exactly one wiping buffer from here on. The dispatcher owns the parsed
/// request and passes a const view of a mutable object, hence the const_cast inside. Missing or non-string
/// fields are left out of the result.
std::map<std::string, std::shared_ptr<Secret>> takeSecrets(const nlohmann::json& params,
                                                           std::initializer_list<const char*> names);

}  // namespace cardbridge::daemon
