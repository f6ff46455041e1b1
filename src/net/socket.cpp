// socket: every call tries the non-blocking syscall first and waits for readiness only on
// EAGAIN, so a socket with data ready costs exactly one syscall (libtask's fdread shape).
#include "weft/net/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>

#include "net/io_loop.hpp"
#include "net/whole_transfer.hpp"
#include "net/throw.hpp"
#include "sys/sys.hpp"
#include "sys/unique_fd.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft::net {

namespace {

using weft::detail::io_event;
using detail::wait_budget;

std::error_code code(std::errc e) noexcept { return std::make_error_code(e); }

// The back-off of accept while the process is out of descriptors or memory.
constexpr auto backoff_min = std::chrono::milliseconds(5);
constexpr auto backoff_max = std::chrono::seconds(1);

bool out_of_resources(const std::error_code& ec) noexcept {
  int e = ec.value();
  return ec.category() == std::system_category() &&
         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
}

}  // namespace

// ---- lifetime -------------------------------------------------------------------------

socket socket::open(int family, int type, int protocol, std::error_code& ec) {
  return socket(sys::socket(family, type, protocol, ec));
}

socket socket::open(int family, int type, int protocol) {
  std::error_code ec;
  socket s = open(family, type, protocol, ec);
  if (ec) detail::throw_error(ec, "socket");
  return s;
}

socket socket::adopt(int fd) {
  std::error_code ec;
  if (!sys::set_nonblocking(fd, ec)) detail::throw_error(ec, "adopt");
  return socket(fd);
}

std::pair<socket, socket> socket::pair(int type) {
  int fds[2];
  std::error_code ec;
  if (!sys::socketpair(AF_UNIX, type, 0, fds, ec)) detail::throw_error(ec, "socketpair");
  return {socket(fds[0]), socket(fds[1])};
}

socket::socket(socket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), timeout_(o.timeout_), peer_(o.peer_), drained_(o.drained_),
      stream_(o.stream_) {}

socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    timeout_ = o.timeout_;
    peer_ = o.peer_;
    drained_ = o.drained_;
    stream_ = o.stream_;
  }
  return *this;
}

int socket::release() noexcept {
  // The reactor must forget the fd as at close: its registration (an io_uring poll holds a
  // reference to the file) would keep the file open after the new owner closes it, and a
  // later fd with the same number would be taken for armed and never watched.
  int fd = std::exchange(fd_, -1);
  if (fd >= 0) weft::detail::io_closing(fd);
  return fd;
}

void socket::close() noexcept {
  if (fd_ < 0) return;
  // Waiters compare their fd with fd_ when they resume, so fd_ must change first.
  int fd = std::exchange(fd_, -1);
  weft::detail::io_closing(fd);
  sys::close(fd);
}

void socket::set_timeout(std::optional<clock::duration> t) noexcept {
  timeout_ = t ? std::max<clock::rep>(t->count(), 0) : no_timeout;
}

std::optional<clock::duration> socket::timeout() const noexcept {
  if (timeout_ == no_timeout) return std::nullopt;
  return clock::duration(timeout_);
}

void socket::set_blocking(bool on) noexcept { timeout_ = on ? no_timeout : 0; }

// ---- the wait loop ----------------------------------------------------------------------

namespace {

// Runs `call(fd, ec)`, one non-blocking syscall returning ssize_t, through the wait loop
// (io_loop.hpp): the bytes (or descriptor) it returned, or 0 with ec set.
template <class Call>
std::size_t retry_call(const socket& s, io_event ev, wait_budget& budget, std::error_code& ec, Call call) {
  std::size_t result = 0;
  detail::io_loop(s, budget, ec, [&](int fd, std::error_code& e) -> std::optional<io_event> {
    ssize_t n = call(fd, e);
    if (n >= 0) {
      result = static_cast<std::size_t>(n);
      return std::nullopt;
    }
    if (!sys::would_block(e)) return std::nullopt;
    return ev;
  });
  return ec ? 0 : result;
}

template <class Call>
std::size_t retry_call(const socket& s, io_event ev, std::error_code& ec, Call call) {
  wait_budget budget(s.timeout());
  return retry_call(s, ev, budget, ec, call);
}

}  // namespace

