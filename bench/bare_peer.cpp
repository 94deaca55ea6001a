// The bare peers' shared main (see bare_peer.hpp).
#include "bare_peer.hpp"

#include <signal.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cardbridge/net/io_threads.hpp"
#include "cardbridge/net/listener.hpp"
#include "cardbridge/net/tls_server.hpp"

namespace cardbridge::bench {

using namespace cardbridge::net;

int runBarePeer(int argc, char** argv, const std::string& name, const std::vector<PeerOption>& options,
                const std::function<void(ssl::context&)>& tune,
                const std::function<void(tcp::socket, const BarePeer&)>& startSession) {
    std::string chain, key, replyFile;
    unsigned port = 0, threads = 2;
    std::string usage =
        "usage: " + name + " --cert CHAIN.pem --key KEY.pem --reply-file FILE [--port P] [--threads N]";
    for (const auto& option : options) usage += " [" + option.name + " " + option.valueName + "]";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--cert") {
            chain = value;
        } else if (arg == "--key") {
            key = value;
        } else if (arg == "--reply-file") {
            replyFile = value;
        } else if (arg == "--port") {
            port = static_cast<unsigned>(std::atoi(value.c_str()));
        } else if (arg == "--threads") {
            threads = static_cast<unsigned>(std::max(1, std::atoi(value.c_str())));
        } else {
            bool known = false;
            for (const auto& option : options) {
                if (arg == option.name) {
                    option.apply(value);
                    known = true;
                }
            }
            if (!known) {
                std::cerr << "unknown option " << arg << "\n" << usage << "\n";
                return 2;
            }
        }
    }
    if (chain.empty() || key.empty() || replyFile.empty() || port > 65535) {
        std::cerr << usage << "\n";
        return 2;
    }
    std::ifstream in(replyFile, std::ios::binary);
    auto reply = std::make_shared<const std::string>(std::istreambuf_iterator<char>(in),
                                                     std::istreambuf_iterator<char>());
    if (reply->empty()) {
        std::cerr << "empty reply file " << replyFile << "\n";
        return 2;
    }
    try {
        asio::io_context ioc(static_cast<int>(threads));
        ssl::context tls{ssl::context::tls_server};
        configureServerTls(tls.native_handle(), chain, key);
        tune(tls);
        const BarePeer peer{tls, reply};
        error_code ec;
        auto listener =
            Listener::open(ioc, {asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)},
                           ListenOptions{false, name + ": "}, ec);
        if (!listener)
            throw std::runtime_error("cannot listen on port " + std::to_string(port) + ": " + ec.message());
        listener->start(
            [&peer, &startSession](tcp::socket socket) { startSession(std::move(socket), peer); });
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&ioc](error_code, int) { ioc.stop(); });
        std::printf("%s listening on 127.0.0.1:%u\n", name.c_str(),
                    unsigned{listener->localEndpoint().port()});
        std::fflush(stdout);
        runIoThreads(ioc, threads, name + ": ");
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace cardbridge::bench
