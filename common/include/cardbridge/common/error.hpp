// Exception hierarchy shared by every cardbridge module, split by how the caller should react.
#pragma once

#include <stdexcept>

namespace cardbridge {

/// Base of every cardbridge exception. what() is for logs, never for the browser.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The input was invalid (bad format, policy violation, hostile data): fix the input, do not retry as is.
class InputError : public Error {
  public:
    using Error::Error;
};

/// A transient condition (service down, card removed, timeout): the same call may work later.
class RetryableError : public Error {
  public:
    using Error::Error;
};

/// An environment or programming error the caller cannot fix by retrying or changing input.
class FatalError : public Error {
  public:
    using Error::Error;
};

}  // namespace cardbridge
