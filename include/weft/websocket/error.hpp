// What ends a WebSocket connection (closed_error) and what refuses one (handshake_error),
// with RFC 6455's close codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace weft::websocket {

// RFC 6455 section 7.4.1 (and IANA's registry). 1005 and 1006 are never sent: they only
// report "the Close frame had no code" and "the connection ended without a Close frame".
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;
inline constexpr std::uint16_t abnormal = 1006;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t mandatory_extension = 1010;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// True for codes a Close frame may carry: 1000-1003, 1007-1014, 3000-4999.
bool close_code_sendable(std::uint16_t code) noexcept;

// The connection is closed (or closing). code/reason: the peer's Close frame if it sent one
// (1005 when it carried no code), the code this side sent after a protocol violation, or
// 1006 when the transport ended (or failed, or the closing handshake timed out) without a
// Close frame. remote(): the peer started the close (its Close frame came first).
class closed_error : public std::runtime_error {
 public:
  closed_error(std::uint16_t code, std::string reason, bool remote);
  std::uint16_t code() const noexcept { return code_; }
  const std::string& reason() const noexcept { return reason_; }
  bool remote() const noexcept { return remote_; }

 private:
  std::uint16_t code_;
  std::string reason_;
  bool remote_;
};

// The opening handshake failed. status(): the HTTP status this server answered (400, 403,
// 405, 426) or the client received (0 when the server's answer was not HTTP at all or the
// failure was on the client's side, e.g. a wrong Sec-WebSocket-Accept).
class handshake_error : public std::runtime_error {
 public:
  handshake_error(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

}  // namespace weft::websocket
