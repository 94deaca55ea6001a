// JSON-RPC 2.0 dispatch. Every answer goes through a CallResponder so that "exactly once" and
// "exceptions become errors via toErrorObject" hold for the dispatcher's own errors too.
#include "cardbridge/daemon/core/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>
#include <utility>

#include "cardbridge/common/secret.hpp"
#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {

namespace {

using nlohmann::json;

// Checks syntax and nesting depth without building anything, so a hostile "[[[[…" costs a scan and
// no allocation per level; parse_error stops the scan at the first fault.
class DepthChecker {
  public:
    explicit DepthChecker(unsigned maxDepth) : maxDepth_(maxDepth) {}

    bool null() { return true; }
    bool boolean(bool /*value*/) { return true; }
    bool number_integer(json::number_integer_t /*value*/) { return true; }
    bool number_unsigned(json::number_unsigned_t /*value*/) { return true; }
    bool number_float(json::number_float_t /*value*/, const json::string_t& /*text*/) { return true; }
    // `value` is the lexer's own buffer: wiped here, a PIN's digits do not outlive the scan in it.
    bool string(json::string_t& value) {
        cardbridge::wipe(value);
        return true;
    }
    bool binary(json::binary_t& /*value*/) { return true; }
    bool key(json::string_t& /*value*/) { return true; }
    bool start_object(std::size_t /*elements*/) { return enter(); }
    bool end_object() { return leave(); }
    bool start_array(std::size_t /*elements*/) { return enter(); }
    bool end_array() { return leave(); }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) {
        return false;
    }

  private:
    bool enter() { return ++depth_ <= maxDepth_; }
    bool leave() {
        --depth_;
        return true;
    }
    unsigned maxDepth_;
    unsigned depth_ = 0;
};

// Builds the tree like json::parse, and wipes the lexer's buffer after each string was copied out of it
// (the strings of a request may be a PIN, a PUK or a code). sax_parse calls these statically, so hiding
// the base's string() is enough.
class WipingDomBuilder : public nlohmann::detail::json_sax_dom_parser<json> {
  public:
    explicit WipingDomBuilder(json& result) : json_sax_dom_parser(result, false) {}
    bool string(json::string_t& value) {
        const bool more = json_sax_dom_parser::string(value);
        cardbridge::wipe(value);
        return more;
    }
};

// Wipes every string value in `value` (keys are names, not secrets). Never throws.
void wipeStrings(json& value) noexcept {
    if (value.is_string()) {
        cardbridge::wipe(value.get_ref<json::string_t&>());
    } else if (value.is_structured()) {
        for (auto& item : value) wipeStrings(item);
    }
}

// Wipes the request's strings when the call is over, however it ended: its frame was answered, refused
// or failed, and a handler that keeps a value (a worker's job) has copied it into a Secret by then.
class RequestWiper {
  public:
    RequestWiper(json& request, json& params) noexcept : request_(request), params_(params) {}
    ~RequestWiper() {
        wipeStrings(request_);
        wipeStrings(params_);
    }
    RequestWiper(const RequestWiper&) = delete;
    RequestWiper& operator=(const RequestWiper&) = delete;

  private:
    json& request_;
    json& params_;
};

