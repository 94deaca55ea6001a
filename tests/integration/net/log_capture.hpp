// Captures what the server logs (through the real escaping and redacting sink) for one test, then puts
// the previous default logger back.
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "cardbridge/common/logging.hpp"

namespace cardbridge::test {

class LogCapture {
  public:
    LogCapture() : previous_(spdlog::default_logger()) {
        auto child = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
        auto logger = std::make_shared<spdlog::logger>(
            "capture", std::make_shared<RedactingSink>(std::vector<spdlog::sink_ptr>{child}));
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::debug);
        logger->flush_on(spdlog::level::debug);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    /// Everything logged so far, as written (lines end with '\n').
    std::string text() {
        spdlog::default_logger()->flush();
        std::lock_guard lock(mutex_);
        return stream_.str();
    }

    /// The lines containing `part`.
    std::vector<std::string> linesWith(const std::string& part) {
        std::vector<std::string> found;
        std::istringstream in(text());
        for (std::string line; std::getline(in, line);) {
            if (line.find(part) != std::string::npos) found.push_back(line);
        }
        return found;
    }

  private:
    std::shared_ptr<spdlog::logger> previous_;
    std::mutex mutex_;
    std::ostringstream stream_;
};

}  // namespace cardbridge::test
