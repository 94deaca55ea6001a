// The io_context runner and the graceful stop shared by our servers (see io_threads.hpp).
#include "cardbridge/net/io_threads.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

namespace cardbridge::net {

void runIoThreads(boost::asio::io_context& ioc, unsigned threads, std::string_view logPrefix) {
    auto serve = [&ioc, logPrefix] {
        for (;;) {
            try {
                ioc.run();
                return;
            } catch (const std::exception& e) {
                // Handlers do not throw by design; if one does, keep serving the other clients.
                spdlog::error("{}network thread: {}", logPrefix, e.what());
            } catch (...) {
                spdlog::error("{}network thread: unknown exception", logPrefix);
            }
        }
    };
    std::vector<std::thread> extra;
    for (unsigned i = 1; i < threads; ++i) {
        try {
            extra.emplace_back(serve);
        } catch (const std::system_error& e) {
            spdlog::error("{}cannot start network thread {} of {}: {}", logPrefix, i + 1, threads, e.what());
            break;
        }
    }
    serve();
    for (auto& thread : extra) thread.join();
}

void stopAfter(boost::asio::io_context& ioc, std::chrono::milliseconds grace) {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc, grace);
    timer->async_wait([timer, &ioc](const boost::system::error_code&) { ioc.stop(); });
}

}  // namespace cardbridge::net
