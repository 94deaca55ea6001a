// A fake of the authority's SmsGateway seam for unit tests. Header-only; target
// cardbridge_test_fakes_authority.
#pragma once

#include <mutex>
#include <vector>

#include "cardbridge/authority/core/sms_gateway.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::fake {

/// Records every message; can be told to fail. Thread-safe.
class RecordingSmsGateway final : public authority::SmsGateway {
  public:
    /// Records `message`, or throws RetryableError once after failNext().
    void send(const authority::SmsMessage& message) override {
        std::lock_guard lock(mutex_);
        if (failNext_) {
            failNext_ = false;
            throw RetryableError("fake SMS gateway down");
        }
        messages_.push_back(message);
    }
    /// The next send throws RetryableError.
    void failNext() {
        std::lock_guard lock(mutex_);
        failNext_ = true;
    }
    /// Every message sent so far, oldest first.
    [[nodiscard]] std::vector<authority::SmsMessage> messages() const {
        std::lock_guard lock(mutex_);
        return messages_;
    }

  private:
    mutable std::mutex mutex_;
    bool failNext_ = false;
    std::vector<authority::SmsMessage> messages_;
};

}  // namespace cardbridge::fake
