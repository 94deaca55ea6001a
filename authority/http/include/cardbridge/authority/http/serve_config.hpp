// The whole config file of `cardbridge-authority serve`: the service's keys (AuthorityConfig, read by
// authority/core's loader) plus the HTTP layer's "listen", "tls", "api", "review" and "log".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/review_site.hpp"
#include "cardbridge/authority/http/server.hpp"
#include "cardbridge/common/logging.hpp"

namespace cardbridge::authority::http {

/// Everything serve needs.
struct ServeConfig {
    AuthorityConfig authority;
    HttpsServerOptions
        server;  ///< listen.address (127.0.0.1), listen.port (8443), tls.certificateChain/privateKey
    unsigned networkThreads = 2;         ///< listen.threads
    ApiOptions api;                      ///< api.tokenFile (one token per line)
    std::filesystem::path apiTokenFile;  ///< where the tokens came from ("" without)
    ReviewOptions review;                ///< the pages' own limits (review.sessionMinutes and
                                         ///< review.loginAttemptsPerWindow go to authority.reviewerSessions)
    LogOptions log;  ///< log.level/file/maxBytes/count/console; file defaults to <dataDir>/authority.log
    std::vector<std::string> warnings;
};

/// Parses config JSON text (relative paths against `baseDir`). Throws InputError on malformed JSON, wrong
/// types, a missing tls section, out-of-range values, or a token file that is unreadable, empty, or
/// readable by group/others; FatalError from the service's loader as documented there.
ServeConfig parseServeConfig(const std::string& jsonText, const std::filesystem::path& baseDir);

/// What serve refuses without --dev: no API token file (the API would be open to anyone), the SMS outbox
/// (codes and phone numbers in a file, in clear). Throws InputError naming the fix; nothing with `dev`.
void checkServePolicy(const ServeConfig& config, bool dev);

/// Reads and parses `path`. Throws as parseServeConfig, FatalError when the file cannot be read.
ServeConfig loadServeConfig(const std::filesystem::path& path);

/// Tokens from a token file: one per line, blank lines and lines starting with '#' ignored. Throws
/// InputError when it cannot be read, is group/other-readable or holds no token.
std::vector<std::string> loadTokenFile(const std::filesystem::path& path);

}  // namespace cardbridge::authority::http
