// The codecs the API router and the reviewers' pages share: path segments, percent-encoding, HTML forms,
// cookies, request ids and attachment kinds, JSON bodies. Pure functions, no Beast.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::authority::http {

/// The segments of an origin-form path after its leading '/', split on every '/' (empty segments kept):
/// "/a/b/" → {"a", "b", ""}, "/" → {""}. Pure.
std::vector<std::string_view> splitPath(std::string_view path);

/// Decodes %XX escapes, and '+' as a space (application/x-www-form-urlencoded). nullopt on a malformed
/// escape. Pure.
std::optional<std::string> formDecode(std::string_view text);

/// Parses application/x-www-form-urlencoded ('+' is a space, %XX escapes); a malformed escape or a
/// repeated field gives nullopt. Pure.
std::optional<std::map<std::string, std::string>> parseForm(std::string_view body);

/// Value of cookie `name` in a Cookie header; nullopt when absent. Pure.
std::optional<std::string> cookieValue(std::string_view cookieHeader, std::string_view name);

/// A Set-Cookie value: "<name>=<value>; Path=<path>; Max-Age=N; Secure; HttpOnly; SameSite=Strict"
/// (Max-Age=0 deletes the cookie). Pure.
std::string setCookie(std::string_view name, std::string_view value, std::string_view path,
                      std::chrono::seconds maxAge);

/// True for a request id as the service makes them: exactly 32 lower-case hex characters. Pure.
bool isRequestId(std::string_view text) noexcept;

/// True for a syntactically plausible attachment kind ([a-z_]{1,32}); the service decides the rest. Pure.
bool isKindToken(std::string_view text) noexcept;

/// Parses a JSON object no deeper than `maxDepth`. nullopt when malformed, too deep or not an object;
/// `problem` then says which ("malformed JSON: …", "JSON nested too deeply", "JSON body must be an
/// object"). Pure.
std::optional<nlohmann::json> parseJsonObject(std::string_view text, int maxDepth, std::string& problem);

}  // namespace cardbridge::authority::http
