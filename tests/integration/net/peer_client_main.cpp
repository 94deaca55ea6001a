// net_peer_client: the test client run as another OS user (tests/integration/net/net_peer_test.cpp).
// Usage: net_peer_client HOST PORT ORIGIN ROOT_PEM. Connects over WSS (verifying the chain against
// ROOT_PEM) and calls system.hello. Prints "ok" and exits 0 when answered; prints the error and exits 3
// when the connection fails.
#include <cstdlib>
#include <iostream>
#include <string>

#include "wss_client.hpp"

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: net_peer_client HOST PORT ORIGIN ROOT_PEM\n";
        return 2;
    }
    cardbridge::test::WssClientOptions options;
    options.host = argv[1];
    options.port = static_cast<std::uint16_t>(std::stoul(argv[2]));
    options.origin = std::string(argv[3]);
    options.rootCaPem = argv[4];
    options.timeout = std::chrono::milliseconds(5000);
    try {
        cardbridge::test::WssClient client(options);
        const auto hello = client.call("system.hello");
        std::cout << (hello.contains("result") ? "ok" : hello.dump()) << "\n";
        return hello.contains("result") ? 0 : 4;
    } catch (const std::exception& e) {
        std::cout << "failed: " << e.what() << "\n";
        return 3;
    }
}