// Never throws on strings a handler got from a card or a certificate that are not valid UTF-8.
std::string serialise(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json errorObject(Reason reason, const char* detail) {
    return toErrorObject(std::make_exception_ptr(RpcError(reason, json::object(), detail)));
}

bool isValidId(const json& id) {
    return id.is_string() || id.is_number() || id.is_null();
}

// Answers one request exactly once; an unanswered responder answers INTERNAL when dropped.
class CallResponder final : public Responder {
  public:
    CallResponder(json id, bool notification, std::string method, Dispatcher::Send send)
        : id_(std::move(id)),
          notification_(notification),
          method_(std::move(method)),
          send_(std::move(send)) {}

    CallResponder(const CallResponder&) = delete;
    CallResponder& operator=(const CallResponder&) = delete;

    ~CallResponder() override {
        if (done_.exchange(true)) return;
        spdlog::error("method '{}' dropped its request unanswered", method_);
        finish("error",
               [] { return errorObject(Reason::Internal, "a method dropped its request unanswered"); });
    }

    void succeed(json result) override {
        if (done_.exchange(true)) {
            spdlog::warn("method '{}' answered twice; the second answer is dropped", method_);
            return;
        }
        finish("result", [&result] { return std::move(result); });
    }

    void succeedRaw(std::string result) override {
        if (done_.exchange(true)) {
            spdlog::warn("method '{}' answered twice; the second answer is dropped", method_);
            return;
        }
        try {
            if (notification_) {
                send_(std::string());
                return;
            }
            // The keys in the order serialise() writes them (sorted), so the bytes match succeed()'s.
            const std::string id = serialise(id_);
            std::string text;
            text.reserve(result.size() + id.size() + 32);
            text += "{\"id\":";
            text += id;
            text += ",\"jsonrpc\":\"2.0\",\"result\":";
            text += result;
            text += '}';
            send_(std::move(text));
        } catch (const std::exception& e) {
            spdlog::error("could not answer method '{}': {}", method_, e.what());
        }
    }

    void fail(std::exception_ptr error) override {
        if (done_.exchange(true)) {
            spdlog::warn("method '{}' failed after answering; the failure is dropped", method_);
            return;
        }
        finish("error", [&error] { return toErrorObject(error); });
    }

  private:
    template <class MakeValue>
    void finish(const char* key, MakeValue&& makeValue) noexcept {
        try {
            if (notification_) {
                send_(std::string());
                return;
            }
            json response = {{"jsonrpc", "2.0"}, {key, makeValue()}, {"id", std::move(id_)}};
            send_(serialise(response));
        } catch (const std::exception& e) {
            // Only allocation failures or a throwing send get here; there is no one left to tell.
            spdlog::error("could not answer method '{}': {}", method_, e.what());
        }
    }

    std::atomic<bool> done_{false};
    json id_;
    bool notification_;
    std::string method_;
    Dispatcher::Send send_;
};

// What a well-formed JSON-RPC 2.0 request carries. `problem` is set when it is not one.
struct Envelope {
    json id;  // null unless the request carried a valid one
    bool notification = false;
    std::string method;
    json params = json::object();
    const char* problem = nullptr;
    bool positionalParams = false;  // params given as an array: a valid request, but params are by name
};

Envelope readEnvelope(json& request) {
    Envelope envelope;
    if (request.is_array()) {
        envelope.problem = "batch requests are not supported";
        return envelope;
    }
    if (!request.is_object()) {
        envelope.problem = "request is not an object";
        return envelope;
    }
    auto id = request.find("id");
    if (id == request.end()) {
        envelope.notification = true;
    } else if (isValidId(*id)) {
        envelope.id = *id;
    } else {
        envelope.problem = "id must be a string, a number or null";
        return envelope;
    }
    auto version = request.find("jsonrpc");
    if (version == request.end() || !version->is_string() ||
        version->get_ref<const std::string&>() != "2.0") {
        envelope.problem = "jsonrpc must be \"2.0\"";
        return envelope;
    }
    auto method = request.find("method");
    if (method == request.end() || !method->is_string()) {
        envelope.problem = "method must be a string";
        return envelope;
    }
    envelope.method = std::move(method->get_ref<std::string&>());
    auto params = request.find("params");
    if (params != request.end()) {
        if (params->is_array()) {
            envelope.positionalParams = true;
        } else if (!params->is_object()) {
            envelope.problem = "params must be an object";
            return envelope;
        } else {
            envelope.params = std::move(*params);
        }
    }
    return envelope;
}

}  // namespace

nlohmann::json parseBoundedJson(std::string_view text, unsigned maxDepth) noexcept {
    try {
        DepthChecker checker(maxDepth);
        if (!json::sax_parse(text, &checker)) return json(json::value_t::discarded);
        json result;
        WipingDomBuilder builder(result);
        if (!json::sax_parse(text, &builder) || builder.is_errored()) return json(json::value_t::discarded);
        return result;
    } catch (const std::exception&) {
        return json(json::value_t::discarded);
    }
}

