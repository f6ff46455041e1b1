// connection: one WebSocket (RFC 6455) over a byte stream, after the opening handshake:
// messages in, messages out, ping/pong and the closing handshake. accept() (server.hpp) and
// connect() (client.hpp) make them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "weft/net/stream.hpp"
#include "weft/time.hpp"
#include "weft/websocket/error.hpp"

namespace weft::websocket {

enum class role { client, server };

struct message {
  bool binary = false;
  std::string data;  // a text message's data is valid UTF-8
};

struct connection_options {
  // Largest message receive() accepts (all fragments together); a bigger one closes the
  // connection with 1009 before its payload is read.
  std::size_t max_message = 16u << 20;
  // How long close() (or a peer-initiated close on a client) waits for the other side.
  clock::duration close_timeout = std::chrono::seconds(5);
  // Called on the reader's tasklet for each Pong received (payload). Must not block.
  std::function<void(std::string_view)> on_pong;
};

class connection;

// Sends one message as several frames (fragmentation): write() sends a non-final frame,
// finish() the final one. While it exists, other data messages on the connection wait;
// control frames (the reader's pongs, close) may still go out between its frames. Dropping
// it without finish() leaves the peer in the middle of a message: the connection then
// refuses data messages (std::logic_error) and can only be closed.
class message_writer {
 public:
  message_writer(message_writer&& o) noexcept;
  message_writer& operator=(message_writer&&) = delete;
  ~message_writer();
  // Blocks like send_text. Text parts are checked as UTF-8 across part boundaries (a
  // character may be split between parts; std::invalid_argument if the bytes cannot be UTF-8).
  void write(std::string_view part);
  void finish(std::string_view last = {});

 private:
  friend class connection;
  struct state;
  explicit message_writer(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

// Blocking calls block only the calling tasklet. Use: one tasklet reads (receive) while any
// number of tasklets write (send_*, ping, close); frames are serialised by a weft::mutex.
// All on one scheduler thread, as the underlying socket is.
//
// Errors:
// - closed_error (error.hpp): the connection is closed or closing: receive() after the
//   peer's Close (its code and reason), after a protocol violation (the code this side sent:
//   1002, 1007, 1009), at the end of the transport (1006); any send after close.
// - std::system_error from the transport while writing (ECONNRESET, EPIPE, TLS errors;
//   weft::timeout_error if the socket has a timeout); afterwards the connection is unusable
//   (the frame may have gone out in part) and sends throw closed_error 1006.
// - std::invalid_argument: a text message or close reason that is not UTF-8, a close code
//   that may not be sent, a close reason over 123 bytes or a ping over 125.
//
// A kill (or a socket timeout) while receive() waits unwinds it with nothing lost: the
// partial frame and message stay in the connection, and the next receive() goes on with them.
// A kill while a send waits leaves a frame half sent: the connection is then unusable.
class connection {
 public:
  connection() noexcept;  // empty: only assignable
  // Over a stream (and the transport under it) that the caller owns and keeps alive, right
  // after the opening handshake: a server's stream from http::response::upgrade, say.
  connection(net::stream& s, role r, connection_options o = {}, std::string subprotocol = {});
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  // Never blocks: it sends no Close frame (close() first for a clean end). An owned
  // transport (connect()) is closed.
  ~connection();

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  // The next whole message, waiting for it. Pings are answered with pongs, pongs go to
  // on_pong, fragments are joined. Throws closed_error when the connection closes (see
  // above); a Close from the peer is answered first.
  message receive();

  void send_text(std::string_view text);
  void send_binary(std::span<const std::byte> data);
  void send_binary(std::string_view data);
  // A message sent in several frames; see message_writer.
  message_writer begin_text();
  message_writer begin_binary();
  // A Ping with up to 125 bytes of payload. The peer's Pong arrives through receive().
  void ping(std::string_view payload = {});

  // The closing handshake: sends Close(code, reason) (code 0: a Close without a code) and
  // waits, at most close_timeout, for the peer's Close. If another tasklet is inside
  // receive(), that tasklet reads the peer's Close (and receives closed_error); otherwise
  // close() reads and discards incoming messages itself. On timeout, a receive() in progress
  // throws closed_error 1006. A second close(), or close() after the peer's Close, returns
  // at once. Throws std::invalid_argument for a bad code or reason; transport errors while
  // sending the Close are swallowed (the connection is closed either way).
  void close(std::uint16_t code = close_code::normal, std::string_view reason = {});

  // The negotiated subprotocol ("" if none).
  std::string subprotocol() const;
  // False once a Close was sent and received, or the connection failed.
  bool is_open() const noexcept;

  struct impl;
  // connect() hands over the transport it opened; the stream lives inside it.
  struct transport {
    virtual ~transport() = default;
    virtual net::stream& stream() noexcept = 0;
    virtual void close() noexcept = 0;  // drop the connection now
  };
  connection(std::unique_ptr<transport> t, role r, connection_options o, std::string subprotocol);

 private:
  message_writer begin(bool binary);
  std::unique_ptr<impl> impl_;
};

}  // namespace weft::websocket
