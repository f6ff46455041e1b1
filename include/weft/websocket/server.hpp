// accept: the server side of the opening handshake, inside an http::server handler:
//
//   router.get("/ws", [](http::request& req, http::response& res) {
//     websocket::connection ws = websocket::accept(req, res, {.subprotocols = {"chat"}});
//     for (;;) ws.send_text(ws.receive().data);   // ends with closed_error
//   });
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/http/server.hpp"
#include "weft/time.hpp"
#include "weft/websocket/connection.hpp"

namespace weft::websocket {

struct accept_options {
  // Subprotocols this server speaks, most preferred first; it picks the first the client
  // offered. None in common (or none offered): the connection has no subprotocol.
  std::vector<std::string> subprotocols;
  // Origins allowed ("https://example.com", compared case-insensitively; "*" allows all).
  // Empty: only pages from the host the request names (Origin's host[:port] == Host).
  // A request without Origin (not from a browser) is always allowed.
  std::vector<std::string> allowed_origins;
  std::size_t max_message = connection_options{}.max_message;
  clock::duration close_timeout = connection_options{}.close_timeout;
  std::function<void(std::string_view)> on_pong;
};

// Checks the upgrade request and answers it: 101 with Sec-WebSocket-Accept (and the chosen
// Sec-WebSocket-Protocol), returning the connection over the HTTP connection's stream. The
// connection must not outlive the handler: the server closes the TCP connection when the
// handler returns.
//
// Refusals are answered here, then thrown as handshake_error (status() says which; let it
// propagate or catch it, the answer has gone out either way):
//   405 (Allow: GET)  not GET
//   400  HTTP/1.0, no "Upgrade: websocket", no "Connection: upgrade", bad Sec-WebSocket-Key
//   426 (Sec-WebSocket-Version: 13)  another version
//   403  Origin not allowed
// std::system_error if writing the answer fails. Blocks only this tasklet (to write).
connection accept(http::request& req, http::response& res, const accept_options& options = {});

}  // namespace weft::websocket
