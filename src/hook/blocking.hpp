// How an interposed call on a descriptor the program believes blocking waits, and the retry
// loop around the non-blocking syscall underneath (libtask's fdread shape: try, wait on
// EAGAIN, retry).
//
// In a tasklet the wait goes through the reactor (detail::wait_io) and only the tasklet
// sleeps; elsewhere it is ppoll(2) on the thread, giving what the blocking call would:
// EAGAIN once SO_RCVTIMEO/SO_SNDTIMEO passes, EINTR when a signal handler ran (unless every
// handler is SA_RESTART and no timeout is set, as the kernel restarts the call then).
// A tasklet's wait is never interrupted by signals. errno is saved across the wait: other
// tasklets run meanwhile and overwrite it.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdint>

#include "hook/fd_table.hpp"
#include "hook/mode.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft::hook::detail {

using weft::detail::deadline;
using weft::detail::forever;
using weft::detail::io_event;

enum class wait_end : std::uint8_t { ready, timed_out, interrupted, closed };

// now + ns, or forever for 0 (a socket timeout of zero means none).
deadline deadline_after(std::int64_t ns) noexcept;
// s: the caller's scheduler (tasklet_scheduler()), or null to wait on the thread.
// timed: a timeout applies (a signal then always interrupts, as in the kernel).
wait_end wait_fd(scheduler_impl* s, int fd, io_event ev, deadline until, bool timed);
// Sets errno for a wait that ended without readiness and returns -1.
ssize_t fail_wait(wait_end e) noexcept;

inline bool again(int e) noexcept { return e == EAGAIN || e == EWOULDBLOCK; }

// The wait of one blocking call: the deadline is read from the descriptor's timeout the
// first time the call has to wait, and then holds for the whole call, as in the kernel.
struct blocking_wait {
  scheduler_impl* s;
  fd_state& st;
  int fd;
  io_event ev;
  int entry_errno = errno;
  bool started = false;
  bool at_switch_point = false;
  bool timed = false;
  deadline until = forever;

  // A call that may block starts at a switch point, as weft's own sockets do
  // (detail::io_call_starting): a pending kill is raised before anything is transferred, and
  // a thread whose descriptors are always ready yields now and then. errno is kept.
  void switch_point() {
    if (at_switch_point || !s) return;
    at_switch_point = true;
    const int e = errno;
    weft::detail::io_call_starting();
    errno = e;
  }
  void start() noexcept {
    if (started) return;
    started = true;
    std::int64_t ns = (ev == io_event::readable ? st.recv_timeout_ns : st.send_timeout_ns)
                          .load(std::memory_order_relaxed);
    timed = ns != 0;
    until = deadline_after(ns);
  }
  bool expired() noexcept {
    start();
    return until != forever && std::chrono::steady_clock::now() >= until;
  }
  // A read's wait before its first syscall (retry_read): false (errno EBADF) only if the
  // descriptor was closed meanwhile. A timeout is left for the syscall's retry to report,
  // so data already queued is still returned, as the kernel would.
  bool wait_first() {
    start();
    if (wait_fd(s, fd, ev, until, timed) != wait_end::closed) return true;
    fail_wait(wait_end::closed);
    return false;
  }
  // Waits for ev; false (errno set) if the call must fail instead.
  bool wait() {
    start();
    wait_end e = wait_fd(s, fd, ev, until, timed);
    if (e == wait_end::ready) return true;
    fail_wait(e);
    return false;
  }
  // A success after a wait leaves errno as the caller had it.
  template <class R>
  R succeeded(R r) noexcept {
    if (started) errno = entry_errno;
    return r;
  }
};

// One call that transfers at most once (a read, an accept): op() until it does not say
// EAGAIN, waiting for readiness in between.
template <class Op>
auto retry_blocking(blocking_wait& w, Op&& op) -> decltype(op()) {
  w.switch_point();
  for (;;) {
    auto r = op();
    if (r >= 0) [[likely]] return w.succeeded(r);
    if (!again(errno)) return r;
    if (!w.wait()) return -1;
  }
}

// A read (read, readv, recv, recvfrom, recvmsg) of up to want() bytes (asked only after the
// kernel accepted the buffers, so a bad iovec still gets EFAULT): retry_blocking, but on a
// stream whose previous read came back short (fd_state::read_drained) and whose reads after
// a short one have been finding nothing yet (fd_state::read_lags: a request/response
// protocol, whose reply is not there right after the request went), it waits for readiness
// first instead of paying the read that would say EAGAIN (once the reactor saw the peer hang
// up, that wait ends at once: wait_io).
template <class Want, class Op>
ssize_t retry_read(blocking_wait& w, Want&& want, Op&& op) {
  w.switch_point();
  fd_state& st = w.st;
  if (st.read_drained.load(std::memory_order_relaxed)) {
    if (w.s && st.read_lags.load(std::memory_order_relaxed)) {
      if (!w.wait_first()) return -1;
    } else {
      // Learn: does the read right after a short one find the queue empty on this stream?
      ssize_t r = op();
      const bool empty = r < 0 && again(errno);
      st.read_lags.store(empty, std::memory_order_relaxed);
      if (!empty) {
        st.read_drained.store(r > 0 && static_cast<std::size_t>(r) < want(), std::memory_order_relaxed);
        return r;
      }
      if (!w.wait()) return -1;
    }
  }
  ssize_t r = retry_blocking(w, op);
  const bool short_read = r > 0 && st.is_stream() && static_cast<std::size_t>(r) < want();
  st.read_drained.store(short_read, std::memory_order_relaxed);
  // A full read: the data comes faster than it is read, so try first again.
  if (r > 0 && !short_read) st.read_lags.store(false, std::memory_order_relaxed);
  return r;
}

// A call that the blocking form completes in full (send, or write on a stream): op(done)
// until `total` bytes went, or an error, timeout or signal stops it; then the bytes sent so
// far if any (as the kernel does), else -1. A datagram goes whole or not at all.
template <class Op>
ssize_t retry_all(blocking_wait& w, std::size_t total, Op&& op) {
  std::size_t done = 0;
  for (;;) {
    ssize_t r = retry_blocking(w, [&] { return op(done); });
    if (r < 0) return done > 0 ? w.succeeded(static_cast<ssize_t>(done)) : -1;
    done += static_cast<std::size_t>(r);
    if (done >= total || !w.st.is_stream()) return static_cast<ssize_t>(done);
  }
}

}  // namespace weft::hook::detail