// ---- set-up -----------------------------------------------------------------------------

void socket::bind(const address& a, std::error_code& ec) {
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  sys::bind(fd_, a.native(), a.native_size(), ec);
}

void socket::bind(const address& a) {
  std::error_code ec;
  bind(a, ec);
  if (ec) detail::throw_error(ec, "bind to", a);
}

void socket::listen(int backlog, std::error_code& ec) {
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  sys::listen(fd_, backlog, ec);
}

void socket::listen(int backlog) {
  std::error_code ec;
  listen(backlog, ec);
  if (ec) detail::throw_error(ec, "listen on", describe());
}

socket socket::accept(address* peer, std::error_code& ec) {
  address from;
  auto backoff = std::chrono::duration_cast<clock::duration>(backoff_min);
  // The timeout bounds the whole call, back-offs included.
  wait_budget budget = wait_budget::starting_now(timeout());
  const int fd = fd_;
  for (;;) {
    auto n = retry_call(*this, io_event::readable, budget, ec, [&](int fd, std::error_code& e) -> ssize_t {
      socklen_t len = address::native_capacity();
      int r = sys::accept(fd, from.native(), &len, e);
      if (r >= 0) from.set_native_size(len);
      return r;
    });
    if (!ec) {
      socket s(static_cast<int>(n));
      s.peer_ = from;
      if (peer) *peer = from;
      return s;
    }
    if (ec.value() == ECONNABORTED && ec.category() == std::system_category()) continue;
    if (!out_of_resources(ec) || timeout_ == 0) return {};
    // Out of descriptors: the pending connection stays queued until one is free.
    auto now = clock::now();
    if (now >= budget.until()) {
      ec = code(std::errc::timed_out);
      return {};
    }
    weft::sleep_until(std::min(now + backoff, budget.until()));
    if (fd_ != fd) {
      ec = code(std::errc::operation_canceled);
      return {};
    }
    backoff = std::min<clock::duration>(backoff * 2, backoff_max);
  }
}

socket socket::accept(address* peer) {
  std::error_code ec;
  socket s = accept(peer, ec);
  if (ec) detail::throw_error(ec, "accept on", describe());
  return s;
}

void socket::connect(const address& a, std::error_code& ec) {
  const int fd = fd_;
  if (fd < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  if (sys::connect(fd, a.native(), a.native_size(), ec)) {
    peer_ = a;
    return;
  }
  // A Unix socket whose listener's backlog is full says EAGAIN and must retry connect();
  // waiting for writability would spin, so back off instead.
  wait_budget budget = wait_budget::starting_now(timeout());
  auto backoff = std::chrono::duration_cast<clock::duration>(backoff_min);
  while (sys::would_block(ec) && a.is_unix() && timeout_ != 0) {
    auto now = clock::now();
    if (now >= budget.until()) {
      ec = code(std::errc::timed_out);
      return;
    }
    weft::sleep_until(std::min(now + backoff, budget.until()));
    if (fd_ != fd) {
      ec = code(std::errc::operation_canceled);
      return;
    }
    backoff = std::min<clock::duration>(backoff * 2, backoff_max);
    if (sys::connect(fd, a.native(), a.native_size(), ec)) {
      peer_ = a;
      return;
    }
  }
  if (ec != std::errc::operation_in_progress || timeout_ == 0) return;
  if (!detail::await_fd(*this, fd, io_event::writable, budget.until(), ec)) return;
  int err = 0;
  socklen_t len = sizeof err;
  if (!sys::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len, ec)) return;
  if (err != 0) {
    ec = sys::errno_code(err);
    return;
  }
  peer_ = a;
}

