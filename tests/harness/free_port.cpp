// Port probing by bind (see free_port.hpp).
#include "free_port.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>
#include <string>

namespace cardbridge::test {

bool portFree(std::uint16_t port, PortScope scope) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(scope == PortScope::Loopback ? INADDR_LOOPBACK : INADDR_ANY);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
}

std::uint16_t freePort(PortScope scope, unsigned count, std::uint16_t low, std::uint16_t high) {
    std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<unsigned> dist(low, high - (count > 0 ? count - 1 : 0));
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto first = static_cast<std::uint16_t>(dist(rng));
        bool allFree = true;
        for (unsigned i = 0; i < count && allFree; ++i)
            allFree = portFree(static_cast<std::uint16_t>(first + i), scope);
        if (allFree) return first;
    }
    throw std::runtime_error("no free port in " + std::to_string(low) + "-" + std::to_string(high));
}

}  // namespace cardbridge::test
