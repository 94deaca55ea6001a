// Reading and atomically replacing the files in the state folder.
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls::detail {

namespace {

[[noreturn]] void throwErrno(const std::string& what, const std::filesystem::path& path, int error) {
    throw FatalError(what + " " + path.string() + ": " + std::strerror(error));
}

void fsyncFolder(const std::filesystem::path& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // best effort: the rename already happened
    (void)::fsync(fd);
    ::close(fd);
}

// Creates a temp file next to `target` (0600 from creation by mkostemp, then set to `mode`), lets `write`
// fill it and fsyncs it. Returns the temp file's path; removes it on failure.
std::filesystem::path writeTemp(const std::filesystem::path& target, unsigned mode,
                                const std::function<void(int)>& write) {
    const std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
    // Built by append: GCC 12 at -O3 reports a false -Wrestrict on "." + std::string.
    std::string hidden(".");
    hidden.append(target.filename().string()).append(".XXXXXX");
    const std::string pattern = (folder / hidden).string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) throwErrno("cannot create a temp file for", target, errno);
    const std::filesystem::path temp(name.data());
    bool open = true;
    try {
        if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) throwErrno("cannot chmod", temp, errno);
        write(fd);
        if (::fsync(fd) != 0) throwErrno("cannot fsync", temp, errno);
        open = false;
        if (::close(fd) != 0) throwErrno("cannot close", temp, errno);
    } catch (...) {
        if (open) ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    return temp;
}

}  // namespace

std::optional<std::string> readSmallFile(const std::filesystem::path& path, std::size_t maxBytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string content;
    std::array<char, 8192> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || content.size() + static_cast<std::size_t>(n) > maxBytes) {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        content.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

EvpPkeyPtr readPrivateKeyFile(const std::filesystem::path& path) {
    // Read straight through a file BIO so the key's PEM text never sits in one of our buffers.
    BioPtr bio(BIO_new_file(path.c_str(), "rb"));
    if (!bio) {
        (void)openSslErrors("");
        return nullptr;
    }
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) (void)openSslErrors("");
    return key;
}

StagedFile::StagedFile(std::filesystem::path target, std::string_view content, unsigned mode)
    : target_(std::move(target)) {
    temp_ = writeTemp(target_, mode, [&](int fd) {
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throwErrno("cannot write", target_, errno);
            done += static_cast<std::size_t>(n);
        }
    });
}

StagedFile::StagedFile(std::filesystem::path target, EVP_PKEY* key) : target_(std::move(target)) {
    temp_ = writeTemp(target_, 0600, [&](int fd) {
        BioPtr bio(BIO_new_fd(fd, BIO_NOCLOSE));
        if (!bio) throwOpenSsl("BIO_new_fd");
        if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
            BIO_flush(bio.get()) != 1)
            throwOpenSsl("writing " + target_.string());
    });
}

StagedFile::~StagedFile() {
    if (!committed_) ::unlink(temp_.c_str());
}

void StagedFile::commit() {
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
        throwErrno("cannot rename a temp file to", target_, errno);
    committed_ = true;
    fsyncFolder(target_.parent_path().empty() ? "." : target_.parent_path());
}

void writeFileAtomically(const std::filesystem::path& path, std::string_view content, unsigned mode) {
    StagedFile(path, content, mode).commit();
}

bool isOwnerOnly(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return false;
    return S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

}  // namespace cardbridge::localtls::detail