void socket::connect(const address& a) {
  std::error_code ec;
  connect(a, ec);
  if (ec) detail::throw_error(ec, "connect to", a);
}

// ---- data -------------------------------------------------------------------------------

// The one call with its own loop: where the reactor can (io_uring), a receive that would
// block is handed to the kernel, which copies the data in when it comes, so a wait costs
// neither a readiness report nor a second recv(2).
std::size_t socket::recv_into(std::span<std::byte> buf, int flags, std::error_code& ec) {
  const int fd = fd_;
  if (fd < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return 0;
  }
  wait_budget budget(timeout());
  weft::detail::io_call_starting();
  bool call_first = !drained_ || budget.nonblocking();
  drained_ = false;
  std::size_t n = 0;
  std::size_t asked = buf.size();  // a short read below this means the queue is empty
  for (;;) {
    if (call_first) {
      ssize_t got = sys::recv(fd, buf.data(), buf.size(), flags, ec);
      if (got >= 0) {
        n = static_cast<std::size_t>(got);
        break;
      }
      if (!sys::would_block(ec) || budget.nonblocking()) return 0;
    }
    call_first = true;
    // Streams only: the kernel's buffers are smaller than a datagram may be, and the
    // rest of a datagram would be lost.
    if (auto got = is_stream() ? detail::recv_by_kernel(*this, fd, buf, flags, budget.until(), ec)
                               : std::nullopt) {
      if (ec) return 0;
      n = *got;
      asked = std::min(asked, weft::detail::kernel_recv_max);
      break;
    }
    if (!detail::await_fd(*this, fd, io_event::readable, budget.until(), ec)) return 0;
  }
  if (n > 0 && n < asked && !(flags & MSG_PEEK)) drained_ = is_stream();
  return n;
}

bool socket::is_stream() {
  if (stream_ < 0) {
    int type = 0;
    socklen_t len = sizeof type;
    std::error_code ignored;
    stream_ = sys::getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &len, ignored) && type == SOCK_STREAM;
  }
  return stream_ == 1;
}

std::size_t socket::recv_into(std::span<std::byte> buf, int flags) {
  std::error_code ec;
  std::size_t n = recv_into(buf, flags, ec);
  if (ec) detail::throw_error(ec, "recv from", describe());
  return n;
}

std::string socket::recv(std::size_t max, int flags) {
  std::string s(max, '\0');
  s.resize(recv_into(std::as_writable_bytes(std::span(s.data(), s.size())), flags));
  return s;
}

std::size_t socket::recvfrom_into(std::span<std::byte> buf, address& from, int flags, std::error_code& ec) {
  return retry_call(*this, io_event::readable, ec, [&](int fd, std::error_code& e) {
    socklen_t len = address::native_capacity();
    ssize_t n = sys::recvfrom(fd, buf.data(), buf.size(), flags, from.native(), &len, e);
    if (n >= 0) from.set_native_size(len);
    return n;
  });
}

std::size_t socket::recvfrom_into(std::span<std::byte> buf, address& from, int flags) {
  std::error_code ec;
  std::size_t n = recvfrom_into(buf, from, flags, ec);
  if (ec) detail::throw_error(ec, "recvfrom on", describe());
  return n;
}

std::pair<std::string, address> socket::recvfrom(std::size_t max, int flags) {
  std::pair<std::string, address> r;
  r.first.resize(max);
  r.first.resize(recvfrom_into(std::as_writable_bytes(std::span(r.first.data(), max)), r.second, flags));
  return r;
}

std::size_t socket::send(std::span<const std::byte> data, int flags, std::error_code& ec) {
  return retry_call(*this, io_event::writable, ec, [&](int fd, std::error_code& e) {
    return sys::send(fd, data.data(), data.size(), flags, e);
  });
}

