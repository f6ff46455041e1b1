// wait_io / io_closing: how a tasklet waits for a file descriptor (see io_wait.hpp).
#include "weft/detail/io_wait.hpp"

#include <poll.h>

#include <cstdint>
#include <exception>

#include "core/scheduler_impl.hpp"
#include "sys/real.hpp"

namespace weft::detail {

namespace {

bool cancel_io(void* owner, waiter* w) noexcept {
  auto* r = static_cast<reactor*>(owner);
  if (!w->linked) return false;
  r->unwatch(w->fd, w->event, w);
  return true;
}

void on_closed(void* ctx, waiter* w, io_status status) {
  auto* s = static_cast<scheduler_impl*>(ctx);
  if (!claim(w)) return;
  w->result = static_cast<std::uint8_t>(status);
  s->end_wait(w->task, wake_reason::signaled);
}

}  // namespace

io_status wait_io(int fd, io_event ev, deadline until) {
  scheduler_impl& s = this_scheduler();
  reactor& r = s.io();
  if (r.take_ready(fd, ev)) return io_status::ready;
  if (until != forever && until <= std::chrono::steady_clock::now()) return io_status::timed_out;
  waiter& w = own_waiter();
  w.fd = fd;
  w.event = ev;
  w.result = static_cast<std::uint8_t>(io_status::ready);
  if (!r.watch(fd, ev, &w)) return io_status::ready;
  static constexpr wait_kind readable_kind{&cancel_io, "fd readable", 0};
  static constexpr wait_kind writable_kind{&cancel_io, "fd writable", 0};
  lock_guard g(s.local_lock());
  if (block(g, ev == io_event::readable ? readable_kind : writable_kind, &r, until, fd) ==
      wake_reason::timed_out)
    return io_status::timed_out;
  return static_cast<io_status>(w.result);
}

namespace {
// The tasklet that made the thread's last I/O call, the wait sequence it had then, and how
// many calls it has made in a row since it last waited.
struct io_streak {
  tasklet_impl* task = nullptr;
  std::uint32_t wait_seq = 0;
  unsigned calls = 0;
};
thread_local io_streak streak;
}  // namespace

void io_call_starting() {
  scheduler_impl* s = tls_scheduler;
  if (!s) return;
  tasklet_impl* cur = s->current();
  if (cur->atomic) return;
  // Only a tasklet that keeps finding its descriptors ready yields: one that waited since
  // its last call has let the scheduler run already, and making it yield as well would
  // only reorder a busy server's run queue (and resume it later, from a cold cache).
  if (streak.task != cur || streak.wait_seq != cur->wait_seq) {
    streak = {cur, cur->wait_seq, 0};
  } else if (++streak.calls == io_yield_every) [[unlikely]] {
    streak.calls = 0;
    yield_after_operation(s);
  }
  // Not while unwinding (a destructor that sends): a second exception would terminate.
  if (cur->pending && std::uncaught_exceptions() == 0) [[unlikely]] raise_pending_of(cur);
}

bool io_ready_now(int fd, io_event ev) noexcept {
  struct pollfd p{};
  p.fd = fd;
  p.events = ev == io_event::readable ? POLLIN : POLLOUT;
  return sys::real::poll(&p, 1, 0) > 0 && p.revents != 0;
}

void io_watch(int fd, io_event ev, waiter* w) {
  // A select tries an fd with poll(2) before queueing it, and poll reports an fd epoll
  // cannot watch (a regular file) ready, so such an fd never gets here.
  (void)this_scheduler().io().watch(fd, ev, w);
}

void io_unwatch(int fd, io_event ev, waiter* w) noexcept {
  if (scheduler_impl* s = tls_scheduler; s && s->io_if_any()) s->io_if_any()->unwatch(fd, ev, w);
}

void io_closing(int fd) noexcept {
  scheduler_impl* s = tls_scheduler;
  if (!s || !s->io_if_any()) return;
  s->io_if_any()->closing(fd, &on_closed, s);
}

}  // namespace weft::detail
