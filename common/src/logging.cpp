// Escaping and redaction of log lines and our loggers (console + rotating file behind a RedactingSink).
#include "cardbridge/common/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace cardbridge {

namespace {

constexpr std::string_view MASK = "***";

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isAsciiAlnum(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentifierChar(char c) {
    return isAsciiAlnum(c) || c == '_' || c == '-';
}

enum class KeyFamily { None, Secret, Code };

/// Which masking a key asks for: its lower-cased letters and digits (no '_' or '-') decide by suffix,
/// so "newPin", "old_pin", "PUK", "userPassword" and "smsCode" are all caught.
KeyFamily familyOf(std::string_view key) {
    std::string k;
    k.reserve(key.size());
    for (char c : key) {
        if (c == '_' || c == '-') continue;
        k.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    static constexpr std::array<std::string_view, 8> SECRET{"pin", "puk",      "password", "passwd",
                                                            "pwd", "passcode", "pincode",  "pukcode"};
    static constexpr std::array<std::string_view, 4> CODE{"code", "otp", "captcha", "verifycode"};
    for (auto suffix : SECRET) {
        if (k.ends_with(suffix)) return KeyFamily::Secret;
    }
    for (auto suffix : CODE) {
        if (k.ends_with(suffix)) return KeyFamily::Code;
    }
    return KeyFamily::None;
}

bool allDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!isDigit(c)) return false;
    }
    return true;
}

bool endsUnquotedValue(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ';' || c == '&' || c == '}' ||
           c == ']' || c == ')' || c == '"' || c == '\'' || c == '\\';
}

/// Pass 1: values after secret-like keys (`"pin":"123456"`, `pin=123456`, `\"newPin\":\"…\"`).
std::string maskKeyValues(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        const bool startsKey = isIdentifierStart(in[i]) && (i == 0 || !isIdentifierChar(in[i - 1]));
        if (!startsKey) {
            out.push_back(in[i++]);
            continue;
        }
        std::size_t j = i;
        while (j < in.size() && isIdentifierChar(in[j])) ++j;
        const KeyFamily family = familyOf(in.substr(i, j - i));
        if (family == KeyFamily::None) {
            out.append(in.substr(i, j - i));
            i = j;
            continue;
        }
        // Separator: the key's closing quote (maybe escaped), blanks, ':' or '=', blanks.
        std::size_t k = j;
        if (k < in.size() && in[k] == '\\') ++k;
        if (k < in.size() && (in[k] == '"' || in[k] == '\'')) ++k;
        while (k < in.size() && (in[k] == ' ' || in[k] == '\t')) ++k;
        if (k >= in.size() || (in[k] != ':' && in[k] != '=')) {
            out.append(in.substr(i, j - i));
            i = j;
            continue;
        }
        ++k;
        while (k < in.size() && (in[k] == ' ' || in[k] == '\t')) ++k;
        bool escaped = false;
        if (k + 1 < in.size() && in[k] == '\\' && (in[k + 1] == '"' || in[k + 1] == '\'')) {
            escaped = true;
            ++k;
        }
        std::size_t valueStart = k;
        std::size_t valueEnd = k;
        if (k < in.size() && (in[k] == '"' || in[k] == '\'')) {
            const char quote = in[k];
            valueStart = k + 1;
            valueEnd = valueStart;
            while (valueEnd < in.size() && in[valueEnd] != quote && in[valueEnd] != '\n') {
                if (in[valueEnd] == '\\') {
                    if (escaped && valueEnd + 1 < in.size() && in[valueEnd + 1] == quote) break;
                    valueEnd += 2;  // an escaped character belongs to the value
                    continue;
                }
                ++valueEnd;
            }
        } else {
            while (valueEnd < in.size() && !endsUnquotedValue(in[valueEnd])) ++valueEnd;
            // Objects, arrays and negative numbers are not secrets ({"pin":{"state":…}}, "code":-32602).
            if (valueEnd > valueStart && !isAsciiAlnum(in[valueStart])) valueEnd = valueStart;
        }
        valueEnd = std::min(valueEnd, in.size());
        const std::string_view value = in.substr(valueStart, valueEnd - valueStart);
        const bool mask = family == KeyFamily::Secret
                              ? !value.empty()
                              : (allDigits(value) && value.size() >= 6 && value.size() <= 8);
        out.append(in.substr(i, valueStart - i));
        if (mask) {
            out.append(MASK);
        } else {
            out.append(value);
        }
        i = valueEnd;
    }
    return out;
}

