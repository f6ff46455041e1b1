// The one I/O-wait loop of sockets and TLS streams: try the non-blocking call; if it would
// block, wait for the descriptor; try again (libtask's fdread, one loop for every call that
// can block). The deadline is computed once a wait is needed, so the ready path reads no
// clock.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <span>
#include <system_error>

#include "weft/detail/io_wait.hpp"
#include "weft/net/socket.hpp"
#include "weft/time.hpp"

namespace weft::net::detail {

using weft::detail::deadline;
using weft::detail::forever;
using weft::detail::io_event;

// When a wait that starts now and may last `timeout` ends (nullopt: it may last forever).
inline deadline deadline_after(std::optional<clock::duration> timeout) {
  return timeout ? clock::now() + *timeout : forever;
}

// How long the waits of one call may last: the socket's timeout, counted from the first
// wait (or from now, for a call made of several rounds that share one deadline), and never
// past `cap` (a TLS stream's deadline).
class wait_budget {
 public:
  explicit wait_budget(std::optional<clock::duration> timeout, std::optional<deadline> cap = {})
      : timeout_(timeout), cap_(cap.value_or(forever)) {}
  // A budget whose deadline is fixed now, for calls made of several rounds.
  static wait_budget starting_now(std::optional<clock::duration> timeout, std::optional<deadline> cap = {}) {
    wait_budget b(timeout, cap);
    if (!b.nonblocking()) b.until();
    return b;
  }
  // Timeout zero: a call that would block fails at once.
  bool nonblocking() const noexcept { return timeout_ && timeout_->count() == 0; }
  deadline until() {
    if (!fixed_) {
      until_ = std::min(deadline_after(timeout_), cap_);
      fixed_ = true;
    }
    return until_;
  }

 private:
  std::optional<clock::duration> timeout_;
  deadline cap_;
  deadline until_{};
  bool fixed_ = false;
};

// Waits until `fd`, which `s` held when the call began, is ready for `ev`. Returns true if
// the caller should retry; false with `ec` set if the deadline passed (timed_out) or the
// socket was closed meanwhile (operation_canceled: the descriptor may already be reused,
// so it is not touched again).
inline bool await_fd(const socket& s, int fd, io_event ev, deadline until, std::error_code& ec) {
  using weft::detail::io_status;
  io_status st = weft::detail::wait_io(fd, ev, until);
  if (st == io_status::timed_out) {
    ec = std::make_error_code(std::errc::timed_out);
    return false;
  }
  if (st == io_status::closed || s.native_handle() != fd) {
    ec = std::make_error_code(std::errc::operation_canceled);
    return false;
  }
  return true;
}

// Has the kernel receive into `buf` where the reactor can (weft::detail::recv_by_kernel).
// nullopt: it cannot, or the kernel said EAGAIN; wait for readiness and call recv(2) then.
// Otherwise the bytes received, or 0 with `ec` set: timed_out, operation_canceled (closed
// meanwhile, as await_fd), or the receive's own error.
inline std::optional<std::size_t> recv_by_kernel(const socket& s, int fd, std::span<std::byte> buf, int flags,
                                                 deadline until, std::error_code& ec) {
  using weft::detail::io_status;
  io_status st = io_status::ready;
  long got = 0;
  if (!weft::detail::recv_by_kernel(fd, buf.data(), buf.size(), flags, until, st, got)) return std::nullopt;
  if (st == io_status::timed_out) {
    ec = std::make_error_code(std::errc::timed_out);
    return 0;
  }
  if (st == io_status::closed || s.native_handle() != fd) {
    ec = std::make_error_code(std::errc::operation_canceled);
    return 0;
  }
  if (got == -EAGAIN || got == -ENOBUFS) return std::nullopt;
  if (got < 0) {
    ec = std::error_code(static_cast<int>(-got), std::system_category());
    return 0;
  }
  if (ec) ec.clear();
  return static_cast<std::size_t>(got);
}

// Runs `attempt(fd, ec)`, one non-blocking call, until it is over. It returns nullopt when
// the call is over (done, or failed for real with `ec` set), or the event to wait for
// before the next try, with `ec` saying "would block" (what a non-blocking socket reports).
// The call starts at a switch point (io_call_starting): a peer that always has data ready
// cannot monopolise the thread, nor keep a kill from being raised.
template <class Attempt>
void io_loop(const socket& s, wait_budget& budget, std::error_code& ec, Attempt attempt) {
  const int fd = s.native_handle();
  if (fd < 0) {
    ec = std::make_error_code(std::errc::bad_file_descriptor);
    return;
  }
  weft::detail::io_call_starting();
  for (;;) {
    std::optional<io_event> ev = attempt(fd, ec);
    if (!ev || budget.nonblocking()) return;
    if (!await_fd(s, fd, *ev, budget.until(), ec)) return;
  }
}

}  // namespace weft::net::detail
