// ws_session: a session for the browser terminal over WebSocket (the mudstandards.org
// subprotocols: BINARY frames carry terminal text, TEXT frames GMCP). Unlike a telnet
// session it outlives its transport: when the socket drops, the game tasklet simply stays
// blocked in read_line() (linkdead) for up to five minutes, output goes into a 64 KiB replay
// buffer, and a new WebSocket presenting the session's token re-attaches and gets the bytes
// it missed.
//
// Invariants: at most one transport is attached; its writer tasklet is the only one sending
// on it and ends (killed or finished) before the transport goes away; sent_ counts every
// BINARY byte emitted since Core.Session, and the ring holds the last ring_cap of them.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "line_editor.hpp"
#include "session.hpp"
#include "text.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/websocket/connection.hpp"

namespace mud {

class ws_session final : public session {
 public:
  static constexpr std::size_t ring_cap = 64 * 1024;
  static constexpr std::size_t max_queued = 256 * 1024;
  static constexpr auto linkdead_for = std::chrono::minutes(5);

  ws_session(std::string token, std::string address);
  ~ws_session() override;
  const std::string& token() const noexcept { return token_; }

  // Attaches a transport (a new session, or a resume that received `received` bytes so far;
  // the bytes after that are sent first, announced by Core.Resumed {"from": offset}; a page
  // that lost everything, a reload, says 0 and gets what the ring still holds). `gmcp`: the subprotocol carries GMCP. `reader` is
  // the tasklet receiving on `ws`: it is killed if the transport must be dropped (output
  // overflow, or another page resumed the session), which ends the HTTP connection.
  void attach(weft::websocket::connection& ws, weft::tasklet reader, bool gmcp, bool resumed,
              std::uint64_t received);
  // The transport `ws` is gone (no-op if another one is attached now).
  void detach(weft::websocket::connection& ws);
  bool attached() const noexcept { return ws_ != nullptr; }
  // A BINARY frame: one input line. A TEXT frame: GMCP from the page.
  void input(std::string_view frame);
  void on_gmcp(std::string_view message);
  // The game tasklet has ended: no resume from now on.
  void finish();
  bool finished() const noexcept { return finished_; }

  std::optional<input_line> read_line(weft::clock::duration timeout) override;
  void gmcp(std::string_view package, std::string_view json) override;
  bool gmcp_enabled() const noexcept override { return gmcp_; }
  void set_echo(bool visible) override;
  void kick(std::string_view message) override;
  bool closed() const noexcept override { return closing_ || finished_; }

 private:
  void emit(std::string_view bytes) override;
  // The page redraws its input line after the prompt, and output that arrives while a
  // prompt stands goes below it: Core.Prompt tells the page where the prompt is.
  void end_prompt(std::string_view text) override { gmcp("Core.Prompt", "{\"text\":" + json_string(text) + "}"); }
  void queue(bool binary, std::string data);
  void writer_loop(weft::websocket::connection* ws);
  void stop_writer();
  void drop_transport();

  std::string token_;
  line_editor editor_;
  weft::event input_ready_;
  weft::websocket::connection* ws_ = nullptr;
  weft::tasklet writer_;
  weft::tasklet reader_;
  weft::event out_ready_;
  struct frame {
    bool binary;
    std::string data;
  };
  std::deque<frame> out_;
  std::size_t out_bytes_ = 0;  // queued or being sent, not yet written: capped at max_queued
  std::string ring_;  // the last ring_cap BINARY bytes
  std::uint64_t sent_ = 0;
  weft::clock::time_point detached_at_ = weft::clock::now();
  bool gmcp_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace mud
