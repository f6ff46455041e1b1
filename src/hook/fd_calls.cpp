// The bookkeeping calls: creating, configuring, duplicating and closing descriptors, and
// fork. Sockets and pipes made here are non-blocking underneath whatever the program asked;
// fcntl and ioctl(FIONBIO) then report and change only the program's view.
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hook/fd_table.hpp"
#include "hook/fds.hpp"
#include "hook/mode.hpp"
#include "hook/monitor.hpp"
#include "sys/real.hpp"
#include "weft/hook.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace weft::hook::detail {

void manage_new(int fd, bool user_nonblock, bool stream) noexcept {
  forget_waits(fd);
  if (fd_manage(fd, user_nonblock, stream)) return;
  if (!user_nonblock) {
    int fl = real::fcntl(fd, F_GETFL, 0);
    if (fl >= 0) real::fcntl(fd, F_SETFL, static_cast<unsigned long>(fl & ~O_NONBLOCK));
  }
}

}  // namespace weft::hook::detail

namespace {

void set_user_nonblock(fd_state& st, bool on) noexcept {
  if (on)
    st.flags.fetch_or(fd_state::user_nonblock, std::memory_order_relaxed);
  else
    st.flags.fetch_and(static_cast<std::uint8_t>(~fd_state::user_nonblock), std::memory_order_relaxed);
}

int fcntl_hooked(int fd, int cmd, unsigned long arg) {
  fd_state* st = fd_find(fd);
  if (!st) return real::fcntl(fd, cmd, arg);
  switch (cmd) {
    case F_GETFL: {
      int r = real::fcntl(fd, cmd, arg);
      if (r < 0) return r;
      bool user = st->flags.load(std::memory_order_relaxed) & fd_state::user_nonblock;
      return (r & ~O_NONBLOCK) | (user ? O_NONBLOCK : 0);
    }
    case F_SETFL: {
      int r = real::fcntl(fd, cmd, arg | O_NONBLOCK);
      if (r == 0) set_user_nonblock(*st, arg & O_NONBLOCK);
      return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      int r = real::fcntl(fd, cmd, arg);
      if (r >= 0) {
        forget_waits(r);
        fd_copy(fd, r);
      }
      return r;
    }
    default:
      return real::fcntl(fd, cmd, arg);
  }
}

std::int64_t timeval_ns(const void* v, socklen_t len) noexcept {
  if (v == nullptr || len < static_cast<socklen_t>(sizeof(timeval))) return -1;
  timeval tv;
  __builtin_memcpy(&tv, v, sizeof tv);
  if (tv.tv_sec < 0) return 1;  // the kernel takes a negative timeout as "do not wait"
  return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(tv.tv_usec) * 1000;
}

}  // namespace

extern "C" {

int socket(int domain, int type, int protocol) noexcept {
  int fd = real::socket(domain, type | SOCK_NONBLOCK, protocol);
  if (fd >= 0) manage_new(fd, type & SOCK_NONBLOCK, (type & 0xf) == SOCK_STREAM);
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) noexcept {
  int r = real::socketpair(domain, type | SOCK_NONBLOCK, protocol, sv);
  if (r == 0) {
    manage_new(sv[0], type & SOCK_NONBLOCK, (type & 0xf) == SOCK_STREAM);
    manage_new(sv[1], type & SOCK_NONBLOCK, (type & 0xf) == SOCK_STREAM);
  }
  return r;
}

int pipe2(int fds[2], int flags) noexcept {
  int r = real::pipe2(fds, flags | O_NONBLOCK);
  if (r == 0) {
    manage_new(fds[0], flags & O_NONBLOCK, true);
    manage_new(fds[1], flags & O_NONBLOCK, true);
  }
  return r;
}

int pipe(int fds[2]) noexcept { return pipe2(fds, 0); }

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  return fcntl_hooked(fd, cmd, arg);
}

// glibc's name for fcntl under _FILE_OFFSET_BITS=64: the same call.
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list ap;
  va_start(ap, request);
  unsigned long arg = va_arg(ap, unsigned long);
  va_end(ap);
  fd_state* st = fd_find(fd);
  if (st && request == FIONBIO) {
    // Checked by the kernel (EFAULT for a bad pointer) while the real mode stays non-blocking.
    int on = 1;
    int r = real::ioctl(fd, FIONBIO, reinterpret_cast<unsigned long>(&on));
    if (r == 0) set_user_nonblock(*st, *reinterpret_cast<const int*>(arg) != 0);
    return r;
  }
  return real::ioctl(fd, request, arg);
}

int setsockopt(int fd, int level, int name, const void* v, socklen_t len) noexcept {
  int r = real::setsockopt(fd, level, name, v, len);
  if (r != 0 || level != SOL_SOCKET) return r;
  fd_state* st = fd_find(fd);
  if (!st) return r;
  if (name == SO_RCVTIMEO) st->recv_timeout_ns.store(timeval_ns(v, len), std::memory_order_relaxed);
  if (name == SO_SNDTIMEO) st->send_timeout_ns.store(timeval_ns(v, len), std::memory_order_relaxed);
  return r;
}

int close(int fd) {
  // Every tasklet of this thread waiting on fd resumes (EBADF), and the reactor forgets it.
  forget_waits(fd);
  fd_forget(fd);
  return real::close(fd);
}

int dup(int fd) noexcept {
  int r = real::dup(fd);
  if (r >= 0) {
    forget_waits(r);
    fd_copy(fd, r);
  }
  return r;
}

int dup2(int fd, int to) noexcept {
  int r = real::dup2(fd, to);
  if (r >= 0 && fd != to) {
    forget_waits(to);
    fd_copy(fd, to);
  }
  return r;
}

int dup3(int fd, int to, int flags) noexcept {
  int r = real::dup3(fd, to, flags);
  if (r >= 0) {
    forget_waits(to);
    fd_copy(fd, to);
  }
  return r;
}

// stdio reads and writes through the descriptor with libc's internal calls, which no hook
// sees: it gets the descriptor back in the mode the program believes, unmanaged.
FILE* fdopen(int fd, const char* mode) noexcept {
  if (fd_state* st = fd_find(fd)) {
    forget_waits(fd);
    if (st->blocking()) {
      int fl = real::fcntl(fd, F_GETFL, 0);
      if (fl >= 0) real::fcntl(fd, F_SETFL, static_cast<unsigned long>(fl & ~O_NONBLOCK));
    }
    fd_forget(fd);
  }
  return real::fdopen(fd, mode);
}

pid_t fork() noexcept {
  pid_t r = real::fork();
  if (r == 0) {
    g_forked_child.store(true, std::memory_order_relaxed);
    weft::hook::reset_counts();
    monitor_forked();
  }
  return r;
}

}  // extern "C"
