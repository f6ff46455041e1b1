// connection: the state machine around frame_reader and frame_writer.
//
// Invariants:
// - frame_mutex_ is held for each whole frame written (header, payload, flush); the
//   reader's pongs and Close replies take only it, so they may pass between the frames of
//   a fragmented message. message_mutex_ is held for each whole data message (by a
//   message_writer for its lifetime); order: message_mutex_, then frame_mutex_.
// - reader_ is the one tasklet reading frames: inside receive(), or close() reading the
//   peer's reply itself. Anyone else who needs the peer's Close waits on `closed_`.
// - Once `ended_` is set, end_* say what closed_error to throw and nothing is read or
//   written again; an owned transport is closed then.
#include "weft/websocket/connection.hpp"

#include <mutex>
#include <stdexcept>
#include <utility>

#include "websocket/frame_reader.hpp"
#include "websocket/frame_writer.hpp"
#include "websocket/utf8.hpp"
#include "websocket/watchdog.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"

namespace weft::websocket {

using detail::utf8_validator;

struct connection::impl {
  impl(net::stream& s, std::unique_ptr<transport> t, role r, connection_options o, std::string sub)
      : owned(std::move(t)),
        stream(&s),
        who(r),
        opts(std::move(o)),
        subprotocol(std::move(sub)),
        reader(r, opts.max_message),
        writer(r) {}

  std::unique_ptr<transport> owned;  // connect()'s socket or TLS session; `stream` lives in it
  net::stream* stream;
  role who;
  connection_options opts;
  std::string subprotocol;
  detail::frame_reader reader;
  detail::frame_writer writer;
  mutex frame_mutex_;
  mutex message_mutex_;

  bool close_sent_ = false;
  bool close_received_ = false;
  bool broken_ = false;       // a frame was cut short: nothing more can be written
  bool message_cut_ = false;  // a message_writer was dropped mid-message
  bool ended_ = false;
  std::uint16_t end_code_ = 0;
  std::string end_reason_;
  bool end_remote_ = false;
  weft::event closed_;
  tasklet reader_;

  closed_error closed() const { return {end_code_, end_reason_, end_remote_}; }

  // --- writing ---
  static void sink_write(void* s, std::span<const std::byte> data) { static_cast<net::stream*>(s)->write(data); }

  void send_frame(std::uint8_t op, bool fin, std::span<const std::byte> payload) {
    std::lock_guard g(frame_mutex_);
    if (broken_) throw closed_error(close_code::abnormal, "connection failed while sending", false);
    try {
      writer.write(op, fin, payload, {&impl::sink_write, stream});
      stream->flush();
    } catch (...) {
      broken_ = true;
      throw;
    }
  }

  void send_close(std::uint16_t code, std::string_view reason) {
    std::string payload;
    if (code != 0) {
      payload += static_cast<char>(code >> 8);
      payload += static_cast<char>(code & 0xFF);
      payload += reason;
    }
    close_sent_ = true;
    send_frame(detail::op_close, true, std::as_bytes(std::span(payload)));
  }

  // Sends a Close or Pong on the reader's behalf; a failure only ends the connection.
  void send_quietly(std::uint8_t op, std::uint16_t code, std::string_view data) {
    try {
      if (op == detail::op_close)
        send_close(code, data);
      else
        send_frame(op, true, std::as_bytes(std::span(data)));
    } catch (const std::exception& e) {
      end(close_code::abnormal, e.what(), false, false);
    }
  }

  // Data messages may go out: not closing, not failed, not cut.
  void check_data() const {
    if (ended_) throw closed();
    if (close_sent_ || close_received_) throw closed_error(end_code_, end_reason_, end_remote_);
    if (message_cut_) throw std::logic_error("websocket: a fragmented message was left unfinished");
  }

  // --- reading ---
  static std::size_t source_read(void* s, std::span<std::byte> buf) { return static_cast<net::stream*>(s)->read_some(buf); }

  // Marks the tasklet that reads frames for as long as it lives.
  struct reading {
    explicit reading(impl& c) : c(c) { c.reader_ = current(); }
    ~reading() { c.reader_ = tasklet(); }
    impl& c;
  };

