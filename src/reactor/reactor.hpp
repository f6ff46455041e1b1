// The reactor: readiness of file descriptors for the tasklets of one thread.
//
// The backend contract. A backend (reactor_epoll.cpp today) implements exactly:
//   reactor(), ~reactor()            own the kernel object and a cross-thread wake-up
//   watch(fd, ev, w)                 w's tasklet waits for ev on fd (it then blocks); false
//                                    if the fd cannot be watched and is always ready (a
//                                    regular file): w is not queued
//   unwatch(fd, ev, w)               forget that wait (timeout, kill); w may be unqueued
//   poll(timeout_ms, on_ready, ctx)  wait up to timeout_ms (-1: no limit, 0: just look) and
//                                    hand every completed wait to on_ready
//   closing(fd, on_ready, ctx)       complete every wait on fd with io_status::closed
//   notify()                         any thread: make a running or future poll return now
//   waiting()                        number of queued waits (the deadlock check reads it)
// The scheduler calls poll() as its idle wait, with the next timer as the timeout, so there
// is no separate reactor thread. An io_uring backend slots in behind the same calls: watch()
// queues an IORING_OP_POLL_ADD (multishot) for the fd, unwatch() an IORING_OP_POLL_REMOVE,
// poll() is io_uring_enter with a timeout SQE and notify() writes an eventfd registered with
// the ring. A completion-port backend (IOCP) needs the socket layer to issue the operation
// itself rather than wait for readiness: that is why sockets call wait_io only after a
// would-block, leaving room for an `operation` variant of watch() later.
//
// Invariants: one reactor per scheduler; every call except notify() is made on the
// scheduler's own thread. A waiter is queued on at most one fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "weft/detail/io_wait.hpp"
#include "weft/detail/wait.hpp"

namespace weft::detail {

class reactor {
 public:
  using ready_fn = void (*)(void* ctx, waiter* w, io_status status);

  reactor();
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // Returns true if the fd is already known ready for ev (an edge arrived while nobody
  // waited): the caller should retry its syscall instead of blocking. The readiness is
  // consumed.
  bool take_ready(int fd, io_event ev) noexcept;
  [[nodiscard]] bool watch(int fd, io_event ev, waiter* w);
  void unwatch(int fd, io_event ev, waiter* w) noexcept;
  int poll(int timeout_ms, ready_fn on_ready, void* ctx);
  void closing(int fd, ready_fn on_ready, void* ctx) noexcept;
  void notify() noexcept;
  bool hangup_seen(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < fds_.size() && fds_[static_cast<std::size_t>(fd)].hangup;
  }
  std::size_t waiting() const noexcept { return waiting_; }

 private:
  struct fd_entry {
    wait_queue readers;
    wait_queue writers;
    bool registered = false;
    bool read_ready = false;
    bool write_ready = false;
    bool hangup = false;  // the peer closed or the fd failed; sticky until closing()
    bool unwatchable = false;  // epoll refused it (EPERM): always ready, until closing()
  };
  fd_entry& entry(int fd);
  void dispatch(int fd, std::uint32_t events, ready_fn on_ready, void* ctx);

  int epfd_ = -1;
  int wakefd_ = -1;
  std::vector<fd_entry> fds_;
  std::size_t waiting_ = 0;
};

}  // namespace weft::detail
