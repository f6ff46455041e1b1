// connect: the client side of the opening handshake, over TCP (ws://) or TLS (wss://).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/http/headers.hpp"
#include "weft/net/tls.hpp"
#include "weft/time.hpp"
#include "weft/websocket/connection.hpp"

namespace weft::websocket {

struct connect_options {
  std::vector<std::string> subprotocols;  // offered in Sec-WebSocket-Protocol, in order
  std::string origin;                     // sent as Origin unless empty
  http::headers headers;                  // more request fields (Cookie, Authorization, ...)
  // wss: the TLS configuration; nullptr means net::tls_context::client() (the system trust
  // store, the server's name verified).
  const net::tls_context* tls = nullptr;
  // Bounds connecting, the TLS handshake and the opening handshake together (not the
  // connection's later use). nullopt: no bound.
  std::optional<clock::time_point> deadline;
  connection_options connection;  // limits of the connection it returns
};

// Opens "ws://host[:port]/path?query" or "wss://..." (default ports 80 and 443; IPv6 as
// "[::1]"), sends the upgrade request and checks the answer: 101, Upgrade and Connection,
// Sec-WebSocket-Accept for the key sent, a subprotocol among those offered (or none), no
// extension. Blocks only this tasklet.
//
// Throws std::invalid_argument for a URL it cannot use; std::system_error from resolving,
// connecting or TLS ("connect to 127.0.0.1:1: Connection refused", certificate checks);
// weft::timeout_error past the deadline; handshake_error when the server refuses or answers
// wrongly (status() is the HTTP status, 0 if there was none). A kill unwinds and closes
// what was opened.
connection connect(std::string_view url, const connect_options& options = {});

}  // namespace weft::websocket
