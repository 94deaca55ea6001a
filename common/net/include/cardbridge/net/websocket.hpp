// Beast's WebSocket on top of cardbridge/net/beast.hpp, for the files that speak wss:// (the daemon's
// sessions, the WSS benchmark peer and load generator, the tests' WSS client). Heavier still: same rule.
#pragma once

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "cardbridge/net/beast.hpp"

namespace cardbridge::net {

namespace websocket = beast::websocket;

/// A WebSocket over TLS (wss://).
using WssStream = websocket::stream<TlsStream>;

}  // namespace cardbridge::net
