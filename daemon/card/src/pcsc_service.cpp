#include "cardbridge/card/pcsc_service.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <winscard.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cardbridge::card {

std::string_view toString(PcscSocketState state) noexcept {
    switch (state) {
        case PcscSocketState::Missing:
            return "Missing";
        case PcscSocketState::NotASocket:
            return "NotASocket";
        case PcscSocketState::Refused:
            return "Refused";
        case PcscSocketState::AccessDenied:
            return "AccessDenied";
        case PcscSocketState::Listening:
            return "Listening";
    }
    return "Unknown";
}

std::filesystem::path pcscSocketPath() {
    // The same variable pcsc-lite's client library reads (winscard_msg.c).
    const char* custom = std::getenv("PCSCLITE_CSOCK_NAME");
    if (custom != nullptr && *custom != '\0') return custom;
    return "/run/pcscd/pcscd.comm";
}

PcscSocketState probePcscSocket(const std::filesystem::path& socket) {
    struct stat info {};
    if (::stat(socket.c_str(), &info) != 0)
        return errno == EACCES ? PcscSocketState::AccessDenied : PcscSocketState::Missing;
    if (!S_ISSOCK(info.st_mode)) return PcscSocketState::NotASocket;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket.string();
    if (path.size() >= sizeof(address.sun_path)) return PcscSocketState::Missing;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return PcscSocketState::Refused;
    // A local stream connect does not wait for accept(): it succeeds as soon as the listen backlog has
    // room, so this cannot hang on a busy pcscd.
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    const int error = errno;
    ::close(fd);
    if (rc == 0 || error == EAGAIN) return PcscSocketState::Listening;  // EAGAIN: backlog full, alive
    if (error == EACCES || error == EPERM) return PcscSocketState::AccessDenied;
    if (error == ENOENT) return PcscSocketState::Missing;
    return PcscSocketState::Refused;
}

ReaderAccess probeReaderAccess(const std::string& reader, std::string* detail) {
    SCARDCONTEXT context = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context);
    auto result = ReaderAccess::NoService;
    if (rv == SCARD_S_SUCCESS) {
        SCARDHANDLE card = 0;
        DWORD protocol = 0;
        rv = SCardConnect(context, reader.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                          &card, &protocol);
        switch (rv) {
            case SCARD_S_SUCCESS:
                SCardDisconnect(card, SCARD_LEAVE_CARD);
                result = ReaderAccess::Usable;
                break;
            case SCARD_E_NO_SMARTCARD:
            case SCARD_W_REMOVED_CARD:
                result = ReaderAccess::NoCard;
                break;
            case SCARD_E_SHARING_VIOLATION:
                result = ReaderAccess::Exclusive;
                break;
            case SCARD_W_SECURITY_VIOLATION:
                result = ReaderAccess::Denied;
                break;
            case SCARD_E_NO_SERVICE:
            case SCARD_E_SERVICE_STOPPED:
                result = ReaderAccess::NoService;
                break;
            default:
                result = ReaderAccess::Other;
                break;
        }
        SCardReleaseContext(context);
    }
    if (detail != nullptr) *detail = pcsc_stringify_error(rv);
    return result;
}

}  // namespace cardbridge::card
