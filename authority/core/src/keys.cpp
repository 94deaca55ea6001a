#include "cardbridge/authority/core/keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <string>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

namespace {

bool isHexText(std::string_view text) {
    if (text.size() < 2 || text.size() % 2 != 0) return false;
    for (char c : text) {
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
    }
    return true;
}

}  // namespace

Secret loadKeyFile(const std::filesystem::path& path, std::size_t minBytes, std::size_t exactBytes) {
    const std::string name = path.string();
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw FatalError("key file " + name + " cannot be opened");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FatalError("key file " + name + " is not a regular file");
    }
    // The key must be owner-only: refuse to start rather than use a key others could have read.
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        throw FatalError("key file " + name + " is readable by group or others (chmod 600 it)");
    }
    if (st.st_uid != ::geteuid()) {
        ::close(fd);
        throw FatalError("key file " + name + " is not owned by the user running the authority");
    }
    std::string content;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            ::close(fd);
            wipe(buffer, sizeof buffer);
            wipe(content);
            throw FatalError("key file " + name + " cannot be read");
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > 64 * 1024) {
            ::close(fd);
            wipe(content);
            throw FatalError("key file " + name + " is too large");
        }
    }
    ::close(fd);
    wipe(buffer, sizeof buffer);

    std::string_view trimmed = content;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())) != 0)
        trimmed.remove_suffix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())) != 0)
        trimmed.remove_prefix(1);
    Secret key;
    if (isHexText(trimmed)) {
        Bytes raw = fromHex(trimmed);
        key = Secret(ByteView(raw));
        wipe(raw);
    } else {
        key = Secret(std::string_view(content));
    }
    wipe(content);
    if (key.size() < minBytes)
        throw FatalError("key file " + name + " holds fewer than " + std::to_string(minBytes) + " bytes");
    if (exactBytes != 0 && key.size() != exactBytes) {
        throw FatalError("key file " + name + " must hold exactly " + std::to_string(exactBytes) + " bytes");
    }
    return key;
}

AuthorityKeys loadAuthorityKeys(const AuthorityConfig& config) {
    AuthorityKeys keys;
    keys.master = loadKeyFile(config.masterKeyFile, 32);
    keys.idKey = loadKeyFile(config.idKeyFile, 32);
    keys.attachment = loadKeyFile(config.attachmentKeyFile, 32, 32);
    return keys;
}

}  // namespace cardbridge::authority
