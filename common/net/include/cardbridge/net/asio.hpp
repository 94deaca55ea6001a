// Boost.Asio for the network layers only, and the aliases they all use, in one place. Lighter than
// beast.hpp (no Beast, no SSL streams), so the accept loop and the io threads need no more than this.
// Include it only from network-layer files, never from a library's public header.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

// The `ssl` alias below needs only the namespace; <boost/asio/ssl.hpp> comes with beast.hpp.
namespace boost::asio::ssl {}

namespace cardbridge::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

}  // namespace cardbridge::net
