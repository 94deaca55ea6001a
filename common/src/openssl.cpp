#include "cardbridge/common/openssl.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <string>

namespace cardbridge {

std::string openSslErrors(std::string_view context) {
    std::string message(context);
    char buffer[256];
    const char* sep = ": ";
    while (unsigned long code = ERR_get_error()) {
        ERR_error_string_n(code, buffer, sizeof(buffer));
        message += sep;
        message += buffer;
        sep = "; ";
    }
    return message;
}

void throwOpenSsl(std::string_view context) {
    throw OpenSslError(openSslErrors(context));
}

Bytes randomBytes(std::size_t count) {
    Bytes out(count);
    if (count > 0 && RAND_bytes(out.data(), static_cast<int>(count)) != 1) throwOpenSsl("RAND_bytes");
    return out;
}

}  // namespace cardbridge