  // One event from the peer, with transport failures turned into the end of the connection.
  // Timeouts of the socket and kills pass through with the connection intact.
  detail::event next_event() {
    try {
      return reader.next({&impl::source_read, stream});
    } catch (const std::system_error& e) {
      if (ended_) throw closed();  // closed under us by close() giving up
      if (e.code() == std::errc::timed_out) throw;
      return {detail::event::end, close_code::abnormal, e.what()};
    }
  }

  // Handles a Close, a violation or the end of the stream; true if `e` ended the connection.
  bool handle_end(detail::event& e) {
    switch (e.kind) {
      case detail::event::close:
        close_received_ = true;
        if (!close_sent_) {
          send_quietly(detail::op_close, e.code == close_code::no_status ? 0 : e.code, {});
          end(e.code, std::move(e.data), true, true);
        } else {
          end(e.code, std::move(e.data), false, true);
        }
        return true;
      case detail::event::violation:
        if (!close_sent_) send_quietly(detail::op_close, e.code, e.data);
        end(e.code, std::move(e.data), false, false);
        return true;
      case detail::event::end:
        end(close_code::abnormal, e.data.empty() ? "connection ended without a Close frame" : std::move(e.data), false, false);
        return true;
      default:
        return false;
    }
  }

  // The connection is over. A client waits (bounded) for the server to end the TCP
  // connection first, as RFC 6455 section 7.1.1 asks, then closes its transport.
  void end(std::uint16_t code, std::string reason, bool remote, bool wait_for_eof) {
    if (ended_) return;
    ended_ = true;
    end_code_ = code;
    end_reason_ = std::move(reason);
    end_remote_ = remote;
    closed_.set();
    if (!owned) return;
    if (wait_for_eof && who == role::client) {
      try {
        detail::watchdog w(clock::now() + opts.close_timeout);
        std::byte buf[512];
        while (stream->read_some(buf) > 0) {
        }
      } catch (const detail::expired&) {
      } catch (const std::exception&) {
      }
    }
    owned->close();
  }
};

connection::connection() noexcept = default;
connection::connection(net::stream& s, role r, connection_options o, std::string subprotocol)
    : impl_(std::make_unique<impl>(s, nullptr, r, std::move(o), std::move(subprotocol))) {}
connection::connection(std::unique_ptr<transport> t, role r, connection_options o, std::string subprotocol) {
  net::stream& s = t->stream();
  impl_ = std::make_unique<impl>(s, std::move(t), r, std::move(o), std::move(subprotocol));
}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() {
  if (impl_ && impl_->owned) impl_->owned->close();
}

std::string connection::subprotocol() const { return impl_->subprotocol; }

bool connection::is_open() const noexcept {
  return impl_ && !impl_->ended_ && !impl_->close_sent_ && !impl_->close_received_;
}

message connection::receive() {
  impl& c = *impl_;
  if (c.ended_) throw c.closed();
  if (c.reader_) {
    if (!c.close_sent_) throw std::logic_error("websocket: receive() while another tasklet reads");
    c.closed_.wait();  // close() is reading the peer's reply
    throw c.closed();
  }
  impl::reading r(c);
  for (;;) {
    detail::event e;
    try {
      e = c.next_event();
    } catch (const detail::expired&) {
      // Another tasklet's close() gave up waiting for the peer's Close.
      c.end(close_code::abnormal, "closing handshake timed out", false, false);
      throw c.closed();
    }
    switch (e.kind) {
      case detail::event::text:
      case detail::event::binary:
        return {e.kind == detail::event::binary, std::move(e.data)};
      case detail::event::ping:
        if (!c.close_sent_) c.send_quietly(detail::op_pong, 0, e.data);
        if (c.ended_) throw c.closed();
        break;
      case detail::event::pong:
        if (c.opts.on_pong) c.opts.on_pong(e.data);
        break;
      default:
        c.handle_end(e);
        throw c.closed();
    }
  }
}

void connection::send_text(std::string_view text) {
  if (!detail::is_utf8(text)) throw std::invalid_argument("websocket: text message is not UTF-8");
  std::lock_guard g(impl_->message_mutex_);
  impl_->check_data();
  impl_->send_frame(detail::op_text, true, std::as_bytes(std::span(text)));
}

void connection::send_binary(std::span<const std::byte> data) {
  std::lock_guard g(impl_->message_mutex_);
  impl_->check_data();
  impl_->send_frame(detail::op_binary, true, data);
}

void connection::send_binary(std::string_view data) { send_binary(std::as_bytes(std::span(data))); }

void connection::ping(std::string_view payload) {
  if (payload.size() > 125) throw std::invalid_argument("websocket: ping payload over 125 bytes");
  if (impl_->ended_ || impl_->close_sent_) throw impl_->closed();
  impl_->send_frame(detail::op_ping, true, std::as_bytes(std::span(payload)));
}

void connection::close(std::uint16_t code, std::string_view reason) {
  if (code != 0 && !close_code_sendable(code)) throw std::invalid_argument("websocket: close code " + std::to_string(code) + " may not be sent");
  if (reason.size() > 123) throw std::invalid_argument("websocket: close reason over 123 bytes");
  if (code == 0 && !reason.empty()) throw std::invalid_argument("websocket: close reason without a code");
  if (!detail::is_utf8(reason)) throw std::invalid_argument("websocket: close reason is not UTF-8");
  impl& c = *impl_;
  if (c.ended_ || c.close_received_) return;
  auto deadline = clock::now() + c.opts.close_timeout;
  if (!c.close_sent_) {
    c.end_code_ = code == 0 ? close_code::no_status : code;
    c.end_reason_ = std::string(reason);
    try {
      c.send_close(code, reason);
    } catch (const std::exception& e) {
      c.end(close_code::abnormal, e.what(), false, false);
      return;
    }
  }
  if (c.reader_ && !c.reader_.is_current()) {
    // The reader will meet the peer's Close; if it does not in time, it is told so.
    if (!c.closed_.wait_for(deadline - clock::now()) && c.reader_)
      c.reader_.throw_exception(std::make_exception_ptr(detail::expired{}));
    c.end(close_code::abnormal, "closing handshake timed out", false, false);
    return;
  }
  impl::reading r(c);
  try {
    detail::watchdog w(deadline);
    for (;;) {
      detail::event e = c.next_event();
      if (c.handle_end(e)) return;  // data, pings and pongs after our Close are dropped
    }
  } catch (const detail::expired&) {
    c.end(close_code::abnormal, "closing handshake timed out", false, false);
  } catch (const std::system_error& e) {
    c.end(close_code::abnormal, e.what(), false, false);
  }
}

// --- message_writer ----------------------------------------------------------------------

struct message_writer::state {
  connection::impl* c = nullptr;
  std::unique_lock<mutex> lock;
  bool binary = false;
  bool started = false;
  bool done = false;
  utf8_validator utf8;

