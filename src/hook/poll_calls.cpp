// The multiplexing calls: poll, ppoll, select, pselect, epoll_wait, epoll_pwait. In a tasklet
// each first asks with a zero timeout; if nothing is ready it waits through the reactor and
// asks again. A wait on several descriptors watches a private epoll set built for the call
// (one descriptor the program manages is watched directly). Signal masks (ppoll, pselect,
// epoll_pwait) are not applied to a tasklet's wait: the thread's mask is shared by all its
// tasklets.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <vector>

#include "hook/blocking.hpp"
#include "sys/real.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace {

using clock = std::chrono::steady_clock;

constexpr short watched_events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |
                                 POLLWRBAND | POLLRDHUP;

deadline deadline_ms(int ms) noexcept {
  return ms < 0 ? forever : clock::now() + std::chrono::milliseconds(ms);
}

deadline deadline_ts(const timespec* t) noexcept {
  if (t == nullptr) return forever;
  return clock::now() + std::chrono::seconds(t->tv_sec) + std::chrono::nanoseconds(t->tv_nsec);
}

bool valid(const timespec* t) noexcept {
  return t == nullptr || (t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < 1'000'000'000);
}

// Closes the private epoll set on every way out (a kill unwinds through here too).
struct private_epoll {
  int fd = -1;
  ~private_epoll() {
    if (fd < 0) return;
    weft::detail::io_closing(fd);
    real::close(fd);
  }
};

// Waits until one of fds may be ready (the caller asks again) or the deadline passes.
wait_end wait_any(scheduler_impl* s, const pollfd* fds, nfds_t n, deadline until) {
  if (n == 1 && fds[0].fd >= 0 && fd_find(fds[0].fd)) {
    short ev = fds[0].events & watched_events;
    bool in = ev & (POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLRDHUP);
    bool out = ev & (POLLOUT | POLLWRNORM | POLLWRBAND);
    if (in != out) return wait_fd(s, fds[0].fd, in ? io_event::readable : io_event::writable, until, false);
  }
  private_epoll set;
  set.fd = real::epoll_create1(EPOLL_CLOEXEC);
  if (set.fd < 0) return wait_end::ready;  // out of descriptors: the caller's next ask reports it
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].fd < 0) continue;
    epoll_event e{};
    e.events = static_cast<std::uint32_t>(fds[i].events & watched_events);
    e.data.fd = fds[i].fd;
    if (::epoll_ctl(set.fd, EPOLL_CTL_ADD, fds[i].fd, &e) == 0 || errno != EEXIST) continue;
    // The same descriptor twice: watch the union of what both asked.
    for (nfds_t j = 0; j < i; ++j)
      if (fds[j].fd == fds[i].fd) e.events |= static_cast<std::uint32_t>(fds[j].events & watched_events);
    ::epoll_ctl(set.fd, EPOLL_CTL_MOD, fds[i].fd, &e);
  }
  return wait_fd(s, set.fd, io_event::readable, until, false);
}

// poll's wait in a tasklet, once a zero-timeout poll found nothing.
int poll_wait(scheduler_impl* s, pollfd* fds, nfds_t n, deadline until) {
  const int saved = errno;
  for (;;) {
    wait_end e = wait_any(s, fds, n, until);
    if (e == wait_end::timed_out) {
      for (nfds_t i = 0; i < n; ++i) fds[i].revents = 0;
      errno = saved;
      return 0;
    }
    int r = real::poll(fds, n, 0);
    if (r != 0) {
      if (r > 0) errno = saved;
      return r;
    }
  }
}

// select's sets as pollfds, for wait_any.
std::vector<pollfd> as_pollfds(int n, const fd_set* r, const fd_set* w, const fd_set* e) {
  std::vector<pollfd> out;
  for (int fd = 0; fd < n; ++fd) {
    short ev = 0;
    if (r && FD_ISSET(fd, r)) ev |= POLLIN;
    if (w && FD_ISSET(fd, w)) ev |= POLLOUT;
    if (e && FD_ISSET(fd, e)) ev |= POLLPRI;
    if (ev) out.push_back({fd, ev, 0});
  }
  return out;
}

