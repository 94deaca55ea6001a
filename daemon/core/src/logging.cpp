// The daemon's config → the shared redacting logger.
#include "cardbridge/daemon/core/logging.hpp"

namespace cardbridge::daemon {

LogOptions logOptionsFor(const DaemonConfig& config) {
    LogOptions options;
    options.name = "cardbridged";
    options.level = config.logLevel;
    options.file = config.logFile;
    options.fileMaxBytes = config.logFileMaxBytes;
    options.fileCount = config.logFileCount;
    options.console = config.logToConsole;
    return options;
}

std::shared_ptr<spdlog::logger> makeLogger(const DaemonConfig& config) {
    return cardbridge::makeLogger(logOptionsFor(config));
}

std::shared_ptr<spdlog::logger> setupLogging(const DaemonConfig& config) {
    return cardbridge::setupLogging(logOptionsFor(config));
}

}  // namespace cardbridge::daemon