Dispatcher::Dispatcher(unsigned maxJsonDepth) : maxJsonDepth_(maxJsonDepth) {}

void Dispatcher::add(std::string name, Capability required, MethodHandler handler) {
    if (!handler) throw std::logic_error("method '" + name + "' has no handler");
    auto [it, inserted] = methods_.try_emplace(std::move(name), Method{required, std::move(handler)});
    if (!inserted) throw std::logic_error("method '" + it->first + "' registered twice");
}

void Dispatcher::add(MethodSpec spec) {
    add(std::move(spec.name), spec.required, std::move(spec.handler));
}

void Dispatcher::handle(const CallContext& context, std::string_view text, Send send) {
    std::shared_ptr<CallResponder> responder;
    try {
        json request = parseBoundedJson(text, maxJsonDepth_);
        if (request.is_discarded()) {
            spdlog::info("connection {}: unparsable or too deep request ({} bytes)", context.connectionId,
                         text.size());
            CallResponder(nullptr, false, "", std::move(send))
                .fail(std::make_exception_ptr(
                    RpcError(Reason::ParseError, {}, "not JSON, not UTF-8 or nested too deeply")));
            return;
        }
        Envelope envelope = readEnvelope(request);
        const RequestWiper wiper(request, envelope.params);
        if (envelope.problem != nullptr) {
            spdlog::info("connection {}: invalid request: {}", context.connectionId, envelope.problem);
            // Spec: an invalid request is answered even without an id (with id null).
            CallResponder(std::move(envelope.id), false, "", std::move(send))
                .fail(std::make_exception_ptr(
                    RpcError(Reason::InvalidRequest, json::object(), envelope.problem)));
            return;
        }
        responder = std::make_shared<CallResponder>(std::move(envelope.id), envelope.notification,
                                                    envelope.method, std::move(send));
        auto method = methods_.find(envelope.method);
        if (method == methods_.end()) {
            spdlog::info("connection {}: unknown method '{:.64}'", context.connectionId, envelope.method);
            responder->fail(
                std::make_exception_ptr(RpcError(Reason::MethodNotFound, {}, "method not found")));
            return;
        }
        if (!context.capabilities.has(method->second.required)) {
            spdlog::warn("connection {} ({}): '{}' not allowed for this origin", context.connectionId,
                         context.origin, envelope.method);
            responder->fail(
                std::make_exception_ptr(RpcError(Reason::NotAllowed, {}, "not allowed for this origin")));
            return;
        }
        if (envelope.positionalParams) {
            responder->fail(std::make_exception_ptr(
                RpcError(Reason::InvalidParams, json::object(), "params must be an object (by name)")));
            return;
        }
        spdlog::debug("connection {}: {}", context.connectionId, envelope.method);
        // The handler may hand the responder to a worker; when it throws instead, fail() answers
        // (or logs and drops the error if the handler had already answered).
        method->second.handler(context, envelope.params, responder);
    } catch (...) {
        if (responder) {
            responder->fail(std::current_exception());
        } else {
            // Allocation failure before a responder existed: still answer exactly once.
            CallResponder(nullptr, false, "", std::move(send)).fail(std::current_exception());
        }
    }
}

void Dispatcher::refuse(std::string_view text, const RpcError& error, const Send& send) const {
    json id;
    bool notification = false;
    json request = parseBoundedJson(text, maxJsonDepth_);
    if (request.is_object()) {
        auto found = request.find("id");
        if (found == request.end()) {
            notification = true;
        } else if (isValidId(*found)) {
            id = *found;
        }
    }
    wipeStrings(request);  // refused frames carry PINs too
    CallResponder(std::move(id), notification, "", send).fail(std::make_exception_ptr(error));
}

std::vector<std::string> Dispatcher::methodsFor(const Capabilities& capabilities) const {
    std::vector<std::string> names;
    for (const auto& [name, method] : methods_) {
        if (capabilities.has(method.required)) names.push_back(name);
    }
    return names;
}

}  // namespace cardbridge::daemon
