// The card service's state for GET /health and `cardbridged doctor`: rendered here, apart from card work.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "cardbridge/daemon/core/card_service.hpp"

namespace cardbridge::daemon {

/// {status:"ok"|"degraded", pcscAvailable, readers:[…], problems:[{reason, message[, reader]}]} (docs/api.md
/// §6). Problems: PCSC_UNAVAILABLE, else NO_READER, else CARD_ABSENT; plus one per unreadable card. No
/// secrets, no certificates. Pure; never throws beyond std::bad_alloc.
nlohmann::json renderHealth(bool pcscAvailable, const std::vector<ReaderState>& readers);

/// renderHealth() of `cards`' current state. Thread-safe; no card I/O.
nlohmann::json cardHealth(const CardService& cards);

}  // namespace cardbridge::daemon
