// The data calls: read, write and the socket calls that move bytes or connections. Each
// passes straight to libc unless the descriptor is managed and the program believes it
// blocking; then it runs the non-blocking call and waits on EAGAIN (blocking.hpp).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "hook/blocking.hpp"
#include "hook/fds.hpp"
#include "sys/real.hpp"
#include "weft/time.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace {

// The part of an iovec array after its first `skip` bytes (a blocking writev or sendmsg
// resuming after a partial transfer).
std::vector<iovec> iov_tail(const iovec* v, int n, std::size_t skip) {
  std::vector<iovec> out;
  for (int i = 0; i < n; ++i) {
    if (skip >= v[i].iov_len) {
      skip -= v[i].iov_len;
      continue;
    }
    out.push_back({static_cast<char*>(v[i].iov_base) + skip, v[i].iov_len - skip});
    skip = 0;
  }
  return out;
}

std::size_t iov_total(const iovec* v, int n) {
  std::size_t t = 0;
  for (int i = 0; i < n; ++i) t += v[i].iov_len;
  return t;
}

// recv with MSG_WAITALL on a stream: the blocking call returns only once `total` bytes came,
// the peer closed, or an error, timeout or signal stopped it (with what came so far).
template <class Op>
ssize_t recv_all(blocking_wait& w, std::size_t total, Op&& op) {
  std::size_t done = 0;
  for (;;) {
    ssize_t r = retry_blocking(w, [&] { return op(done); });
    if (r < 0) return done > 0 ? w.succeeded(static_cast<ssize_t>(done)) : -1;
    done += static_cast<std::size_t>(r);
    if (r == 0 || done >= total) return static_cast<ssize_t>(done);
  }
}

int accept_as(call c, int fd, sockaddr* a, socklen_t* l, int flags) {
  auto take = [&] {
    int r = real::accept4(fd, a, l, flags | SOCK_NONBLOCK);
    if (r >= 0) manage_new(r, flags & SOCK_NONBLOCK, true);
    return r;
  };
  fd_state* st = fd_blocking(fd);
  if (!st) return take();
  blocking_wait w{enter(c), *st, fd, io_event::readable};
  return retry_blocking(w, take);
}

// A Unix socket whose listener's backlog is full says EAGAIN where a blocking connect would
// wait; readiness does not tell when to retry, so back off (1 ms doubling to 50 ms).
int connect_unix_backoff(blocking_wait& w, int fd, const sockaddr* a, socklen_t l) {
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (w.expired()) {
      errno = EAGAIN;
      return -1;
    }
    if (w.s) {
      weft::sleep_for(pause);
    } else {
      timespec ts{0, static_cast<long>(std::chrono::nanoseconds(pause).count())};
      real::nanosleep(&ts, nullptr);
    }
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
    int r = real::connect(fd, a, l);
    if (r == 0 || errno != EAGAIN) return r;
  }
}

}  // namespace

extern "C" {

ssize_t read(int fd, void* buf, size_t n) {
  fd_state* st = fd_blocking(fd);
  if (!st) return real::read(fd, buf, n);
  blocking_wait w{enter(call::read), *st, fd, io_event::readable};
  return retry_read(w, [n] { return n; }, [&] { return real::read(fd, buf, n); });
}

ssize_t write(int fd, const void* buf, size_t n) {
  fd_state* st = fd_blocking(fd);
  if (!st) return real::write(fd, buf, n);
  blocking_wait w{enter(call::write), *st, fd, io_event::writable};
  auto* p = static_cast<const char*>(buf);
  return retry_all(w, n, [&](std::size_t done) { return real::write(fd, p + done, n - done); });
}

ssize_t readv(int fd, const iovec* v, int n) {
  fd_state* st = fd_blocking(fd);
  if (!st) return real::readv(fd, v, n);
  blocking_wait w{enter(call::readv), *st, fd, io_event::readable};
  return retry_read(w, [&] { return iov_total(v, n); }, [&] { return real::readv(fd, v, n); });
}

ssize_t writev(int fd, const iovec* v, int n) {
  fd_state* st = fd_blocking(fd);
  if (!st || n < 0) return real::writev(fd, v, n);
  blocking_wait w{enter(call::writev), *st, fd, io_event::writable};
  return retry_all(w, iov_total(v, n), [&](std::size_t done) {
    if (done == 0) return real::writev(fd, v, n);
    std::vector<iovec> rest = iov_tail(v, n, done);
    return real::writev(fd, rest.data(), static_cast<int>(rest.size()));
  });
}

// On a socket or a pipe pread and pwrite fail at once (ESPIPE): counted, never waiting.
ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  if (fd_blocking(fd)) enter(call::pread);
  return real::pread(fd, buf, n, off);
}
ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (fd_blocking(fd)) enter(call::pwrite);
  return real::pwrite(fd, buf, n, off);
}
ssize_t pread64(int fd, void* buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT)) return real::recv(fd, buf, n, flags);
  blocking_wait w{enter(call::recv), *st, fd, io_event::readable};
  if ((flags & MSG_WAITALL) && st->is_stream()) {
    auto* p = static_cast<char*>(buf);
    return recv_all(w, n, [&](std::size_t done) { return real::recv(fd, p + done, n - done, flags); });
  }
  if (flags & MSG_PEEK) return retry_blocking(w, [&] { return real::recv(fd, buf, n, flags); });
  return retry_read(w, [n] { return n; }, [&] { return real::recv(fd, buf, n, flags); });
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* a, socklen_t* l) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT)) return real::recvfrom(fd, buf, n, flags, a, l);
  blocking_wait w{enter(call::recvfrom), *st, fd, io_event::readable};
  if ((flags & MSG_WAITALL) && st->is_stream()) {
    auto* p = static_cast<char*>(buf);
    return recv_all(w, n, [&](std::size_t done) { return real::recvfrom(fd, p + done, n - done, flags, a, l); });
  }
  if (flags & MSG_PEEK) return retry_blocking(w, [&] { return real::recvfrom(fd, buf, n, flags, a, l); });
  return retry_read(w, [n] { return n; }, [&] { return real::recvfrom(fd, buf, n, flags, a, l); });
}

