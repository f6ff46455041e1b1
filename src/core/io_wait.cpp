// wait_io / io_closing: how a tasklet waits for a file descriptor (see io_wait.hpp).
#include "weft/detail/io_wait.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <utility>

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

void wake_io_waiter(void* ctx, waiter* w, io_status status) {
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
// A receive in the kernel cannot be withdrawn like a queued waiter: a kill or a timeout only
// ends its owner's sleep (false: nothing is raised from block()), and the owner then ends
// the receive itself (reactor::finish_op) before its buffer may go.
bool stop_sleeping_on_op(void* owner, waiter*) noexcept {
  static_cast<io_op*>(owner)->w = nullptr;
  return false;
}
}  // namespace

bool recv_by_kernel(int fd, void* buf, std::size_t len, int flags, deadline until, io_status& status,
                    long& result) {
  scheduler_impl& s = this_scheduler();
  tasklet_impl* cur = s.current();
  if (cur->pending || cur->atomic || cur->block_trap || on_shared_stack_hot(&s)) return false;
  reactor& r = s.io();
  io_op op;
  op.fd = fd;
  op.len = len;
  op.flags = flags;
  if (!r.start_recv(&op)) return false;
  static constexpr wait_kind recv_kind{&stop_sleeping_on_op, "fd readable (receiving)", 0};
  bool expired = false;
  while (!op.done) {
    waiter& w = own_waiter();
    w.fd = fd;
    w.event = io_event::readable;
    op.w = &w;
    {
      lock_guard g(s.local_lock());
      block(g, recv_kind, &op, until, fd);
    }
    if (op.done) break;
    op.w = nullptr;
    if (!cur->pending) {
      expired = until != forever && std::chrono::steady_clock::now() >= until;
      if (!expired) continue;  // woken for no reason of its own: the receive still runs
    }
    // Killed or timed out: the kernel gives the buffer back now (the kill is not delayed
    // until the thread next goes idle). The receive may have completed meanwhile.
    std::exception_ptr held = std::exchange(cur->pending, nullptr);
    r.finish_op(&op, &wake_io_waiter, &s);
    cur->pending = std::move(held);
  }
  status = io_status::ready;
  result = op.result;
  if (op.has_buffer) {
    if (op.result > 0) std::memcpy(buf, op.data, static_cast<std::size_t>(op.result));
    r.release_buffer(&op);
  }
  // Data that arrived is returned even to a killed tasklet; the kill is raised at its next
  // switch point, so nothing received is lost.
  if (op.result > 0) return true;
  if (cur->pending) raise_pending_of(cur);
  if (op.closed) status = io_status::closed;
  else if (expired && op.result == -ECANCELED) status = io_status::timed_out;
  return true;
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
  s->io_if_any()->closing(fd, &wake_io_waiter, s);
}

}  // namespace weft::detail