  void send(std::string_view part, bool fin) {
    if (done) throw std::logic_error("websocket: message already finished");
    if (!binary && !utf8.feed(part)) throw std::invalid_argument("websocket: text message is not UTF-8");
    if (fin && !binary && !utf8.complete()) throw std::invalid_argument("websocket: text message ends inside a character");
    c->check_data();
    std::uint8_t op = started ? detail::op_continuation : binary ? detail::op_binary : detail::op_text;
    started = true;
    c->send_frame(op, fin, std::as_bytes(std::span(part)));
    if (fin) {
      done = true;
      lock.unlock();
    }
  }
};

message_writer::message_writer(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
message_writer::message_writer(message_writer&& o) noexcept = default;
message_writer::~message_writer() {
  if (s_ && s_->started && !s_->done) s_->c->message_cut_ = true;
}
void message_writer::write(std::string_view part) { s_->send(part, false); }
void message_writer::finish(std::string_view last) { s_->send(last, true); }

message_writer connection::begin(bool binary) {
  auto s = std::make_unique<message_writer::state>();
  s->c = impl_.get();
  s->binary = binary;
  s->lock = std::unique_lock<mutex>(impl_->message_mutex_);
  impl_->check_data();
  return message_writer(std::move(s));
}
message_writer connection::begin_text() { return begin(false); }
message_writer connection::begin_binary() { return begin(true); }

}  // namespace weft::websocket