ssize_t recvmsg(int fd, msghdr* m, int flags) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT)) return real::recvmsg(fd, m, flags);
  blocking_wait w{enter(call::recvmsg), *st, fd, io_event::readable};
  if ((flags & MSG_PEEK) || m == nullptr) return retry_blocking(w, [&] { return real::recvmsg(fd, m, flags); });
  return retry_read(w, [&] { return iov_total(m->msg_iov, static_cast<int>(m->msg_iovlen)); },
                    [&] { return real::recvmsg(fd, m, flags); });
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT)) return real::send(fd, buf, n, flags);
  blocking_wait w{enter(call::send), *st, fd, io_event::writable};
  auto* p = static_cast<const char*>(buf);
  return retry_all(w, n, [&](std::size_t done) { return real::send(fd, p + done, n - done, flags); });
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* a, socklen_t l) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT)) return real::sendto(fd, buf, n, flags, a, l);
  blocking_wait w{enter(call::sendto), *st, fd, io_event::writable};
  auto* p = static_cast<const char*>(buf);
  return retry_all(w, n, [&](std::size_t done) { return real::sendto(fd, p + done, n - done, flags, a, l); });
}

ssize_t sendmsg(int fd, const msghdr* m, int flags) {
  fd_state* st = fd_blocking(fd);
  if (!st || (flags & MSG_DONTWAIT) || m == nullptr) return real::sendmsg(fd, m, flags);
  blocking_wait w{enter(call::sendmsg), *st, fd, io_event::writable};
  return retry_all(w, iov_total(m->msg_iov, static_cast<int>(m->msg_iovlen)), [&](std::size_t done) {
    if (done == 0) return real::sendmsg(fd, m, flags);
    // The rest of the bytes; ancillary data went with the first part.
    std::vector<iovec> rest = iov_tail(m->msg_iov, static_cast<int>(m->msg_iovlen), done);
    msghdr tail = *m;
    tail.msg_iov = rest.data();
    tail.msg_iovlen = rest.size();
    tail.msg_control = nullptr;
    tail.msg_controllen = 0;
    return real::sendmsg(fd, &tail, flags);
  });
}

int connect(int fd, const sockaddr* a, socklen_t l) {
  fd_state* st = fd_blocking(fd);
  if (!st) return real::connect(fd, a, l);
  blocking_wait w{enter(call::connect), *st, fd, io_event::writable};
  int r = real::connect(fd, a, l);
  if (r == 0) return 0;
  if (errno == EAGAIN && a != nullptr && a->sa_family == AF_UNIX) return connect_unix_backoff(w, fd, a, l);
  if (errno != EINPROGRESS) return -1;
  for (;;) {
    if (!w.wait()) {
      // A blocking connect that times out leaves the connection in progress.
      if (errno == EAGAIN) errno = EINPROGRESS;
      return -1;
    }
    struct pollfd p{fd, POLLOUT, 0};
    if (real::poll(&p, 1, 0) <= 0) continue;
    int err = 0;
    socklen_t len = sizeof err;
    if (real::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -1;
    if (err != 0) {
      errno = err;
      return -1;
    }
    return w.succeeded(0);
  }
}

int accept(int fd, sockaddr* a, socklen_t* l) { return accept_as(call::accept, fd, a, l, 0); }
int accept4(int fd, sockaddr* a, socklen_t* l, int flags) { return accept_as(call::accept4, fd, a, l, flags); }

}  // extern "C"
