// Logging shared by cardbridged and cardbridge-authority: spdlog to the console and a rotating file,
// every line redacted first.
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <cstddef>
#include <filesystem>

namespace cardbridge {

/// Masks what must never reach a log: 18-character PRC ID numbers (GB 11643, 17 digits + digit/X →
/// "4403**********123X"), mainland mobile numbers ("138****5678", also after +86/86), the value after a
/// PIN/PUK/password-like key ("pin", "newPin", "old_pin", "puk", "password"… → "***", whatever its
/// form) and 6–8-digit runs after a code-like key ("code", "smsCode"… → "***"). Pure; never throws
/// beyond std::bad_alloc.
std::string redactSecrets(std::string_view text);

/// Makes untrusted text safe for a one-line log entry: C0 controls and DEL become "\n", "\r", "\t" or
/// "\xNN", C1 controls and U+2028/U+2029 "\uNNNN", each byte of invalid UTF-8 "\xNN"; valid UTF-8
/// (Chinese included) and everything printable pass unchanged (a backslash too, so a literal "\x00"
/// in a value reads like an escaped NUL). Pure; never throws beyond std::bad_alloc.
std::string escapeControlCharacters(std::string_view text);

/// An spdlog sink that escapes (escapeControlCharacters) and redacts (redactSecrets) each message's
/// payload, so every line the services write is one line, and hands it to its children,
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

/// Where and how much to log.
struct LogOptions {
    std::string name = "cardbridge";             ///< the logger's name
    std::string level = "info";                  ///< spdlog level name (trace … critical, off)
    std::filesystem::path file;                  ///< rotating log file; empty: none
    std::size_t fileMaxBytes = 5 * 1024 * 1024;  ///< size at which the file rotates
    std::size_t fileCount = 3;                   ///< rotated files kept
    bool console = true;                         ///< also log to stderr
};

/// Builds a logger from `options` (level, console, rotating file with fileMaxBytes × fileCount; the log
/// folder is created 0700 and the file made 0600), every sink behind a RedactingSink. When the file cannot
/// be opened it logs to the console only and says so. Throws only std::bad_alloc.
std::shared_ptr<spdlog::logger> makeLogger(const LogOptions& options);

/// makeLogger(options), installed as spdlog's default logger and flushed every 2 s.
std::shared_ptr<spdlog::logger> setupLogging(const LogOptions& options);

}  // namespace cardbridge
