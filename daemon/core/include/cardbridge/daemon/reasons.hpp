// The fixed list of error reasons the daemon sends in data.reason (docs/api.md is the contract).
#pragma once

namespace cardbridge::daemon::reason {

inline constexpr const char* PARSE_ERROR = "PARSE_ERROR";          ///< not JSON, too deep, bad UTF-8
inline constexpr const char* INVALID_REQUEST = "INVALID_REQUEST";  ///< not a JSON-RPC 2.0 request
inline constexpr const char* METHOD_NOT_FOUND = "METHOD_NOT_FOUND";
inline constexpr const char* INVALID_PARAMS = "INVALID_PARAMS";
inline constexpr const char* NOT_ALLOWED = "NOT_ALLOWED";  ///< the caller's origin lacks the capability
inline constexpr const char* RATE_LIMITED = "RATE_LIMITED";
inline constexpr const char* TOO_MANY_PENDING = "TOO_MANY_PENDING";
inline constexpr const char* INTERNAL = "INTERNAL";

inline constexpr const char* PCSC_UNAVAILABLE = "PCSC_UNAVAILABLE";  ///< pcscd not running
inline constexpr const char* NO_READER = "NO_READER";
inline constexpr const char* READER_UNAVAILABLE = "READER_UNAVAILABLE";
inline constexpr const char* CARD_ABSENT = "CARD_ABSENT";
inline constexpr const char* CARD_REMOVED = "CARD_REMOVED";  ///< pulled during the operation
inline constexpr const char* CARD_BUSY = "CARD_BUSY";        ///< another program holds the card
inline constexpr const char* CARD_UNRESPONSIVE = "CARD_UNRESPONSIVE";
inline constexpr const char* CARD_UNSUPPORTED = "CARD_UNSUPPORTED";  ///< not a PIV card
inline constexpr const char* CARD_ERROR = "CARD_ERROR";  ///< the card answered something unexpected
inline constexpr const char* TIMEOUT = "TIMEOUT";

inline constexpr const char* PIN_INCORRECT = "PIN_INCORRECT";  ///< data.retriesLeft
inline constexpr const char* PIN_BLOCKED = "PIN_BLOCKED";
inline constexpr const char* PIN_POLICY = "PIN_POLICY";        ///< data.violation
inline constexpr const char* PUK_INCORRECT = "PUK_INCORRECT";  ///< data.retriesLeft
inline constexpr const char* PUK_BLOCKED = "PUK_BLOCKED";
inline constexpr const char* CERT_NOT_FOUND = "CERT_NOT_FOUND";

}  // namespace cardbridge::daemon::reason
