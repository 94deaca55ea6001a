// Boost.Beast for the network layers only: daemon/net, authority/http's server, the benchmarks' peers and
// load generators, the tests' clients. The includes and namespace aliases they all use live here (and in
// asio.hpp) once. Heavy (seconds per translation unit): include it only from those files and their
// precompiled headers, never from a library's public header.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "cardbridge/net/asio.hpp"

namespace cardbridge::net {

namespace beast = boost::beast;
namespace http = beast::http;

/// TLS over a TCP stream with Beast's timeouts: every HTTPS/WSS connection of ours, server or client side.
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace cardbridge::net
