// Fixtures for the WebSocket tests: an http::server on 127.0.0.1 in a tasklet, and a raw
// client that writes frames byte by byte (malformed ones included) and reads them back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "websocket/handshake.hpp"
#include "weft/http/server.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/websocket/client.hpp"
#include "weft/websocket/server.hpp"

namespace ws_test {

namespace http = weft::http;
namespace net = weft::net;
namespace websocket = weft::websocket;
using namespace std::chrono_literals;

// Serves `route` at /ws (GET and POST, so accept() sees any method) on an ephemeral port,
// runs `client(port)` in a tasklet, then shuts the server down; returns when everything has
// finished. Exceptions fail the test.
inline void with_server(const http::handler& route, const std::function<void(std::uint16_t)>& client,
                        http::server_options options = {}) {
  http::router r;
  r.get("/ws", route);
  r.post("/ws", route);
  http::server srv(r, std::move(options));
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::uint16_t port = l.local_address().port();
  weft::spawn([&] { srv.serve(l); });
  std::exception_ptr failure;
  weft::spawn([&] {
    try {
      client(port);
    } catch (...) {
      failure = std::current_exception();
    }
    srv.shutdown(2s);
  });
  weft::run();
  if (failure) std::rethrow_exception(failure);
}

// A frame as bytes. `first`: FIN/RSV/opcode byte. Masked with a fixed key when `mask`.
// `len_form`: 0 picks the shortest length encoding, 126 / 127 force the longer ones.
inline std::string frame(std::uint8_t first, std::string_view payload, bool mask = true, int len_form = 0) {
  std::string f(1, static_cast<char>(first));
  std::uint8_t m = mask ? 0x80 : 0;
  std::uint64_t n = payload.size();
  if (len_form == 0) len_form = n < 126 ? 0 : n < 65536 ? 126 : 127;
  if (len_form == 0) {
    f += static_cast<char>(m | n);
  } else if (len_form == 126) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xFF);
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (mask) f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i) f += mask ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return f;
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  p += reason;
  return p;
}

struct raw_frame {
  bool fin = false;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string key;      // the masking key, if masked
  std::string payload;  // unmasked
  std::uint16_t close_code() const {
    return payload.size() < 2 ? 0
                              : static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                           static_cast<unsigned char>(payload[1]));
  }
};

// A client (or server) that speaks raw bytes over TCP.
class raw_peer {
 public:
  explicit raw_peer(net::socket s) : sock_(std::make_unique<net::socket>(std::move(s))), s_(std::make_unique<net::stream>(*sock_)) {}
  static raw_peer connect(std::uint16_t port) { return raw_peer(net::tcp_connect(net::address::loopback_v4(port))); }

  // Sends an upgrade request with `fields` (full lines, each ending "\r\n") and returns the
  // answer's head ("HTTP/1.1 101 ...\r\n...\r\n\r\n").
  std::string request(const std::string& method_and_version, const std::string& fields) {
    write(method_and_version + "\r\nHost: 127.0.0.1\r\n" + fields + "\r\n");
    return s_->read_until("\r\n\r\n", 65536);
  }
  std::string handshake(const std::string& extra = {}) {
    return request("GET /ws HTTP/1.1",
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n" + extra);
  }
  void write(std::string_view bytes) {
    s_->write(bytes);
    s_->flush();
  }
  raw_frame read_frame() {
    std::string h = s_->read_exact(2);
    raw_frame f;
    f.fin = h[0] & 0x80;
    f.opcode = h[0] & 0x0F;
    f.masked = h[1] & 0x80;
    std::uint64_t n = h[1] & 0x7F;
    if (n >= 126) {
      std::string ext = s_->read_exact(n == 126 ? 2 : 8);
      n = 0;
      for (char c : ext) n = (n << 8) | static_cast<unsigned char>(c);
    }
    f.key = f.masked ? s_->read_exact(4) : std::string();
    f.payload = s_->read_exact(n);
    if (f.masked)
      for (std::size_t i = 0; i < n; ++i) f.payload[i] = static_cast<char>(f.payload[i] ^ f.key[i % 4]);
    return f;
  }
  // Reads until the end of the stream; true if it came (rather than an error).
  bool reads_eof() {
    try {
      return s_->read_all(), true;
    } catch (const std::system_error&) {
      return false;
    }
  }
  net::stream& stream() { return *s_; }
  net::socket& socket() { return *sock_; }

 private:
  std::unique_ptr<net::socket> sock_;
  std::unique_ptr<net::stream> s_;
};

// A raw server on an ephemeral port: `server` gets the one connection it accepts (the
// upgrade request unread), `client(port)` runs meanwhile in its own tasklet.
inline void with_raw_server(const std::function<void(raw_peer&)>& server, const std::function<void(std::uint16_t)>& client) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::uint16_t port = l.local_address().port();
  std::exception_ptr failure;
  auto guarded = [&failure](auto f) {
    try {
      f();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  };
  weft::spawn([&] {
    guarded([&] {
      raw_peer p(l.accept());
      server(p);
    });
  });
  weft::spawn([&] { guarded([&] { client(port); }); });
  weft::run();
  if (failure) std::rethrow_exception(failure);
}

// Reads an upgrade request and answers it as a server would, with `extra` fields (full
// lines) and, unless `accept` is given, the right Sec-WebSocket-Accept; returns the request.
inline std::string answer_upgrade(raw_peer& p, const std::string& extra = {}, std::optional<std::string> accept = {}) {
  std::string req = p.stream().read_until("\r\n\r\n");
  auto at = req.find("Sec-WebSocket-Key: ");
  std::string key = at == std::string::npos ? "" : req.substr(at + 19, 24);
  p.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: " + accept.value_or(websocket::detail::accept_value(key)) + "\r\n" + extra + "\r\n");
  return req;
}

}  // namespace ws_test
