// The reactor: readiness of file descriptors for the tasklets of one thread.
//
// Design. The reactor is Go's netpoll split the same way: this class keeps everything about
// an fd that is generic (reactor.cpp: the fd table, the reader and writer queues, the ready
// bits, hang-up, "cannot be polled"), and a backend behind `poller` (poller.hpp) only makes
// the system calls: reactor_epoll.cpp and reactor_uring.cpp. WEFT_REACTOR picks the backend
// when the reactor is made (docs/reactor.md).
// An fd is armed the first time a tasklet waits on it and stays armed, edge-triggered, until
// closing(). Readiness goes only to tasklets that wait; an edge that arrives while nobody
// waits sets a ready bit that the next wait consumes, so the caller retries its syscall.
// The scheduler calls poll() as its idle wait, with the next timer as the timeout, so there
// is no reactor thread.
// Rejected: arming per wait (EPOLLONESHOT, a one-shot poll SQE): one or two more system calls
// per blocking read, a fifth of the echo benchmark. Rejected: a virtual call per fd event
// into the generic part; backends call report() directly, and only arm/disarm/wait/wake are
// virtual (once per new fd, per close, per idle wait).
//
// The calls the core uses:
//   take_ready(fd, ev)               consume a ready bit: true means retry the syscall
//                                    (readable stays true once the peer hung up)
//   watch(fd, ev, w)                 w's tasklet waits for ev on fd (it then blocks); false
//                                    if the fd cannot be watched and is always ready (a
//                                    regular file): w is not queued
//   unwatch(fd, ev, w)               forget that wait (timeout, kill); w may be unqueued
//   poll(timeout_ms, on_ready, ctx)  wait up to timeout_ms (-1: no limit, 0: just look) and
//                                    hand every completed wait to on_ready
//   closing(fd, on_ready, ctx)       complete every wait on fd with io_status::closed and
//                                    disarm it: call before close(2)
//   start_recv(op)                   the backend receives for the caller (io_uring), into
//                                    a buffer of its own; false if it cannot, or fd has
//                                    an op running already
//   finish_op(op, on_ready, ctx)     end op now (a kill, a timeout): cancel it and wait
//                                    for its report; it may still bring data
//   notify()                         any thread: make a running or future poll return now
//   waiting()                        number of queued waits (the deadlock check reads it)
//
// Invariants: one reactor per scheduler, made on the scheduler's thread; every call except
// notify() is made on that thread. A waiter is queued on at most one fd. An entry is armed
// under its current tag only; closing() changes the tag, so reports still on their way for
// the closed fd never reach a later fd with the same number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "reactor/poller.hpp"
#include "weft/detail/io_wait.hpp"
#include "weft/detail/wait.hpp"

namespace weft::detail {

class reactor {
 public:
  using ready_fn = void (*)(void* ctx, waiter* w, io_status status);

  // The backend WEFT_REACTOR names (see make_poller); throws if it names none.
  reactor();
  explicit reactor(std::unique_ptr<poller> backend);
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // Returns true if the fd is already known ready for ev (an edge arrived while nobody
  // waited): the caller should retry its syscall instead of blocking. The readiness is
  // consumed, except a hang-up's: once the peer hung up a read never blocks again, and no
  // further edge would come to end a wait.
  bool take_ready(int fd, io_event ev) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return false;
    fd_entry& e = fds_[static_cast<std::size_t>(fd)];
    if (ev == io_event::readable && e.hangup) return true;
    bool& bit = ev == io_event::readable ? e.read_ready : e.write_ready;
    if (!bit) return false;
    bit = false;
    return true;
  }
  [[nodiscard]] bool watch(int fd, io_event ev, waiter* w);
  void unwatch(int fd, io_event ev, waiter* w) noexcept;
  int poll(int timeout_ms, ready_fn on_ready, void* ctx);
  void closing(int fd, ready_fn on_ready, void* ctx) noexcept;
  [[nodiscard]] bool start_recv(io_op* op);
  // Ends op now, whatever it was doing: cancels it and waits for the kernel to report it
  // (reports for other fds meanwhile go to on_ready). After it, op->done is true.
  void finish_op(io_op* op, ready_fn on_ready, void* ctx);
  // op's data has been copied out (op->has_buffer): its buffer goes back to the backend.
  void release_buffer(io_op* op) noexcept {
    if (op->has_buffer) backend_->release_buffer(op);
    op->has_buffer = false;
  }
  void notify() noexcept { backend_->wake(); }
  std::size_t waiting() const noexcept { return waiting_; }
  // "epoll" or "uring".
  const char* backend_name() const noexcept { return backend_->name(); }
  // How many receives start_recv() has handed to the backend.
  std::uint64_t recvs_started() const noexcept { return recvs_started_; }

  // The backend side, called from poller::wait() only.
  // fd, armed under `tag`, reported `bits` (poll_bits). Returns false if the report is stale
  // (fd was closed since): the backend must then not re-arm it.
  bool report(int fd, std::uint32_t tag, std::uint32_t bits);
  // The kernel ended fd's registration by itself (io_uring: the fd was closed behind the
  // reactor's back, or cannot be polled). Every waiter wakes to retry its syscall; the next
  // wait arms the fd again, or, if `always_ready`, never waits for it until closing().
  void report_ended(int fd, std::uint32_t tag, bool always_ready);
  // An op from start_recv() finished with `result` (bytes or -errno).
  void op_done(io_op* op, int result);

 private:
  // One cache line each: every wake-up and every wait touches the whole entry, and with
  // 10,000 connections the table is far from any cache, so an entry that straddled two
  // lines would cost two misses.
  struct alignas(64) fd_entry {
    wait_queue readers;
    wait_queue writers;
    std::uint32_t tag = 0;     // the registration's generation; changes at closing()
    bool armed = false;        // the backend watches the fd under `tag`
    bool read_ready = false;
    bool write_ready = false;
    bool hangup = false;       // the peer closed or the fd failed; sticky until closing()
    bool unwatchable = false;  // the kernel cannot poll it: always ready, until closing()
  };
  static_assert(sizeof(fd_entry) == 64, "an fd entry fills one cache line");
  fd_entry& entry(int fd);
  void finish_op_quietly(io_op* op, ready_fn on_ready, void* ctx) noexcept;
  void wake_all(wait_queue& q, io_status status);

  std::unique_ptr<poller> backend_;
  std::vector<fd_entry> fds_;
  // The op running on each fd, if any (at most one: a second reader of the fd waits for
  // readiness instead). Beside the table, not in it: an entry is a full cache line.
  std::vector<io_op*> ops_;
  std::size_t waiting_ = 0;
  std::uint64_t recvs_started_ = 0;
  // Set by poll(), finish_op() and closing(): where reports hand completed waits.
  ready_fn on_ready_ = nullptr;
  void* ready_ctx_ = nullptr;
};

// The backend of the calling thread's reactor ("epoll" or "uring"), or null if the thread
// has not waited for I/O yet (its reactor is made on the first wait).
const char* reactor_backend_name() noexcept;
// How many receives the calling thread's reactor has handed to the kernel (0 if none yet).
std::uint64_t reactor_recvs_started() noexcept;

}  // namespace weft::detail
