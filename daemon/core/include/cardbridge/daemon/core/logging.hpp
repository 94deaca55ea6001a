// Logging for cardbridged: the shared redacting logger (cardbridge/common/logging.hpp) set up from the
// daemon's config.
#pragma once

#include <spdlog/logger.h>

#include <memory>

#include "cardbridge/common/logging.hpp"
#include "cardbridge/daemon/core/config.hpp"

namespace cardbridge::daemon {

using cardbridge::RedactingSink;
using cardbridge::redactSecrets;

/// The shared logger's options from `config` (level, console, logFile, logFileMaxBytes × logFileCount),
/// named "cardbridged". Pure.
LogOptions logOptionsFor(const DaemonConfig& config);

/// The "cardbridged" logger built from `config` (see cardbridge::makeLogger). Throws only std::bad_alloc.
std::shared_ptr<spdlog::logger> makeLogger(const DaemonConfig& config);

/// makeLogger(config), installed as spdlog's default logger (the card layer logs through it too).
std::shared_ptr<spdlog::logger> setupLogging(const DaemonConfig& config);

}  // namespace cardbridge::daemon
