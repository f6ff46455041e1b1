// Waiting the way a blocking call would (see blocking.hpp).
#include "hook/blocking.hpp"

#include <poll.h>
#include <signal.h>

#include "sys/real.hpp"

namespace weft::hook::detail {

namespace {

using clock = std::chrono::steady_clock;

// Whether the kernel would have restarted a blocking call after a signal: only if every
// signal that has a handler has it with SA_RESTART (we cannot know which one arrived).
// Fault signals are left out: their handlers (weft's stack-overflow report, say) run for a
// fault of this thread's own code, never while it waits in a system call.
bool every_handler_restarts() noexcept {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS)
      continue;
    struct sigaction sa;
    if (::sigaction(sig, nullptr, &sa) != 0) continue;
    bool handled = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != nullptr
                                              : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
    if (handled && !(sa.sa_flags & SA_RESTART)) return false;
  }
  return true;
}

wait_end wait_on_thread(int fd, io_event ev, deadline until, bool timed) {
  for (;;) {
    struct pollfd p{fd, static_cast<short>(ev == io_event::readable ? POLLIN : POLLOUT), 0};
    timespec ts{};
    const timespec* tp = nullptr;
    if (until != forever) {
      auto left = until - clock::now();
      if (left <= clock::duration::zero()) return wait_end::timed_out;
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      tp = &ts;
    }
    int r = sys::real::ppoll(&p, 1, tp, nullptr);
    if (r > 0) return wait_end::ready;
    if (r == 0) {
      if (until != forever && clock::now() >= until) return wait_end::timed_out;
      continue;
    }
    if (errno != EINTR) return wait_end::ready;  // let the call itself report it
    if (timed || !every_handler_restarts()) return wait_end::interrupted;
  }
}

}  // namespace

deadline deadline_after(std::int64_t ns) noexcept {
  return ns <= 0 ? forever : clock::now() + std::chrono::nanoseconds(ns);
}

wait_end wait_fd(scheduler_impl* s, int fd, io_event ev, deadline until, bool timed) {
  if (s == nullptr) return wait_on_thread(fd, ev, until, timed);
  // This wait takes the readiness edge a read's wait-first would count on (retry_read).
  if (ev == io_event::readable)
    if (fd_state* st = fd_find(fd)) st->read_drained.store(false, std::memory_order_relaxed);
  note_progress();
  auto st = weft::detail::wait_io(fd, ev, until);
  note_progress();
  switch (st) {
    case weft::detail::io_status::ready: return wait_end::ready;
    case weft::detail::io_status::timed_out: return wait_end::timed_out;
    case weft::detail::io_status::closed: return wait_end::closed;
  }
  return wait_end::ready;
}

ssize_t fail_wait(wait_end e) noexcept {
  errno = e == wait_end::timed_out ? EAGAIN : e == wait_end::interrupted ? EINTR : EBADF;
  return -1;
}

}  // namespace weft::hook::detail
