// The one function where exceptions become JSON-RPC error objects.
#include <spdlog/spdlog.h>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/daemon/reasons.hpp"
#include "cardbridge/daemon/rpc.hpp"

namespace cardbridge::daemon {

namespace {

using card::CardErrorCode;

nlohmann::json errorObject(RpcCode code, const char* reasonName, const char* message,
                           nlohmann::json extra = nlohmann::json::object()) {
    extra["reason"] = reasonName;
    return {{"code", static_cast<int>(code)}, {"message", message}, {"data", std::move(extra)}};
}

const char* cardReason(CardErrorCode code) {
    switch (code) {
        case CardErrorCode::ServiceUnavailable:
            return reason::PCSC_UNAVAILABLE;
        case CardErrorCode::NoReader:
            return reason::NO_READER;
        case CardErrorCode::ReaderUnavailable:
            return reason::READER_UNAVAILABLE;
        case CardErrorCode::CardAbsent:
            return reason::CARD_ABSENT;
        case CardErrorCode::CardRemoved:
            return reason::CARD_REMOVED;
        case CardErrorCode::CardReset:
            return reason::CARD_BUSY;  // reset by another program
        case CardErrorCode::SharingViolation:
            return reason::CARD_BUSY;
        case CardErrorCode::CardUnresponsive:
            return reason::CARD_UNRESPONSIVE;
        case CardErrorCode::Timeout:
        case CardErrorCode::Cancelled:
            return reason::TIMEOUT;
        case CardErrorCode::UnsupportedCard:
            return reason::CARD_UNSUPPORTED;
        case CardErrorCode::InvalidArgument:
            return reason::INVALID_PARAMS;
        case CardErrorCode::PinPolicy:
            return reason::PIN_POLICY;
        case CardErrorCode::NotFound:
            return reason::CERT_NOT_FOUND;
        case CardErrorCode::ProtocolError:
        case CardErrorCode::SecurityStatusNotSatisfied:
        case CardErrorCode::ReferenceNotFound:
        case CardErrorCode::WrongData:
        case CardErrorCode::WrongLength:
        case CardErrorCode::NotSupported:
        case CardErrorCode::UnexpectedStatus:
            return reason::CARD_ERROR;
        case CardErrorCode::Internal:
            return reason::INTERNAL;
    }
    return reason::INTERNAL;
}

}  // namespace

nlohmann::json toErrorObject(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const RpcError& e) {
        nlohmann::json extra = e.extra().is_object() ? e.extra() : nlohmann::json::object();
        extra["reason"] = e.reason();
        return {{"code", static_cast<int>(e.code())}, {"message", e.what()}, {"data", std::move(extra)}};
    } catch (const card::PinPolicyError& e) {
        return errorObject(RpcCode::ApplicationError, reason::PIN_POLICY, "new PIN violates the PIN policy",
                           {{"violation", std::string(card::toString(e.violation()))}});
    } catch (const card::CardError& e) {
        spdlog::warn("card error {}: {}", card::toString(e.code()),
                     dynamic_cast<const std::exception&>(e).what());
        const char* name = cardReason(e.code());
        RpcCode code = name == reason::INVALID_PARAMS ? RpcCode::InvalidParams : RpcCode::ApplicationError;
        return errorObject(code, name, name);
    } catch (const nlohmann::json::exception& e) {
        // A handler read params with the wrong type: the caller's mistake, not ours.
        spdlog::info("invalid params: {}", e.what());
        return errorObject(RpcCode::InvalidParams, reason::INVALID_PARAMS, "invalid params");
    } catch (const InputError& e) {
        spdlog::info("input error: {}", e.what());
        return errorObject(RpcCode::InvalidParams, reason::INVALID_PARAMS, "invalid params");
    } catch (const std::exception& e) {
        spdlog::error("internal error: {}", e.what());
        return errorObject(RpcCode::InternalError, reason::INTERNAL, "internal error");
    } catch (...) {
        spdlog::error("internal error: unknown exception");
        return errorObject(RpcCode::InternalError, reason::INTERNAL, "internal error");
    }
}

}  // namespace cardbridge::daemon
