// connection: the per-connection loop. Reads go into in_ and through the parser; responses
// are buffered in out_ and flushed only before the connection would wait for input, so
// pipelined requests are answered with one send.
#include "connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "server_state.hpp"
#include "weft/detail/io_wait.hpp"
#include "weft/error.hpp"

namespace weft::http::detail {

namespace {
constexpr std::size_t in_capacity = 16 * 1024;
}  // namespace

// ---- transport ------------------------------------------------------------------------------

std::size_t transport::read_some(std::span<std::byte> b, std::error_code& ec) {
  if (prefix_pos < prefix.size()) {
    std::size_t n = std::min(b.size(), prefix.size() - prefix_pos);
    std::memcpy(b.data(), prefix.data() + prefix_pos, n);
    prefix_pos += n;
    ec.clear();
    return n;
  }
  return tls ? tls->read_some(b, ec) : sock.read_some(b, ec);
}

std::size_t transport::write_some(std::span<const std::byte> b, std::error_code& ec) {
  return tls ? tls->write_some(b, ec) : sock.write_some(b, ec);
}

std::string transport::describe() const { return tls ? tls->describe() : sock.describe(); }

void transport::close() noexcept {
  if (tls)
    tls->close();
  else
    sock.close();
}

// ---- connection -----------------------------------------------------------------------------

connection::connection(server& srv, net::socket s, const net::address& peer)
    : srv_(srv),
      opt_(srv.opt_),
      out_(io_, 16 * 1024),
      p_(parser::kind::request, parse_limits{opt_.max_request_line, opt_.max_header_bytes, opt_.max_headers,
                                             opt_.max_body}),
      in_(in_capacity) {
  std::error_code ec;
  int one = 1;
  s.set_option(IPPROTO_TCP, TCP_NODELAY, &one, sizeof one, ec);  // not for Unix sockets: ignored
  if (opt_.tls)
    io_.tls = std::make_unique<net::tls_stream>(std::move(s), opt_.tls);
  else
    io_.sock = std::move(s);
  req_.peer = peer;
  req_.conn_ = this;
  res_.conn_ = this;
  auto& st = *srv_.st_;
  index_ = st.conns.size();
  st.conns.push_back(this);
  st.drained.clear();
}

connection::~connection() {
  auto& st = *srv_.st_;
  st.conns[index_] = st.conns.back();
  st.conns[index_]->index_ = index_;
  st.conns.pop_back();
  if (st.conns.empty()) st.drained.set();
  io_.close();
}

bool connection::stopping() const noexcept { return srv_.st_->stopping; }

void connection::stop_if_idle() noexcept {
  if (idle_) io_.close();  // the waiting read fails with operation_canceled
}

std::size_t connection::read_in(clock::duration timeout, std::error_code& ec) {
  if (in_pos_ == in_end_) in_pos_ = in_end_ = 0;
  if (in_end_ == in_.size()) {  // the parser keeps partial tokens itself: compact
    std::memmove(in_.data(), in_.data() + in_pos_, in_end_ - in_pos_);
    in_end_ -= in_pos_;
    in_pos_ = 0;
  }
  if (timeout <= clock::duration::zero()) {
    ec = std::make_error_code(std::errc::timed_out);
    return 0;
  }
  io_.raw().set_timeout(timeout);
  std::size_t n = io_.read_some(std::as_writable_bytes(std::span(in_.data() + in_end_, in_.size() - in_end_)), ec);
  io_.raw().set_timeout(opt_.write_timeout);
  in_end_ += n;
  return n;
}

bool connection::flush(std::error_code& ec) {
  ec.clear();
  if (out_.pending() == 0) return true;
  io_.raw().set_timeout(opt_.write_timeout);
  out_.flush(ec);
  return !ec;
}

void connection::flush_or_throw() {
  io_.raw().set_timeout(opt_.write_timeout);
  out_.flush();
}

void connection::out(std::string_view bytes) {
  io_.raw().set_timeout(opt_.write_timeout);
  out_.write(bytes);
}

void connection::run() {
  try {
    serve_requests();
  } catch (const std::exception&) {
    // A failed send or read of this connection (reset, timeout): it just ends.
  }
}

void connection::serve_requests() {
  if (io_.tls) {
    std::error_code ec;
    io_.raw().set_timeout(opt_.header_timeout);
    io_.tls->accept(ec);
    if (ec) return;
  }
  for (bool first = true;; first = false) {
    if (!read_head(first)) return;
    prepare_request();
    if (res_.finished()) {  // prepare_request answered an error
      std::error_code ec;
      flush(ec);
      linger_close();
      return;
    }
    call_handler();
    if (upgraded_) return;
    if (!finish_request()) return;
  }
}

bool connection::read_head(bool first) {
  p_.reset();
  req_.fields.clear();
  req_.params.clear();
  res_.reset();
  body_off_ = 0;
  expect_continue_ = false;
  clock::time_point deadline = first ? clock::now() + opt_.header_timeout : clock::time_point::max();
  for (;;) {
    if (in_pos_ == in_end_) {
      std::error_code ec;
      if (!flush(ec)) return false;
      if (srv_.st_->stopping && !p_.started()) return false;
      clock::duration wait;
      if (deadline != clock::time_point::max())
        wait = deadline - clock::now();
      else
        wait = opt_.idle_timeout;
      idle_ = !p_.started();
      std::size_t n = read_in(wait, ec);
      idle_ = false;
      if (ec) {
        if (ec == std::errc::timed_out && p_.started()) answer_error(408, "request header timeout");
        return false;
      }
      if (n == 0) return false;  // the client closed (mid-head: nothing to answer)
      if (deadline == clock::time_point::max()) deadline = clock::now() + opt_.header_timeout;
    }
    auto st = p_.feed(in_.data() + in_pos_, in_end_ - in_pos_);
    in_pos_ += st.consumed;
    if (st.ev == parse_event::head) return true;
    if (st.ev == parse_event::error) {
      answer_error(p_.error_status(), p_.error_text());
      return false;
    }
  }
}

void connection::prepare_request() {
  req_.method.swap(p_.method);
  req_.target.swap(p_.url);
  req_.version_minor = p_.version_minor;
  std::swap(req_.fields, p_.fields);
  std::string_view t = req_.target;
  // absolute-form (to proxies; RFC 9112 3.2.2): the path starts after the authority.
  if (t.size() > 7 && (t.substr(0, 7) == "http://" || t.substr(0, 8) == "https://")) {
    std::size_t slash = t.find('/', t.find("//") + 2);
    t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
  }
  std::size_t q = t.find('?');
  req_.query = q == std::string_view::npos ? std::string() : std::string(t.substr(q + 1));
  std::string_view raw_path = t.substr(0, q);
  if (std::size_t h = raw_path.find('#'); h != std::string_view::npos) raw_path = raw_path.substr(0, h);
  close_after_ = !p_.keep_alive() || srv_.st_->stopping;
  res_.head_ = req_.method == "HEAD";
  if (!percent_decode(raw_path, req_.path)) {
    close_after_ = true;
    res_.send(400, "bad percent-encoding in the request target\n");
    return;
  }
  if (auto e = req_.fields.get("expect")) {
    if (!iequals(*e, "100-continue")) {
      close_after_ = true;
      res_.send(417, "unsupported expectation\n");
      return;
    }
    expect_continue_ = req_.version_minor >= 1 && req_.has_body();
  }
  // A request without a body completes with the byte the parser paused before.
  if (!req_.has_body() && in_pos_ < in_end_) {
    auto st = p_.feed(in_.data() + in_pos_, in_end_ - in_pos_);
    in_pos_ += st.consumed;
  }
}

void connection::call_handler() {
  try {
    srv_.router_(req_, res_);
  } catch (const status_error& e) {
    if (!p_.message_done()) close_after_ = true;
    if (!res_.committed()) {
      std::string body = e.what();
      body.push_back('\n');
      res_.send(e.status(), body);
    } else {
      close_after_ = true;
    }
  } catch (const std::system_error&) {
    // Often this connection failing (reset, timeout); if not, the client gets a 500.
    close_after_ = true;
    if (!res_.committed()) res_.send(500, "internal server error\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft::http: handler for %s %s threw: %s\n", req_.method.c_str(), req_.target.c_str(),
                 e.what());
    if (!res_.committed()) {
      if (!p_.message_done()) close_after_ = true;
      res_.send(500, "internal server error\n");
    } else {
      close_after_ = true;
    }
  }
}

bool connection::finish_request() {
  try {
    if (!res_.finished()) res_.end();
  } catch (const std::system_error&) {
    return false;
  }
  if (opt_.on_complete) opt_.on_complete(req_, res_);
  if (!close_after_ && !p_.message_done()) {
    try {
      std::byte scratch[4096];
      while (read_body_some(scratch) > 0) {
      }
    } catch (const std::exception&) {
      close_after_ = true;
    }
  }
  if (close_after_) {
    std::error_code ec;
    if (flush(ec)) linger_close();
    return false;
  }
  return true;
}

std::size_t connection::read_body_some(std::span<std::byte> buf) {
  for (;;) {
    std::string& body = p_.body();
    if (body_off_ < body.size()) {
      std::size_t n = std::min(buf.size(), body.size() - body_off_);
      std::memcpy(buf.data(), body.data() + body_off_, n);
      body_off_ += n;
      if (body_off_ == body.size()) {
        body.clear();
        body_off_ = 0;
      }
      return n;
    }
    if (p_.message_done() || upgraded_) return 0;
    if (expect_continue_) {
      expect_continue_ = false;
      if (!res_.committed()) {
        out("HTTP/1.1 100 Continue\r\n\r\n");
        flush_or_throw();
      }
    }
    if (in_pos_ == in_end_) {
      std::error_code ec;
      if (!flush(ec)) throw std::system_error(ec, "http: send to " + io_.describe());
      std::size_t n = read_in(opt_.idle_timeout, ec);
      if (ec == std::errc::timed_out) {
        close_after_ = true;
        throw timeout_error("http: read request body from " + io_.describe() + ": timed out");
      }
      if (ec) {
        close_after_ = true;
        throw std::system_error(ec, "http: read request body from " + io_.describe());
      }
      if (n == 0) {
        close_after_ = true;
        throw status_error(400, "request body cut short");
      }
    }
    auto st = p_.feed(in_.data() + in_pos_, in_end_ - in_pos_);
    in_pos_ += st.consumed;
    if (st.ev == parse_event::error) {
      close_after_ = true;
      throw status_error(p_.error_status(), p_.error_text());
    }
  }
}

void connection::answer_error(int status, std::string_view text) {
  close_after_ = true;
  res_.reset();
  res_.head_ = false;
  req_.version_minor = 1;
  try {
    std::string body(text);
    body.push_back('\n');
    res_.send(status, body);
    std::error_code ec;
    if (flush(ec)) linger_close();
  } catch (const std::system_error&) {
  }
}

// Closing with unread request bytes in the kernel makes it send RST, which can destroy the
// answer before the client reads it; so: send FIN, then read and drop what still comes, for
// a short while.
void connection::linger_close() noexcept {
  std::error_code ec;
  if (io_.tls) {
    io_.raw().set_timeout(std::chrono::milliseconds(200));
    io_.tls->shutdown(ec);
  }
  io_.raw().shutdown(net::shutdown_how::write, ec);
  if (ec) return;
  const clock::time_point until = clock::now() + std::chrono::seconds(1);
  std::byte scratch[4096];
  for (std::size_t total = 0; total < (256u << 10);) {
    clock::duration left = until - clock::now();
    if (left <= clock::duration::zero()) return;
    io_.raw().set_timeout(left);
    std::size_t n = io_.raw().read_some(scratch, ec);
    if (ec || n == 0) return;
    total += n;
  }
}

void connection::send_file(int fd, std::uint64_t offset, std::uint64_t length) {
  if (io_.tls) {
    std::vector<char> buf(64 * 1024);
    while (length > 0) {
      ssize_t n = ::pread(fd, buf.data(), std::min<std::uint64_t>(length, buf.size()), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::system_error(n < 0 ? errno : EIO, std::generic_category(), "http: read file for response");
      out(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      offset += static_cast<std::uint64_t>(n);
      length -= static_cast<std::uint64_t>(n);
    }
    return;
  }
  flush_or_throw();
  int sock = io_.raw().native_handle();
  auto off = static_cast<off_t>(offset);
  while (length > 0) {
    ssize_t n = ::sendfile(sock, fd, &off, std::min<std::uint64_t>(length, 1u << 30));
    if (n > 0) {
      length -= static_cast<std::uint64_t>(n);
      continue;
    }
    int e = n == 0 ? EIO : errno;  // 0: the file is shorter than promised
    if (e == EINTR) continue;
    if (e == EAGAIN) {
      auto st = weft::detail::wait_io(sock, weft::detail::io_event::writable, clock::now() + opt_.write_timeout);
      if (st == weft::detail::io_status::timed_out)
        throw timeout_error("http: sendfile to " + io_.describe() + ": timed out");
      if (st == weft::detail::io_status::closed)
        throw std::system_error(std::make_error_code(std::errc::operation_canceled), "http: sendfile to " + io_.describe());
      continue;
    }
    close_after_ = true;
    throw std::system_error(e, std::generic_category(), "http: sendfile to " + io_.describe());
  }
}

net::stream& connection::upgrade() {
  while (!p_.message_done() && in_pos_ < in_end_) {
    auto st = p_.feed(in_.data() + in_pos_, in_end_ - in_pos_);
    in_pos_ += st.consumed;
    if (st.ev == parse_event::error || st.consumed == 0) break;
  }
  upgraded_ = true;
  io_.prefix.assign(in_.data() + in_pos_, in_end_ - in_pos_);
  in_pos_ = in_end_ = 0;
  io_.raw().set_timeout(std::nullopt);
  return out_;
}

}  // namespace weft::http::detail
