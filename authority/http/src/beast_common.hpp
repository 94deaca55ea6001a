// Beast and Asio for authority/http's server only (also its precompiled header): the shared aliases and
// accept loop from common/net, plus the worker pool.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "cardbridge/net/beast.hpp"
#include "cardbridge/net/listener.hpp"
