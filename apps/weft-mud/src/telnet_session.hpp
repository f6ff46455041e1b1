// telnet_session: a session over a telnet connection. Negotiates the MUD options (EOR, GMCP,
// MCCP2, MSSP, CHARSET, TTYPE/MTTS, NAWS; ECHO on demand), parses input with the telnet
// codec and the line editor, and sends output from its own writer tasklet so that whoever
// writes (another player's say, the creature) never waits for this client's socket.
//
// Invariants: only the owning connection tasklet reads; out_ only grows between writer
// turns and never past max_output (the client is dropped instead); once compression is on,
// every byte after the MCCP2 start marker goes through z_.
#pragma once

#include <zlib.h>

#include <functional>
#include <memory>
#include <string>

#include "line_editor.hpp"
#include "session.hpp"
#include "telnet_codec.hpp"
#include "weft/net/socket.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace mud {

struct telnet_limits {
  std::size_t max_line = 512;
  std::size_t max_output = 256 * 1024;
};

class telnet_session final : public session, private telnet::handler {
 public:
  // mssp() supplies the MSSP variables (NAME, PLAYERS, UPTIME, ...) when a crawler asks.
  telnet_session(weft::net::socket sock, std::string address, telnet_limits limits,
                 std::function<std::string()> mssp);
  ~telnet_session() override;

  // Sends the server's offers and reads answers until every one was answered (and the
  // TTYPE cycle finished), or `wait` passed: a silent client gets on after `wait`.
  void negotiate(weft::clock::duration wait);
  // Waits (bounded) for queued output to go out, then closes.
  void finish(weft::clock::duration grace);

  std::optional<input_line> read_line(weft::clock::duration timeout) override;
  void gmcp(std::string_view package, std::string_view json) override;
  bool gmcp_enabled() const noexcept override { return gmcp_; }
  void set_echo(bool visible) override;
  void kick(std::string_view message) override;
  bool closed() const noexcept override { return closing_ || dead_; }
  bool compressing() const noexcept { return z_ != nullptr; }

 private:
  void emit(std::string_view bytes) override;
  void end_prompt(std::string_view text) override;
  void emit_raw(std::string_view bytes);
  void drop();
  // One read of the socket fed through the parser; false if `until` passed first.
  bool fill(weft::clock::time_point until);
  void writer_loop();
  void start_compression();
  void update_protocol();

  void on_data(std::string_view bytes) override;
  void on_command(std::uint8_t cmd) override;
  void on_negotiate(std::uint8_t verb, std::uint8_t opt) override;
  void on_subneg(std::uint8_t opt, std::string_view payload) override;
  void offer(std::uint8_t verb, std::uint8_t opt);
  void enable_ours(std::uint8_t opt);
  void enable_his(std::uint8_t opt);
  bool negotiating() const noexcept;

  weft::net::socket sock_;
  telnet_limits limits_;
  std::function<std::string()> mssp_;
  telnet::parser parser_;
  line_editor editor_;
  std::string out_;
  weft::event out_ready_;
  weft::event writer_done_;
  weft::tasklet writer_;
  std::unique_ptr<z_stream> z_;
  bool z_dirty_ = false;
  bool closing_ = false;
  bool dead_ = false;

  // Option state per side: 0 off, 1 we asked, 2 on.
  std::uint8_t ours_[256] = {};
  std::uint8_t his_[256] = {};
  // We sent WONT and the client's DONT acknowledging it is still due: that DONT must not be
  // taken as a refusal of a WILL sent after it (password prompts toggle ECHO quickly).
  bool wont_unacked_[256] = {};
  int unanswered_ = 0;
  int ttype_answers_ = 0;
  bool ttype_busy_ = false;
  bool charset_busy_ = false;
  bool eor_ = false;
  bool sga_ = false;
  bool gmcp_ = false;
};

}  // namespace mud
