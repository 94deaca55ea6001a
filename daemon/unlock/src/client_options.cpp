// The authority client's settings from cardbridged.json: URL, pinned CA, bearer token, timeouts.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cardbridge/daemon/unlock/authority_client.hpp"

namespace cardbridge::daemon::unlock {

namespace {

/// Largest CA or token file read; anything bigger is not one.
constexpr std::streamsize MAX_FILE_BYTES = 256 * 1024;

std::string readSmallFile(const std::filesystem::path& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw AuthorityConfigError(std::string(what) + " " + path.string() + " cannot be read");
    std::string text(static_cast<std::size_t>(MAX_FILE_BYTES) + 1, '\0');
    in.read(text.data(), MAX_FILE_BYTES + 1);
    const std::streamsize got = in.gcount();
    if (got > MAX_FILE_BYTES)
        throw AuthorityConfigError(std::string(what) + " " + path.string() + " is too large");
    text.resize(static_cast<std::size_t>(got));
    return text;
}

/// The first line that is neither empty nor a '#' comment, trimmed. Wipes every copy it makes.
Secret readToken(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        throw AuthorityConfigError("authority.tokenFile " + path.string() + " cannot be read");
    }
    // Same rule as the authority's own token file: a token others can read is no longer this machine's.
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0 || info.st_uid != ::geteuid()) {
        throw AuthorityConfigError(
            "authority.tokenFile " + path.string() +
            " must belong to this user and not be readable by group or others (chmod 600)");
    }
    std::string text = readSmallFile(path, "authority.tokenFile");
    Secret token;
    std::size_t start = 0;
    while (start < text.size() && token.empty()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (!line.empty() && line.front() != '#') token = Secret(line);
        start = end + 1;
    }
    wipe(text);
    if (token.empty()) throw AuthorityConfigError("authority.tokenFile " + path.string() + " holds no token");
    for (char c : token.view()) {
        // It goes into an HTTP header: no control characters, no spaces.
        if (c <= ' ' || c == 0x7f) throw AuthorityConfigError("authority.tokenFile holds a malformed token");
    }
    return token;
}

}  // namespace

AuthorityClientOptions clientOptionsFromConfig(const AuthorityConfig& config) {
    if (config.url.empty()) throw AuthorityConfigError("authority.url is not configured");
    std::string problem;
    const auto url = parseHttpsUrl(config.url, problem);
    if (!url) throw AuthorityConfigError("authority.url " + problem);
    if (config.caFile.empty()) throw AuthorityConfigError("authority.caFile is not configured");
    if (config.tokenFile.empty()) throw AuthorityConfigError("authority.tokenFile is not configured");
    AuthorityClientOptions options;
    options.url = *url;
    options.caPem = readSmallFile(config.caFile, "authority.caFile");
    options.token = readToken(config.tokenFile);
    options.connectTimeout = std::chrono::seconds(config.connectTimeoutSeconds);
    options.requestTimeout = std::chrono::seconds(config.requestTimeoutSeconds);
    options.retries = config.retries;
    return options;
}

}  // namespace cardbridge::daemon::unlock
