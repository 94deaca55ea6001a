// Beast and Asio for daemon/net's own files only (also its precompiled header): the shared aliases and
// accept loop from common/net, plus what only the daemon's sessions name.
#pragma once

#include <nlohmann/json.hpp>

#include "cardbridge/net/listener.hpp"
#include "cardbridge/net/websocket.hpp"

namespace cardbridge::daemon::net {

// asio, beast, http, ssl, websocket, tcp, error_code, TlsStream, Listener.
using namespace cardbridge::net;

using Request = http::request<http::string_body>;

}  // namespace cardbridge::daemon::net
