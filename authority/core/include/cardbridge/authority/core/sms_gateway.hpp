// SmsGateway: the seam to the SMS provider. Outbox file (demo, tests) or HTTP(S) webhook.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// One message to send. `text` holds the code: never log a message.
struct SmsMessage {
    std::string phone;      ///< normalised mainland mobile, 11 digits
    std::string text;       ///< Chinese text with the code
    std::string requestId;  ///< the unlock request it belongs to
    Seconds time{};
};

/// Sends SMS. Implementations are thread-safe.
class SmsGateway {
  public:
    virtual ~SmsGateway() = default;
    /// Hands `message` to the provider; returns once accepted. Throws RetryableError when the provider
    /// cannot be reached or refuses.
    virtual void send(const SmsMessage& message) = 0;
};

/// Appends each message as one JSON line {time, phone, text, requestId} to a file (created 0600) and
/// fsyncs it. The demo prints from it; tests read it.
class OutboxSmsGateway final : public SmsGateway {
  public:
    /// Throws nothing; the file is opened per send.
    explicit OutboxSmsGateway(std::filesystem::path path);
    /// Throws RetryableError when the file cannot be written.
    void send(const SmsMessage& message) override;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

/// POSTs {time, phone, text, requestId} as JSON to an https:// URL — http:// only to a loopback host —
/// (OpenSSL BIO, blocking, with a deadline); any 2xx is success. HTTPS verifies the peer against caFiles
/// when given (pinned: the system store is then not used), else the system store, and checks the host
/// name.
class WebhookSmsGateway final : public SmsGateway {
  public:
    /// Throws InputError on a URL that is not https://host[:port][/path] or http:// to 127.0.0.0/8, ::1 or
    /// localhost.
    WebhookSmsGateway(std::string url, std::vector<std::filesystem::path> caFiles, int timeoutSeconds);
    /// Throws RetryableError on connection, TLS or HTTP failure (status not 2xx).
    void send(const SmsMessage& message) override;

  private:
    bool tls_ = false;
    std::string host_;
    std::string port_;
    std::string path_;
    std::vector<std::filesystem::path> caFiles_;
    int timeoutSeconds_;
};

/// The gateway `config` names (outbox path defaulting to <dataDir>/sms-outbox.jsonl). Throws InputError.
std::unique_ptr<SmsGateway> makeSmsGateway(const SmsGatewayConfig& config,
                                           const std::filesystem::path& dataDir);

}  // namespace cardbridge::authority
