// Logging for cardbridged: spdlog to the console and a rotating file, every line redacted first.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/daemon/config.hpp"

namespace cardbridge::daemon {

/// Masks what must never reach a log: 18-character PRC ID numbers (GB 11643, 17 digits + digit/X →
/// "4403**********123X"), mainland mobile numbers ("138****5678", also after +86/86), the value after a
/// PIN/PUK/password-like key ("pin", "newPin", "old_pin", "puk", "password"… → "***", whatever its
/// form) and 6–8-digit runs after a code-like key ("code", "smsCode"… → "***"). Pure; never throws
/// beyond std::bad_alloc.
std::string redactSecrets(std::string_view text);

/// An spdlog sink that redacts each message's payload (redactSecrets) and hands it to its children,
/// which format and write it. Thread-safe.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    /// Forwards to `children` (not null).
    explicit RedactingSink(std::vector<spdlog::sink_ptr> children);

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override;
    void set_pattern_(const std::string& pattern) override;
    void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

  private:
    std::vector<spdlog::sink_ptr> children_;
};

/// Builds the "cardbridged" logger from `config` (level, console, rotating logFile with
/// logFileMaxBytes × logFileCount; the log folder is created 0700), every sink behind a RedactingSink.
/// When the file cannot be opened it logs to the console only and says so. Throws only std::bad_alloc.
std::shared_ptr<spdlog::logger> makeLogger(const DaemonConfig& config);

/// makeLogger(config), installed as spdlog's default logger (the card layer logs through it too).
std::shared_ptr<spdlog::logger> setupLogging(const DaemonConfig& config);

}  // namespace cardbridge::daemon
