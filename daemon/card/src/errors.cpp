#include "cardbridge/card/errors.hpp"

namespace cardbridge::card {

std::string_view toString(CardErrorCode code) noexcept {
    switch (code) {
        case CardErrorCode::ServiceUnavailable:
            return "ServiceUnavailable";
        case CardErrorCode::NoReader:
            return "NoReader";
        case CardErrorCode::ReaderUnavailable:
            return "ReaderUnavailable";
        case CardErrorCode::CardAbsent:
            return "CardAbsent";
        case CardErrorCode::CardRemoved:
            return "CardRemoved";
        case CardErrorCode::CardReset:
            return "CardReset";
        case CardErrorCode::CardUnresponsive:
            return "CardUnresponsive";
        case CardErrorCode::SharingViolation:
            return "SharingViolation";
        case CardErrorCode::Timeout:
            return "Timeout";
        case CardErrorCode::Cancelled:
            return "Cancelled";
        case CardErrorCode::UnsupportedCard:
            return "UnsupportedCard";
        case CardErrorCode::ProtocolError:
            return "ProtocolError";
        case CardErrorCode::SecurityStatusNotSatisfied:
            return "SecurityStatusNotSatisfied";
        case CardErrorCode::NotFound:
            return "NotFound";
        case CardErrorCode::ReferenceNotFound:
            return "ReferenceNotFound";
        case CardErrorCode::WrongData:
            return "WrongData";
        case CardErrorCode::WrongLength:
            return "WrongLength";
        case CardErrorCode::NotSupported:
            return "NotSupported";
        case CardErrorCode::UnexpectedStatus:
            return "UnexpectedStatus";
        case CardErrorCode::InvalidArgument:
            return "InvalidArgument";
        case CardErrorCode::PinPolicy:
            return "PinPolicy";
        case CardErrorCode::Internal:
            return "Internal";
    }
    return "Unknown";
}

void throwCardError(CardErrorCode code, const std::string& what, std::uint16_t sw) {
    switch (code) {
        case CardErrorCode::ServiceUnavailable:
        case CardErrorCode::NoReader:
        case CardErrorCode::ReaderUnavailable:
        case CardErrorCode::CardAbsent:
        case CardErrorCode::CardRemoved:
        case CardErrorCode::CardReset:
        case CardErrorCode::CardUnresponsive:
        case CardErrorCode::SharingViolation:
        case CardErrorCode::Timeout:
        case CardErrorCode::Cancelled:
            throw CardRetryableError(code, what, sw);
        case CardErrorCode::UnsupportedCard:
        case CardErrorCode::ProtocolError:
        case CardErrorCode::SecurityStatusNotSatisfied:
        case CardErrorCode::NotFound:
        case CardErrorCode::ReferenceNotFound:
        case CardErrorCode::WrongData:
        case CardErrorCode::WrongLength:
        case CardErrorCode::NotSupported:
        case CardErrorCode::UnexpectedStatus:
        case CardErrorCode::InvalidArgument:
        case CardErrorCode::PinPolicy:
            throw CardInputError(code, what, sw);
        case CardErrorCode::Internal:
            break;
    }
    throw CardFatalError(code, what, sw);
}

}  // namespace cardbridge::card
