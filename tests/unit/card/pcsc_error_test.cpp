// PC/SC return codes → typed errors, tested directly on the one translation function.
#include <gtest/gtest.h>
#include <winscard.h>

#include "cardbridge/common/error.hpp"
#include "pcsc_error.hpp"

namespace cardbridge::card {
namespace {

using detail::checkPcsc;
using detail::pcscErrorCode;
using detail::throwPcscError;

struct Translation {
    long rv;
    CardErrorCode code;
};

class PcscErrorTranslation : public ::testing::TestWithParam<Translation> {};

TEST_P(PcscErrorTranslation, MapsToStableCode) {
    EXPECT_EQ(pcscErrorCode(GetParam().rv), GetParam().code) << std::hex << GetParam().rv;
}

INSTANTIATE_TEST_SUITE_P(
    AllRelevantCodes, PcscErrorTranslation,
    ::testing::Values(Translation{SCARD_E_NO_SERVICE, CardErrorCode::ServiceUnavailable},
                      Translation{SCARD_E_SERVICE_STOPPED, CardErrorCode::ServiceUnavailable},
                      Translation{SCARD_F_COMM_ERROR, CardErrorCode::ServiceUnavailable},
                      Translation{SCARD_E_INVALID_HANDLE, CardErrorCode::ServiceUnavailable},
                      Translation{SCARD_E_NO_READERS_AVAILABLE, CardErrorCode::NoReader},
                      Translation{SCARD_E_UNKNOWN_READER, CardErrorCode::ReaderUnavailable},
                      Translation{SCARD_E_READER_UNAVAILABLE, CardErrorCode::ReaderUnavailable},
                      Translation{SCARD_E_NO_SMARTCARD, CardErrorCode::CardAbsent},
                      Translation{SCARD_W_REMOVED_CARD, CardErrorCode::CardRemoved},
                      Translation{SCARD_W_RESET_CARD, CardErrorCode::CardReset},
                      Translation{SCARD_W_UNRESPONSIVE_CARD, CardErrorCode::CardUnresponsive},
                      Translation{SCARD_W_UNPOWERED_CARD, CardErrorCode::CardUnresponsive},
                      Translation{SCARD_E_SHARING_VIOLATION, CardErrorCode::SharingViolation},
                      Translation{SCARD_E_TIMEOUT, CardErrorCode::Timeout},
                      Translation{SCARD_E_CANCELLED, CardErrorCode::Cancelled},
                      Translation{SCARD_E_CARD_UNSUPPORTED, CardErrorCode::UnsupportedCard},
                      Translation{SCARD_W_UNSUPPORTED_CARD, CardErrorCode::UnsupportedCard},
                      Translation{SCARD_E_PROTO_MISMATCH, CardErrorCode::Internal},
                      Translation{SCARD_E_INSUFFICIENT_BUFFER, CardErrorCode::Internal},
                      Translation{SCARD_E_INVALID_PARAMETER, CardErrorCode::Internal},
                      Translation{SCARD_E_NOT_TRANSACTED, CardErrorCode::CardUnresponsive},
                      Translation{SCARD_F_INTERNAL_ERROR, CardErrorCode::Internal},
                      Translation{0x7FFF1234L, CardErrorCode::Internal}));

TEST(PcscError, ServiceLossIsRetryable) {
    try {
        throwPcscError(SCARD_E_NO_SERVICE, "SCardEstablishContext");
        FAIL() << "no exception";
    } catch (const CardRetryableError& e) {
        EXPECT_EQ(e.code(), CardErrorCode::ServiceUnavailable);
        EXPECT_NE(std::string(e.what()).find("SCardEstablishContext: 0x8010001D"), std::string::npos)
            << e.what();
    }
}

TEST(PcscError, CardStatesAreRetryable) {
    for (long rv :
         {SCARD_W_REMOVED_CARD, SCARD_W_RESET_CARD, SCARD_E_NO_SMARTCARD, SCARD_E_SHARING_VIOLATION}) {
        EXPECT_THROW(throwPcscError(rv, "SCardTransmit"), RetryableError) << std::hex << rv;
    }
}

TEST(PcscError, UnsupportedCardIsInputError) {
    EXPECT_THROW(throwPcscError(SCARD_E_CARD_UNSUPPORTED, "SCardConnect"), CardInputError);
}

TEST(PcscError, MisuseIsFatal) {
    EXPECT_THROW(throwPcscError(SCARD_E_PROTO_MISMATCH, "SCardTransmit"), FatalError);
    EXPECT_THROW(throwPcscError(SCARD_E_INVALID_PARAMETER, "SCardTransmit"), CardFatalError);
}

TEST(PcscError, SuccessDoesNotThrow) {
    EXPECT_NO_THROW(checkPcsc(SCARD_S_SUCCESS, "SCardConnect"));
    EXPECT_THROW(checkPcsc(SCARD_E_TIMEOUT, "SCardGetStatusChange"), CardRetryableError);
}

}  // namespace
}  // namespace cardbridge::card
