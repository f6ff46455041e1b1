// The contract between the scheduler's reactor and the I/O layers above it
// (sockets, pipes, the interposition layer): how a tasklet waits for a file descriptor.
#pragma once

#include <cstddef>
#include <cstdint>

#include "weft/detail/deadline.hpp"

namespace weft::detail {

enum class io_event : std::uint8_t { readable = 1, writable = 2 };

enum class io_status : std::uint8_t {
  ready,      // the fd reported the event (or an error/hang-up: the next syscall tells which)
  timed_out,  // the deadline passed first
  closed,     // io_closing(fd) was called while this tasklet waited
};

// Suspends the calling tasklet until `fd` is ready for `ev`, `until` passes, or another
// tasklet of this thread calls io_closing(fd). Interest is registered with the thread's
// reactor only while someone waits (edge cases: one reader and one writer may wait on the
// same fd at once; two readers of one fd are served in FIFO order). Once the reactor has
// seen the peer hang up (or an error) on fd, a wait for readable returns at once: a read
// would not block, and no further edge would come to end the wait.
// If the tasklet is killed meanwhile, the registration is dropped and tasklet_exit (or the
// thrown exception) propagates from this call. Called from a thread's main tasklet it works
// too (the thread sleeps in epoll_wait running other tasklets meanwhile).
io_status wait_io(int fd, io_event ev, deadline until = forever);

// Lets the kernel receive for the calling tasklet, where the thread's reactor can (io_uring):
// up to `len` bytes (at most kernel_recv_max) as soon as they arrive, with no readiness
// report and no recv(2) after it. The kernel receives into a buffer of the reactor's; the
// bytes are copied into `buf` when the tasklet runs again, so `buf` is written only while
// its tasklet runs, as with an ordinary recv. Returns false, having done nothing, where it cannot: the epoll backend,
// a tasklet on the shared (dense) stack (the buffer would move while the kernel holds it),
// inside weft::atomic or block_trap, an exception already pending, another tasklet's receive
// already running on fd. The caller then waits for readiness and makes the call itself.
// Otherwise `status` says how it ended: ready with `result` bytes (0: end of stream) or
// -errno (-EAGAIN: try the ordinary way); timed_out; closed (io_closing(fd) meanwhile).
// A kill or throw that comes while the kernel holds the buffer cannot take it back at once:
// the receive is cancelled and awaited. Data that arrived first is returned and the
// exception is raised at the next switch point; otherwise it is raised from here.
// The most one such receive returns (the size of the kernel-side buffers): a receive that
// returns this much may have left more data queued.
inline constexpr std::size_t kernel_recv_max = 4096;
bool recv_by_kernel(int fd, void* buf, std::size_t len, int flags, deadline until, io_status& status,
                    long& result);

// Every I/O call that may block starts here: it is a switch point even when the call will
// not have to wait. A tasklet whose peer always has data ready never waits, so without this
// it would never switch: it would hold the thread (timers, the reactor and the other
// tasklets starve) and a kill or throw aimed at it would never be raised. So a pending
// exception is raised here (before the call does anything, so nothing is lost), and a
// tasklet that makes io_yield_every calls in a row without waiting once yields as
// weft::schedule does (which also drains cross-thread posts, fires timers and polls the
// reactor now and then). Cheap: a thread-local streak compared with the current tasklet
// and its wait sequence. Nothing happens off a scheduler thread or inside a weft::atomic
// scope.
inline constexpr unsigned io_yield_every = 16;
void io_call_starting();

struct waiter;
// For select: whether fd is ready right now (one poll(2) with no wait), and queueing a
// select case's waiter on the thread's reactor.
bool io_ready_now(int fd, io_event ev) noexcept;
void io_watch(int fd, io_event ev, waiter* w);
void io_unwatch(int fd, io_event ev, waiter* w) noexcept;

// Call before closing `fd`: every tasklet of this thread waiting on it resumes with
// io_status::closed, and the reactor forgets the fd.
void io_closing(int fd) noexcept;

// While an instance is alive, the thread's scheduler knows a wake-up may still come from
// another thread (a worker pool job, a timer thread), so a tasklet blocking meanwhile is
// not reported as a deadlock. Thread-safe; cheap (one atomic increment).
class external_wakeup_hold {
 public:
  external_wakeup_hold() noexcept;
  ~external_wakeup_hold();
  external_wakeup_hold(const external_wakeup_hold&) = delete;
  external_wakeup_hold& operator=(const external_wakeup_hold&) = delete;
};

// Marks the calling OS thread as one of weft's own helper threads (a worker pool thread),
// so the deadlock check does not count it as a thread that might still send to a channel.
void register_helper_thread() noexcept;
// The helper thread is about to exit: it no longer counts as one.
void unregister_helper_thread() noexcept;

}  // namespace weft::detail
