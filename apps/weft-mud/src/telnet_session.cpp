#include "telnet_session.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "text.hpp"
#include "weft/scheduler.hpp"
#include "weft/select.hpp"

namespace mud {

using namespace telnet;

telnet_session::telnet_session(weft::net::socket sock, std::string address, telnet_limits limits,
                               std::function<std::string()> mssp)
    : sock_(std::move(sock)), limits_(limits), mssp_(std::move(mssp)), editor_(limits.max_line) {
  info.address = std::move(address);
  info.protocol = "telnet";
  sock_.set_no_delay(true);
  weft::spawn_options so;
  so.stack_size = 64 * 1024;
  so.name = "telnet writer";
  writer_ = weft::spawn(so, [this] { writer_loop(); });
}

telnet_session::~telnet_session() {
  dead_ = true;
  sock_.close();
  writer_.kill();
  if (z_) deflateEnd(z_.get());
}

void telnet_session::writer_loop() {
  std::string buf;
  try {
    for (;;) {
      while (out_.empty() && !z_dirty_ && !closing_ && !dead_) {
        out_ready_.wait();
        out_ready_.clear();
      }
      if (dead_) break;
      if (z_dirty_) {
        z_->next_in = nullptr;
        z_->avail_in = 0;
        char chunk[4096];
        do {
          z_->next_out = reinterpret_cast<Bytef*>(chunk);
          z_->avail_out = sizeof chunk;
          deflate(z_.get(), Z_SYNC_FLUSH);
          out_.append(chunk, sizeof chunk - z_->avail_out);
        } while (z_->avail_out == 0);
        z_dirty_ = false;
      }
      if (out_.empty()) {
        if (closing_) break;
        continue;
      }
      buf.clear();
      buf.swap(out_);
      std::error_code ec;
      sock_.sendall(std::as_bytes(std::span(buf)), 0, ec);
      if (ec) break;
    }
  } catch (...) {
    writer_done_.set();
    throw;
  }
  dead_ = true;
  sock_.close();  // wakes the reader
  writer_done_.set();
}

void telnet_session::emit_raw(std::string_view bytes) {
  if (dead_) return;
  if (z_) {
    z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_->avail_in = static_cast<uInt>(bytes.size());
    char chunk[4096];
    while (z_->avail_in > 0) {
      z_->next_out = reinterpret_cast<Bytef*>(chunk);
      z_->avail_out = sizeof chunk;
      deflate(z_.get(), Z_NO_FLUSH);
      out_.append(chunk, sizeof chunk - z_->avail_out);
    }
    z_dirty_ = true;
  } else {
    out_.append(bytes);
  }
  if (out_.size() > limits_.max_output) {
    // A client that stopped reading: drop it rather than buffer without bound.
    std::fprintf(stderr, "weft-mud: %s: output overflow, dropped\n", info.address.c_str());
    drop();
    return;
  }
  out_ready_.set();
}

void telnet_session::drop() {
  dead_ = true;
  out_.clear();
  sock_.close();  // wakes the reader and the writer
  out_ready_.set();
}

void telnet_session::emit(std::string_view bytes) {
  if (bytes.find('\xff') == std::string_view::npos) emit_raw(bytes);
  else emit_raw(escape_iac(bytes));
}

void telnet_session::end_prompt(std::string_view) {
  if (eor_) emit_raw(std::string{char(IAC), char(EOR_CMD)});
  else if (!sga_) emit_raw(std::string{char(IAC), char(GA)});
}

void telnet_session::gmcp(std::string_view package, std::string_view json) {
  if (!gmcp_ || closed()) return;
  std::string payload(package);
  if (!json.empty()) {
    payload += ' ';
    payload.append(json);
  }
  emit_raw(subneg(OPT_GMCP, payload));
}

void telnet_session::set_echo(bool visible) {
  if (!visible && ours_[OPT_ECHO] == 0) {
    ours_[OPT_ECHO] = 1;
    emit_raw(telnet::negotiate(WILL, OPT_ECHO));
  } else if (visible && ours_[OPT_ECHO] != 0) {
    ours_[OPT_ECHO] = 0;
    wont_unacked_[OPT_ECHO] = true;
    emit_raw(telnet::negotiate(WONT, OPT_ECHO));
  }
}

void telnet_session::kick(std::string_view message) {
  if (closed()) return;
  if (!message.empty()) line(message);
  closing_ = true;
  out_ready_.set();
  // EOF for our own reader (SHUT_RD wakes a blocked recv); writing still works.
  std::error_code ec;
  sock_.shutdown(weft::net::shutdown_how::read, ec);
}

void telnet_session::finish(weft::clock::duration grace) {
  closing_ = true;
  out_ready_.set();
  if (!writer_done_.wait_for(grace)) drop();
}

bool telnet_session::fill(weft::clock::time_point until) {
  if (closed()) throw session_closed();
  auto left = until - weft::clock::now();
  if (left <= weft::clock::duration::zero()) return false;
  bool was_closed = false;
  if (weft::select_for(left, weft::on_readable(sock_.native_handle(), &was_closed)) < 0) return false;
  if (was_closed || closed()) throw session_closed();
  // A plain non-blocking recv: the select already waited, and socket::recv_into would wait
  // for a fresh readiness edge after a short read (the select consumed this one).
  char buf[2048];
  ssize_t n = ::recv(sock_.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  if (n <= 0) {
    dead_ = true;
    out_ready_.set();
    throw session_closed();
  }
  parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)), *this);
  return true;
}

