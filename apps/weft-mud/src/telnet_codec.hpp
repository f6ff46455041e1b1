// telnet_codec: the telnet byte-stream parser (RFC 854/855) and the encoders for what the
// server sends. Pure code, no I/O: the connection feeds it bytes, the fuzzer feeds it junk.
//
// Invariants: a command or subnegotiation split across feed() calls is reassembled; a
// subnegotiation longer than max_subneg bytes is cut off (the rest is dropped until IAC SE)
// so a client cannot grow the buffer without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mud::telnet {

enum : std::uint8_t {
  IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, GA = 249,
  EL = 248, EC = 247, AYT = 246, AO = 245, IP = 244, BRK = 243, DM = 242, NOP = 241, SE = 240,
  EOR_CMD = 239,
};

enum : std::uint8_t {
  OPT_ECHO = 1, OPT_SGA = 3, OPT_TTYPE = 24, OPT_EOR = 25, OPT_NAWS = 31, OPT_CHARSET = 42,
  OPT_MSSP = 70, OPT_MCCP2 = 86, OPT_GMCP = 201,
};

// What the parser reports, in stream order.
struct handler {
  virtual ~handler() = default;
  virtual void on_data(std::string_view bytes) = 0;              // IAC IAC already undone
  virtual void on_command(std::uint8_t cmd) = 0;                 // NOP, GA, AYT, EC, EL, ...
  virtual void on_negotiate(std::uint8_t verb, std::uint8_t opt) = 0;  // WILL/WONT/DO/DONT
  virtual void on_subneg(std::uint8_t opt, std::string_view payload) = 0;
};

class parser {
 public:
  static constexpr std::size_t max_subneg = 8192;
  void feed(std::string_view bytes, handler& h);

 private:
  enum class state : std::uint8_t { data, iac, verb, sb_opt, sb_data, sb_iac };
  state st_ = state::data;
  std::uint8_t verb_ = 0;
  std::uint8_t sb_opt_ = 0;
  std::string sb_;
};

// IAC bytes doubled, for data sent to the client.
std::string escape_iac(std::string_view data);
// IAC verb opt
std::string negotiate(std::uint8_t verb, std::uint8_t opt);
// IAC SB opt <payload, IAC doubled> IAC SE
std::string subneg(std::uint8_t opt, std::string_view payload);

}  // namespace mud::telnet