// select and pselect in a tasklet, once a zero-timeout ask found nothing. `left` receives
// the time remaining (select reports it; pselect's glibc wrapper does not).
int select_wait(scheduler_impl* s, int n, fd_set* r, fd_set* w, fd_set* e, deadline until,
                timeval* left) {
  const int saved = errno;
  fd_set cr, cw, ce;
  if (r) cr = *r;
  if (w) cw = *w;
  if (e) ce = *e;
  std::vector<pollfd> fds = as_pollfds(n, r ? &cr : nullptr, w ? &cw : nullptr, e ? &ce : nullptr);
  for (;;) {
    wait_end end = wait_any(s, fds.data(), fds.size(), until);
    if (end == wait_end::timed_out) {
      for (fd_set* set : {r, w, e})
        if (set) FD_ZERO(set);
      if (left) *left = timeval{0, 0};
      errno = saved;
      return 0;
    }
    if (r) *r = cr;
    if (w) *w = cw;
    if (e) *e = ce;
    timeval zero{0, 0};
    int got = real::select(n, r, w, e, &zero);
    if (got != 0) {
      if (left && until != forever) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(until - clock::now()).count();
        if (us < 0) us = 0;
        *left = timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
      }
      if (got > 0) errno = saved;
      return got;
    }
  }
}

int epoll_wait_in_tasklet(scheduler_impl* s, int ep, epoll_event* ev, int max, int timeout) {
  int r = real::epoll_wait(ep, ev, max, 0);
  if (r != 0) return r;
  const int saved = errno;
  const deadline until = deadline_ms(timeout);
  for (;;) {
    wait_end e = wait_fd(s, ep, io_event::readable, until, false);
    if (e == wait_end::timed_out) {
      errno = saved;
      return 0;
    }
    if (e != wait_end::ready) return static_cast<int>(fail_wait(e));
    r = real::epoll_wait(ep, ev, max, 0);
    if (r != 0) {
      if (r > 0) errno = saved;
      return r;
    }
  }
}

}  // namespace

extern "C" {

int poll(pollfd* fds, nfds_t n, int timeout) {
  scheduler_impl* s = timeout != 0 ? enter(call::poll) : nullptr;
  if (!s) return real::poll(fds, n, timeout);
  int r = real::poll(fds, n, 0);
  if (r != 0) return r;
  return poll_wait(s, fds, n, deadline_ms(timeout));
}

int ppoll(pollfd* fds, nfds_t n, const timespec* t, const sigset_t* mask) {
  bool now = t && t->tv_sec == 0 && t->tv_nsec == 0;
  scheduler_impl* s = !now && valid(t) ? enter(call::ppoll) : nullptr;
  if (!s) return real::ppoll(fds, n, t, mask);
  int r = real::poll(fds, n, 0);
  if (r != 0) return r;
  return poll_wait(s, fds, n, deadline_ts(t));
}

int select(int n, fd_set* r, fd_set* w, fd_set* e, timeval* t) {
  bool now = t && t->tv_sec == 0 && t->tv_usec == 0;
  bool ok = n >= 0 && n <= FD_SETSIZE && (!t || (t->tv_sec >= 0 && t->tv_usec >= 0 && t->tv_usec < 1'000'000));
  scheduler_impl* s = !now && ok ? enter(call::select) : nullptr;
  if (!s) return real::select(n, r, w, e, t);
  fd_set cr, cw, ce;
  if (r) cr = *r;
  if (w) cw = *w;
  if (e) ce = *e;
  timeval zero{0, 0};
  int got = real::select(n, r, w, e, &zero);
  if (got != 0) return got;
  if (r) *r = cr;
  if (w) *w = cw;
  if (e) *e = ce;
  deadline until = t ? clock::now() + std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec)
                     : forever;
  return select_wait(s, n, r, w, e, until, t);
}

int pselect(int n, fd_set* r, fd_set* w, fd_set* e, const timespec* t, const sigset_t* mask) {
  bool now = t && t->tv_sec == 0 && t->tv_nsec == 0;
  scheduler_impl* s = !now && n >= 0 && n <= FD_SETSIZE && valid(t) ? enter(call::pselect) : nullptr;
  if (!s) return real::pselect(n, r, w, e, t, mask);
  fd_set cr, cw, ce;
  if (r) cr = *r;
  if (w) cw = *w;
  if (e) ce = *e;
  timespec zero{0, 0};
  int got = real::pselect(n, r, w, e, &zero, nullptr);
  if (got != 0) return got;
  if (r) *r = cr;
  if (w) *w = cw;
  if (e) *e = ce;
  return select_wait(s, n, r, w, e, deadline_ts(t), nullptr);
}

int epoll_wait(int ep, epoll_event* ev, int max, int timeout) {
  scheduler_impl* s = timeout != 0 ? enter(call::epoll_wait) : nullptr;
  if (!s) return real::epoll_wait(ep, ev, max, timeout);
  return epoll_wait_in_tasklet(s, ep, ev, max, timeout);
}

int epoll_pwait(int ep, epoll_event* ev, int max, int timeout, const sigset_t* mask) {
  scheduler_impl* s = timeout != 0 ? enter(call::epoll_pwait) : nullptr;
  if (!s) return real::epoll_pwait(ep, ev, max, timeout, mask);
  return epoll_wait_in_tasklet(s, ep, ev, max, timeout);
}

}  // extern "C"
