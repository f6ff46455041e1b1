// Linux implementation of sys.hpp: thin EINTR-safe wrappers over the socket calls. They call
// the C library through sys::real, never through weft::hook's interposers.
#include "sys/sys.hpp"

#include "sys/real.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace weft::sys {

namespace {

// Runs `call` until it does not fail with EINTR; captures errno at once.
template <class Call>
auto retry(std::error_code& ec, Call call) noexcept {
  for (;;) {
    auto r = call();
    if (r >= 0) {
      if (ec.value() != 0) ec.clear();  // clear() calls the out-of-line system_category()
      return r;
    }
    if (errno != EINTR) {
      ec = last_error();
      return r;
    }
  }
}

constexpr int fd_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;

}  // namespace

std::error_code last_error() noexcept { return errno_code(errno); }

bool would_block(const std::error_code& ec) noexcept {
  return (ec.value() == EAGAIN || ec.value() == EWOULDBLOCK) && ec.category() == std::system_category();
}

void close(int fd) noexcept { real::close(fd); }

bool set_nonblocking(int fd, std::error_code& ec) noexcept {
  int flags = retry(ec, [&] { return real::fcntl(fd, F_GETFL, 0); });
  if (flags < 0) return false;
  if (flags & O_NONBLOCK) return true;
  return retry(ec, [&] { return real::fcntl(fd, F_SETFL, flags | O_NONBLOCK); }) == 0;
}

int eventfd(std::error_code& ec) noexcept {
  return retry(ec, [] { return ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); });
}

void eventfd_signal(int fd) noexcept {
  std::uint64_t one = 1;
  while (real::write(fd, &one, sizeof one) < 0 && errno == EINTR) {}
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t v;
  while (real::read(fd, &v, sizeof v) < 0 && errno == EINTR) {}
}

int socket(int family, int type, int protocol, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::socket(family, type | fd_flags, protocol); });
}

bool socketpair(int family, int type, int protocol, int fds[2], std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::socketpair(family, type | fd_flags, protocol, fds); }) == 0;
}

bool bind(int fd, const sockaddr* a, socklen_t n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return ::bind(fd, a, n); }) == 0;
}

bool listen(int fd, int backlog, std::error_code& ec) noexcept {
  return retry(ec, [&] { return ::listen(fd, backlog); }) == 0;
}

bool connect(int fd, const sockaddr* a, socklen_t n, std::error_code& ec) noexcept {
  if (real::connect(fd, a, n) == 0) {
    ec.clear();
    return true;
  }
  ec = errno == EINTR ? errno_code(EINPROGRESS) : last_error();
  return false;
}

int accept(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::accept4(fd, a, n, fd_flags); });
}

bool shutdown(int fd, int how, std::error_code& ec) noexcept {
  return retry(ec, [&] { return ::shutdown(fd, how); }) == 0;
}

ssize_t recv(int fd, void* buf, std::size_t len, int flags, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::recv(fd, buf, len, flags); });
}

ssize_t send(int fd, const void* buf, std::size_t len, int flags, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::send(fd, buf, len, flags | MSG_NOSIGNAL); });
}

ssize_t recvfrom(int fd, void* buf, std::size_t len, int flags, sockaddr* a, socklen_t* n,
                 std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::recvfrom(fd, buf, len, flags, a, n); });
}

ssize_t sendto(int fd, const void* buf, std::size_t len, int flags, const sockaddr* a,
               socklen_t n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::sendto(fd, buf, len, flags | MSG_NOSIGNAL, a, n); });
}

bool setsockopt(int fd, int level, int name, const void* v, socklen_t n,
                std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::setsockopt(fd, level, name, v, n); }) == 0;
}

bool getsockopt(int fd, int level, int name, void* v, socklen_t* n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return real::getsockopt(fd, level, name, v, n); }) == 0;
}

bool getsockname(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return ::getsockname(fd, a, n); }) == 0;
}

bool getpeername(int fd, sockaddr* a, socklen_t* n, std::error_code& ec) noexcept {
  return retry(ec, [&] { return ::getpeername(fd, a, n); }) == 0;
}

}  // namespace weft::sys