/// Pass 2: ID numbers and mobile numbers, as whole tokens (not inside hex strings or longer numbers).
std::string maskNumbers(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    while (i < in.size()) {
        if (!isDigit(in[i]) || (i > 0 && isAsciiAlnum(in[i - 1]))) {
            out.push_back(in[i++]);
            continue;
        }
        std::size_t end = i;
        while (end < in.size() && isDigit(in[end])) ++end;
        const std::size_t digits = end - i;
        std::size_t tokenEnd = end;
        if (digits == 17 && end < in.size() && (in[end] == 'X' || in[end] == 'x')) tokenEnd = end + 1;
        const bool boundary = tokenEnd >= in.size() || !isAsciiAlnum(in[tokenEnd]);
        const std::size_t length = tokenEnd - i;
        const std::string_view token = in.substr(i, length);
        if (boundary && length == 18 && (digits == 18 || digits == 17)) {
            out.append(token.substr(0, 4));
            out.append(10, '*');
            out.append(token.substr(14));
        } else if (boundary && digits == 11 && token[0] == '1' && token[1] >= '3' && token[1] <= '9') {
            out.append(token.substr(0, 3));
            out.append("****");
            out.append(token.substr(7));
        } else if (boundary && digits == 13 && token.starts_with("861") && token[3] >= '3' &&
                   token[3] <= '9') {
            out.append(token.substr(0, 5));
            out.append("****");
            out.append(token.substr(9));
        } else {
            out.append(in.substr(i, tokenEnd - i));
        }
        i = tokenEnd;
    }
    return out;
}

void appendHexByte(std::string& out, unsigned char byte) {
    static constexpr char HEX[] = "0123456789abcdef";
    out += "\\x";
    out.push_back(HEX[byte >> 4]);
    out.push_back(HEX[byte & 0x0f]);
}

/// Length of the well-formed UTF-8 sequence starting at `in[i]` (2-4), or 0 when there is none there
/// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, truncated). `cp` gets its value.
std::size_t utf8Sequence(std::string_view in, std::size_t i, char32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    char32_t min = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        cp = lead & 0x1f;
        min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        cp = lead & 0x0f;
        min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        cp = lead & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + length > in.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return length;
}

}  // namespace

std::string escapeControlCharacters(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if (c < 0x80) {  // C0 controls and DEL
            switch (c) {
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    appendHexByte(out, c);
            }
            ++i;
            continue;
        }
        char32_t cp = 0;
        const std::size_t length = utf8Sequence(text, i, cp);
        if (length == 0) {  // not UTF-8: each byte shown as \xNN
            appendHexByte(out, c);
            ++i;
            continue;
        }
        // C1 controls and the Unicode line/paragraph separators would break or fake lines too.
        if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
            static constexpr char HEX[] = "0123456789abcdef";
            out += "\\u";
            for (int shift = 12; shift >= 0; shift -= 4) out.push_back(HEX[(cp >> shift) & 0x0f]);
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

std::string redactSecrets(std::string_view text) {
    return maskNumbers(maskKeyValues(text));
}

RedactingSink::RedactingSink(std::vector<spdlog::sink_ptr> children) : children_(std::move(children)) {}

void RedactingSink::sink_it_(const spdlog::details::log_msg& message) {
    // Escaped first, so that a value with a newline can neither split a secret past the masking nor
    // forge a second line; then redacted.
    const std::string redacted = redactSecrets(
        escapeControlCharacters(std::string_view(message.payload.data(), message.payload.size())));
    spdlog::details::log_msg copy = message;
    copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
    for (const auto& child : children_) {
        if (child->should_log(copy.level)) child->log(copy);
    }
}

void RedactingSink::flush_() {
    for (const auto& child : children_) child->flush();
}

void RedactingSink::set_pattern_(const std::string& pattern) {
    for (const auto& child : children_) child->set_pattern(pattern);
}

void RedactingSink::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
    for (const auto& child : children_) child->set_formatter(formatter->clone());
}

std::shared_ptr<spdlog::logger> makeLogger(const LogOptions& options) {
    std::vector<spdlog::sink_ptr> children;
    // The RedactingSink serialises calls, so the children need no locks of their own.
    if (options.console) children.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_st>());
    std::string fileProblem;
    if (!options.file.empty()) {
        try {
            const std::filesystem::path folder = options.file.parent_path();
            if (!folder.empty() && !std::filesystem::exists(folder)) {
                std::filesystem::create_directories(folder);
                std::filesystem::permissions(folder, std::filesystem::perms::owner_all,
                                             std::filesystem::perm_options::replace);
            }
            children.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_st>(
                options.file.string(), options.fileMaxBytes, options.fileCount));
            // Redacted or not, a log says who used which card when: owner only. (Files created at
            // rotation follow the process umask, so the executables' mains set umask 077.)
            std::error_code ignored;
            std::filesystem::permissions(
                options.file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                std::filesystem::perm_options::replace, ignored);
        } catch (const std::exception& e) {
            fileProblem = e.what();
            if (!options.console) {
                children.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_st>());
            }
        }
    }
    auto sink = std::make_shared<RedactingSink>(std::move(children));
    auto logger = std::make_shared<spdlog::logger>(options.name, sink);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%l] [%t] %v");
    logger->set_level(spdlog::level::from_str(options.level));
    // Flush on every info line instead of a periodic flusher thread: the services log little when
    // idle, and spdlog::flush_every would wake the process every period for nothing (bench: idle).
    logger->flush_on(spdlog::level::info);
    if (!fileProblem.empty()) {
        logger->warn("cannot write the log file {}: {}; logging to the console only", options.file.string(),
                     fileProblem);
    }
    return logger;
}

std::shared_ptr<spdlog::logger> setupLogging(const LogOptions& options) {
    auto logger = makeLogger(options);
    spdlog::set_default_logger(logger);
    return logger;
}

}  // namespace cardbridge