std::size_t socket::send(std::span<const std::byte> data, int flags) {
  std::error_code ec;
  std::size_t n = send(data, flags, ec);
  if (ec) detail::throw_error(ec, "send to", describe());
  return n;
}

std::size_t socket::sendall(std::span<const std::byte> data, int flags, std::error_code& ec) {
  // The timeout bounds the whole transfer: every round shares one deadline.
  wait_budget budget = wait_budget::starting_now(timeout());
  return detail::write_all(data, ec, [&](std::span<const std::byte> rest, std::error_code& e) {
    return retry_call(*this, io_event::writable, budget, e, [&](int fd, std::error_code& e2) {
      return sys::send(fd, rest.data(), rest.size(), flags, e2);
    });
  });
}

void socket::sendall(std::span<const std::byte> data, int flags) {
  std::error_code ec;
  sendall(data, flags, ec);
  if (ec) detail::throw_error(ec, "send to", describe());
}

std::size_t socket::sendto(std::span<const std::byte> data, const address& to, int flags,
                           std::error_code& ec) {
  return retry_call(*this, io_event::writable, ec, [&](int fd, std::error_code& e) {
    return sys::sendto(fd, data.data(), data.size(), flags, to.native(), to.native_size(), e);
  });
}

std::size_t socket::sendto(std::span<const std::byte> data, const address& to, int flags) {
  std::error_code ec;
  std::size_t n = sendto(data, to, flags, ec);
  if (ec) detail::throw_error(ec, "sendto", to);
  return n;
}

void socket::shutdown(shutdown_how how, std::error_code& ec) {
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  sys::shutdown(fd_, static_cast<int>(how), ec);
}

void socket::shutdown(shutdown_how how) {
  std::error_code ec;
  shutdown(how, ec);
  if (ec) detail::throw_error(ec, "shutdown", describe());
}

// ---- options and names -----------------------------------------------------------------

void socket::set_option(int level, int name, const void* value, socklen_t size, std::error_code& ec) {
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  sys::setsockopt(fd_, level, name, value, size, ec);
}

void socket::set_option(int level, int name, int value) {
  std::error_code ec;
  set_option(level, name, &value, sizeof value, ec);
  if (ec) detail::throw_error(ec, "setsockopt on", describe());
}

void socket::get_option(int level, int name, void* value, socklen_t* size, std::error_code& ec) const {
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return;
  }
  sys::getsockopt(fd_, level, name, value, size, ec);
}

int socket::get_option(int level, int name) const {
  int v = 0;
  socklen_t n = sizeof v;
  std::error_code ec;
  get_option(level, name, &v, &n, ec);
  if (ec) detail::throw_error(ec, "getsockopt on", describe());
  return v;
}

void socket::set_no_delay(bool on) { set_option(IPPROTO_TCP, TCP_NODELAY, on); }

address socket::local_address(std::error_code& ec) const {
  address a;
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return a;
  }
  socklen_t n = address::native_capacity();
  if (sys::getsockname(fd_, a.native(), &n, ec)) a.set_native_size(n);
  return a;
}

address socket::local_address() const {
  std::error_code ec;
  address a = local_address(ec);
  if (ec) detail::throw_error(ec, "getsockname");
  return a;
}

address socket::peer_address(std::error_code& ec) const {
  address a;
  if (fd_ < 0) {
    ec = code(std::errc::bad_file_descriptor);
    return a;
  }
  socklen_t n = address::native_capacity();
  if (sys::getpeername(fd_, a.native(), &n, ec)) a.set_native_size(n);
  return a;
}

address socket::peer_address() const {
  std::error_code ec;
  address a = peer_address(ec);
  if (ec) detail::throw_error(ec, "getpeername on", describe());
  return a;
}

address socket::where() const {
  if (!peer_.empty()) return peer_;
  std::error_code ec;
  return local_address(ec);
}

std::string socket::describe() const {
  if (fd_ < 0 && peer_.empty()) return "closed socket";
  return where().to_string();
}

}  // namespace weft::net
