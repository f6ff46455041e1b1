// session: one player's connection as the game sees it, whatever the transport (telnet or
// WebSocket). The game's tasklet calls read_line() and blocks; output written by any tasklet
// is queued and sent by the transport without blocking the writer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "weft/time.hpp"

namespace mud {

// The peer is gone (or was dropped: output overflow, takeover, shutdown).
class session_closed : public std::runtime_error {
 public:
  session_closed() : std::runtime_error("session closed") {}
};

// What the client told us about itself.
struct client_info {
  std::string address;            // "127.0.0.1:51234"
  std::string protocol;           // "telnet", "telnet+mccp2", "websocket", ...
  std::string client = "unknown"; // GMCP Core.Hello or the first TTYPE answer
  std::string client_version;
  std::string ttype;              // terminal type (second TTYPE answer)
  std::uint32_t mtts = 0;         // MTTS bit vector (third TTYPE answer)
  int cols = 80;
  int rows = 24;
  bool screen_reader() const noexcept { return mtts & 64; }
  // The address without the port: "127.0.0.1", "::1".
  std::string ip() const {
    if (!address.empty() && address[0] == '[') return address.substr(1, address.find(']') - 1);
    return address.substr(0, address.rfind(':'));
  }
};

struct input_line {
  std::string text;
  bool truncated = false;
};

class session {
 public:
  virtual ~session() = default;

  // Blocks the calling tasklet until a line arrives; nullopt if `timeout` passed first.
  // Throws session_closed once the peer is gone or the session was kicked.
  virtual std::optional<input_line> read_line(weft::clock::duration timeout) = 0;

  // Game text: '\n' line ends, ANSI SGR colours. Wrapped to the client's width, colour
  // removed if the player turned it off. Never blocks; a client whose queued output passes
  // the cap is dropped.
  void write(std::string_view text);
  void line(std::string_view text) {
    write(text);
    write("\n");
  }
  // A prompt, followed by the transport's end-of-prompt marker (telnet EOR/GA).
  void prompt(std::string_view text);

  // GMCP message (if the client speaks GMCP): "Room.Info", "{...}".
  virtual void gmcp(std::string_view package, std::string_view json) = 0;
  virtual bool gmcp_enabled() const noexcept = 0;
  // Hidden input (passwords): the client should not echo.
  virtual void set_echo(bool visible) = 0;
  // Queues `message`, then ends the session: read_line throws session_closed from now on,
  // and the transport closes once the output went out (or after a short grace).
  virtual void kick(std::string_view message) = 0;
  virtual bool closed() const noexcept = 0;

  client_info info;
  bool colour = true;
  weft::clock::time_point last_input = weft::clock::now();

 protected:
  // Bytes for the client, already in wire form (CRLF line ends).
  virtual void emit(std::string_view bytes) = 0;
  virtual void end_prompt(std::string_view text) = 0;
};

}  // namespace mud
