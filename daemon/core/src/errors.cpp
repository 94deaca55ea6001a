// The one place where exceptions become reasons (classify) and JSON-RPC error objects (toErrorObject).
#include "cardbridge/daemon/core/errors.hpp"

#include <spdlog/spdlog.h>

#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::daemon {

using card::CardErrorCode;
using nlohmann::json;

Reason cardReason(CardErrorCode code) noexcept {
    switch (code) {
        case CardErrorCode::ServiceUnavailable:
            return Reason::PcscUnavailable;
        case CardErrorCode::NoReader:
            return Reason::NoReader;
        case CardErrorCode::ReaderUnavailable:
            return Reason::ReaderUnavailable;
        case CardErrorCode::CardAbsent:
            return Reason::CardAbsent;
        case CardErrorCode::CardRemoved:
            return Reason::CardRemoved;
        case CardErrorCode::CardReset:  // reset by another program
        case CardErrorCode::SharingViolation:
            return Reason::CardBusy;
        case CardErrorCode::CardUnresponsive:
            return Reason::CardUnresponsive;
        case CardErrorCode::Timeout:
        case CardErrorCode::Cancelled:
            return Reason::Timeout;
        case CardErrorCode::UnsupportedCard:
            return Reason::CardUnsupported;
        case CardErrorCode::InvalidArgument:
            return Reason::InvalidParams;
        case CardErrorCode::PinPolicy:
            return Reason::PinPolicy;
        case CardErrorCode::NotFound:
            return Reason::CertNotFound;
        case CardErrorCode::ProtocolError:
        case CardErrorCode::SecurityStatusNotSatisfied:
        case CardErrorCode::ReferenceNotFound:
        case CardErrorCode::WrongData:
        case CardErrorCode::WrongLength:
        case CardErrorCode::NotSupported:
        case CardErrorCode::UnexpectedStatus:
            return Reason::CardError;
        case CardErrorCode::Internal:
            return Reason::Internal;
    }
    return Reason::Internal;
}

Reason pinReason(card::PinStatus status) noexcept {
    switch (status) {
        case card::PinStatus::WrongPin:
            return Reason::PinIncorrect;
        case card::PinStatus::PinBlocked:
            return Reason::PinBlocked;
        case card::PinStatus::WrongPuk:
            return Reason::PukIncorrect;
        case card::PinStatus::PukBlocked:
            return Reason::PukBlocked;
        case card::PinStatus::Success:
            break;
    }
    return Reason::Internal;
}

Classified classify(std::exception_ptr error) {
    try {
        std::rethrow_exception(std::move(error));
    } catch (const RpcError& e) {
        return {e.reason(), e.extra().is_object() ? e.extra() : json::object(), e.what()};
    } catch (const PinRefusedError& e) {
        const card::PinResult& r = e.result();
        const Reason reason = pinReason(r.status);
        const bool blocked = reason == Reason::PinBlocked || reason == Reason::PukBlocked;
        json extra = json::object();
        // A card that says "wrong" without a count (a bare 6300) gets no retriesLeft: 0 would read as
        // blocked.
        if (blocked) {
            extra["retriesLeft"] = 0u;
        } else if (reason != Reason::Internal && r.retriesLeft) {
            extra["retriesLeft"] = *r.retriesLeft;
        }
        return {reason, std::move(extra), std::string(card::toString(r.status))};
    } catch (const card::PinPolicyError& e) {
        return {Reason::PinPolicy, {{"violation", std::string(card::toString(e.violation()))}}, e.what()};
    } catch (const card::CardError& e) {
        return {cardReason(e.code()), json::object(),
                std::string(card::toString(e.code())) + ": " + dynamic_cast<const std::exception&>(e).what()};
    } catch (const json::exception& e) {
        // A handler read params with the wrong type: the caller's mistake, not ours.
        return {Reason::InvalidParams, json::object(), e.what()};
    } catch (const InputError& e) {
        return {Reason::InvalidParams, json::object(), e.what()};
    } catch (const std::exception& e) {
        return {Reason::Internal, json::object(), e.what()};
    } catch (...) {
        return {Reason::Internal, json::object(), "unknown exception"};
    }
}

json toErrorObject(std::exception_ptr error) {
    Classified c = classify(std::move(error));
    const ReasonInfo& row = info(c.reason);
    switch (c.reason) {
        case Reason::Internal:
            spdlog::error("internal error: {}", c.logDetail);
            break;
        case Reason::PcscUnavailable:
        case Reason::ReaderUnavailable:
        case Reason::CardRemoved:
        case Reason::CardBusy:
        case Reason::CardUnresponsive:
        case Reason::CardUnsupported:
        case Reason::CardError:
        case Reason::Timeout:
            spdlog::warn("{}: {}", row.name, c.logDetail);
            break;
        default:
            spdlog::debug("{}: {}", row.name, c.logDetail);
            break;
    }
    c.extra["reason"] = row.name;
    return {{"code", static_cast<int>(row.code)}, {"message", row.message}, {"data", std::move(c.extra)}};
}

}  // namespace cardbridge::daemon
