// All of weft::net: sockets, addresses, listeners, client helpers, buffered streams, DNS.
#pragma once

#include "weft/net/address.hpp"
#include "weft/net/connect.hpp"
#include "weft/net/dns.hpp"
#include "weft/net/error.hpp"
#include "weft/net/listener.hpp"
#include "weft/net/socket.hpp"
#include "weft/net/stream.hpp"
