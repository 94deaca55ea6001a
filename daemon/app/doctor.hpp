// `cardbridged doctor`: what is wrong, in words a support desk can act on (Chinese and English).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cardbridge/daemon/core/config.hpp"

namespace cardbridge::daemon {

/// One check's outcome. `code` is stable (e.g. "pcsc.service"); status "ok" | "problem" | "info" (worth
/// knowing, not a problem by itself: other CA middleware) | "unknown".
struct DoctorFinding {
    std::string code;
    std::string status;
    std::string zh;
    std::string en;
};

/// Runs every check: config problems, PC/SC service (why pcscd refuses, if it does), readers, cards
/// (readers held exclusively), port, other CA middleware, TLS files, trust stores.
/// Never throws; a check that cannot run reports "unknown".
std::vector<DoctorFinding> runDoctor(const DaemonConfig& config,
                                     const std::vector<std::string>& configProblems);

/// JSON form of findings (also the TLS/trust part of GET /health).
nlohmann::json toJson(const std::vector<DoctorFinding>& findings);

/// TLS and trust findings only. Slow (reads files, parses the system store, runs certutil): cardbridged
/// runs it on a background thread and GET /health serves the cached result (CachedProbe).
std::vector<DoctorFinding> tlsFindings(const DaemonConfig& config);

}  // namespace cardbridge::daemon