std::optional<input_line> telnet_session::read_line(weft::clock::duration timeout) {
  auto until = weft::clock::now() + timeout;
  while (!editor_.has_line()) {
    if (!fill(until)) return std::nullopt;
  }
  if (closed()) throw session_closed();
  auto l = editor_.take();
  last_input = weft::clock::now();
  return input_line{std::move(l.text), l.truncated};
}

// ---- negotiation ----

void telnet_session::offer(std::uint8_t verb, std::uint8_t opt) {
  (verb == WILL ? ours_ : his_)[opt] = 1;
  ++unanswered_;
  emit_raw(telnet::negotiate(verb, opt));
}

bool telnet_session::negotiating() const noexcept {
  return unanswered_ > 0 || ttype_busy_ || charset_busy_;
}

void telnet_session::negotiate(weft::clock::duration wait) {
  offer(DO, OPT_TTYPE);
  offer(DO, OPT_NAWS);
  offer(WILL, OPT_EOR);
  offer(WILL, OPT_GMCP);
  offer(WILL, OPT_MCCP2);
  offer(WILL, OPT_MSSP);
  offer(WILL, OPT_CHARSET);
  auto until = weft::clock::now() + wait;
  while (negotiating())
    if (!fill(until)) break;
}

void telnet_session::on_data(std::string_view bytes) { editor_.feed(bytes); }

void telnet_session::on_command(std::uint8_t cmd) {
  if (cmd == AYT) emit("[weft-mud: yes]\n");
  else if (cmd == EC) editor_.feed("\x7f");
}

void telnet_session::enable_ours(std::uint8_t opt) {
  switch (opt) {
    case OPT_EOR: eor_ = true; break;
    case OPT_SGA: sga_ = true; break;
    case OPT_GMCP: gmcp_ = true; break;
    case OPT_MCCP2: start_compression(); break;
    case OPT_MSSP:
      if (mssp_) emit_raw(subneg(OPT_MSSP, mssp_()));
      break;
    case OPT_CHARSET:
      charset_busy_ = true;
      emit_raw(subneg(OPT_CHARSET, std::string("\x01;UTF-8", 7)));
      break;
    default: break;
  }
  update_protocol();
}

void telnet_session::enable_his(std::uint8_t opt) {
  if (opt == OPT_TTYPE) {
    ttype_busy_ = true;
    emit_raw(subneg(OPT_TTYPE, "\x01"));
  }
}

static bool we_support(std::uint8_t opt) {
  return opt == OPT_EOR || opt == OPT_SGA || opt == OPT_GMCP || opt == OPT_MCCP2 || opt == OPT_MSSP ||
         opt == OPT_CHARSET;
}
static bool he_may(std::uint8_t opt) { return opt == OPT_TTYPE || opt == OPT_NAWS || opt == OPT_SGA; }

void telnet_session::on_negotiate(std::uint8_t verb, std::uint8_t opt) {
  switch (verb) {
    case DO:
      if (ours_[opt] == 1) {
        ours_[opt] = 2;
        if (opt != OPT_ECHO) --unanswered_;
        enable_ours(opt);
      } else if (ours_[opt] == 0) {
        if (we_support(opt)) {
          ours_[opt] = 2;
          emit_raw(telnet::negotiate(WILL, opt));
          enable_ours(opt);
        } else {
          emit_raw(telnet::negotiate(WONT, opt));
        }
      }
      break;
    case DONT:
      if (wont_unacked_[opt]) {
        wont_unacked_[opt] = false;
      } else if (ours_[opt] == 1) {
        ours_[opt] = 0;
        if (opt != OPT_ECHO) --unanswered_;
      } else if (ours_[opt] == 2) {
        ours_[opt] = 0;
        emit_raw(telnet::negotiate(WONT, opt));
        if (opt == OPT_EOR) eor_ = false;
        if (opt == OPT_GMCP) gmcp_ = false;
        if (opt == OPT_SGA) sga_ = false;
      }
      break;
    case WILL:
      if (his_[opt] == 1) {
        his_[opt] = 2;
        --unanswered_;
        enable_his(opt);
      } else if (his_[opt] == 0) {
        if (he_may(opt)) {
          his_[opt] = 2;
          emit_raw(telnet::negotiate(DO, opt));
          enable_his(opt);
        } else {
          emit_raw(telnet::negotiate(DONT, opt));
        }
      }
      break;
    case WONT:
      if (his_[opt] == 1) {
        his_[opt] = 0;
        --unanswered_;
      } else if (his_[opt] == 2) {
        his_[opt] = 0;
        emit_raw(telnet::negotiate(DONT, opt));
        if (opt == OPT_TTYPE) ttype_busy_ = false;
      }
      break;
  }
}

namespace {

// The value of "key":"value" in a flat JSON object, or "".
std::string json_field(std::string_view json, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\"";
  auto k = json.find(needle);
  if (k == std::string_view::npos) return {};
  auto colon = json.find(':', k + needle.size());
  if (colon == std::string_view::npos) return {};
  auto q1 = json.find('"', colon);
  if (q1 == std::string_view::npos) return {};
  auto q2 = json.find('"', q1 + 1);
  if (q2 == std::string_view::npos) return {};
  return std::string(json.substr(q1 + 1, q2 - q1 - 1));
}

}  // namespace

void telnet_session::on_subneg(std::uint8_t opt, std::string_view p) {
  switch (opt) {
    case OPT_TTYPE: {
      if (p.empty() || p[0] != 0 || !ttype_busy_) return;  // only IS answers to our SEND
      std::string value = sanitize(p.substr(1)).substr(0, 64);
      ++ttype_answers_;
      bool repeated = value == info.ttype || (ttype_answers_ == 2 && value == info.client);
      if (ttype_answers_ == 1) {
        if (info.client_version.empty()) info.client = value;  // GMCP Core.Hello knows better
        info.ttype = value;
      } else if (starts_with_ci(value, "MTTS ")) {
        info.mtts = static_cast<std::uint32_t>(std::strtoul(value.c_str() + 5, nullptr, 10));
      } else if (!repeated) {
        info.ttype = value;
      }
      if (repeated || ttype_answers_ >= 3) ttype_busy_ = false;
      else emit_raw(subneg(OPT_TTYPE, "\x01"));
      break;
    }
    case OPT_NAWS:
      if (p.size() >= 4) {
        auto u = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
        int cols = u(0) << 8 | u(1);
        int rows = u(2) << 8 | u(3);
        if (cols > 0) info.cols = cols < 20 ? 20 : cols > 250 ? 250 : cols;
        if (rows > 0) info.rows = rows;
      }
      break;
    case OPT_CHARSET:
      charset_busy_ = false;  // ACCEPTED (2) or REJECTED (3): either way we speak UTF-8
      break;
    case OPT_GMCP: {
      std::string_view pkg = p.substr(0, p.find(' '));
      std::string_view json = pkg.size() < p.size() ? p.substr(pkg.size() + 1) : std::string_view{};
      if (equals_ci(pkg, "Core.Hello")) {
        std::string c = sanitize(json_field(json, "client")).substr(0, 40);
        if (!c.empty()) info.client = c;
        info.client_version = sanitize(json_field(json, "version")).substr(0, 20);
      }
      break;
    }
    default: break;
  }
}

void telnet_session::start_compression() {
  emit_raw(subneg(OPT_MCCP2, ""));
  auto z = std::make_unique<z_stream>();
  // A 1 KiB window and memLevel 3: about 8 KiB a player instead of zlib's default 256 KiB.
  if (deflateInit2(z.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, 10, 3, Z_DEFAULT_STRATEGY) != Z_OK) return;
  z_ = std::move(z);
  update_protocol();
}

void telnet_session::update_protocol() {
  info.protocol = "telnet";
  if (z_) info.protocol += "+mccp2";
  if (gmcp_) info.protocol += "+gmcp";
  if (eor_) info.protocol += "+eor";
}

}  // namespace mud
