// The backend contract: what a reactor backend implements (Go's netpoll_*.go functions).
//
// A backend only makes system calls. Everything about an fd that is not the kernel's, the
// waiters, the ready bits, hang-up, "cannot be polled", lives in the reactor (reactor.cpp),
// so a new backend copies none of it. A backend implements exactly:
//   arm(fd, tag)        start watching fd, edge-triggered, for readable, writable and hang-up,
//                       until disarm(); reports carry `tag`. May be queued: it takes effect
//                       by the next wait(). Returns false if the kernel cannot poll fd at all
//                       (a regular file: always ready). Throws std::system_error otherwise.
//   disarm(fd, tag)     fd is about to be closed: stop watching it now, before close(2), so
//                       the kernel holds no reference that would keep the file open.
//   wait(ms, r)         submit what is queued, wait up to ms (-1: no limit, 0: just look)
//                       and hand every report to r.report(fd, tag, bits); a registration
//                       the kernel ended on its own goes to r.report_ended(). Returns the
//                       number of reports.
//   wake()              any thread, also a signal handler: make a running or the next
//                       wait() return now.
// A backend that can receive by itself (io_uring) also implements, with can_recv() true:
//   start_recv(op)      queue a receive of up to op->len bytes; it is submitted by the next
//                       wait() and reported by r.op_done(op, result), with the data in a
//                       buffer of the backend's. False if it cannot take one more now.
//   cancel_op(op)       ask the kernel, at once, to end op early (it still reports op_done,
//                       perhaps with data).
//   release_buffer(op)  the owner has copied op's data out: the buffer may be reused.
// The reactor drops reports whose tag is stale (the fd was closed and its number reused), and
// r.report() returns false for them, so a backend that re-arms (io_uring's multishot) never
// re-arms a closed fd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace weft::detail {

class reactor;
struct waiter;

// What a report says about an fd; several bits may come at once.
namespace poll_bits {
inline constexpr std::uint32_t in = 1;      // readable
inline constexpr std::uint32_t out = 2;     // writable
inline constexpr std::uint32_t rdhup = 4;   // the peer finished sending: readers wake
inline constexpr std::uint32_t error = 8;   // hang-up or error: everyone wakes
}  // namespace poll_bits

// A receive the backend performs itself: the kernel receives when the data arrives, which
// saves the readiness report and the recv(2) that would follow it. The data lands in a
// buffer of the backend's (io_uring's provided buffers), never in the caller's while the
// caller sleeps: a buffer that several tasklets share, each using it only while it runs, is
// as safe as with a readiness wait. The owner copies the data out when it runs again and
// gives the buffer back (reactor::release_buffer).
struct io_op {
  int fd = -1;
  std::size_t len = 0;          // at most this many bytes (the backend may take fewer)
  int flags = 0;
  int result = 0;               // bytes, 0 at end of stream, or -errno; valid once done
  bool done = false;
  bool cancelling = false;      // a cancel was asked for
  bool closed = false;          // the fd was closed while op ran (reactor::closing)
  bool has_buffer = false;      // `data` holds `result` bytes until released
  std::uint16_t buffer_id = 0;
  const std::byte* data = nullptr;
  waiter* w = nullptr;          // the owner's waiter while it sleeps on op, else null
};

// Tags are 31 bits, so a backend can pack fd and tag into one 64-bit word with a bit to spare.
inline constexpr std::uint32_t tag_mask = 0x7fffffff;

class poller {
 public:
  virtual ~poller() = default;
  virtual const char* name() const noexcept = 0;
  [[nodiscard]] virtual bool arm(int fd, std::uint32_t tag) = 0;
  virtual void disarm(int fd, std::uint32_t tag) noexcept = 0;
  virtual int wait(int timeout_ms, reactor& r) = 0;
  virtual void wake() noexcept = 0;
  virtual bool can_recv() const noexcept { return false; }
  virtual bool start_recv(io_op* op) { return (void)op, false; }
  virtual void cancel_op(io_op* op) noexcept { (void)op; }
  virtual void release_buffer(io_op* op) noexcept { (void)op; }
};

// Throw std::system_error if the kernel object cannot be made.
std::unique_ptr<poller> make_epoll_poller();
// Returns null, with the reason in `why`, where the kernel refuses io_uring or lacks an
// operation the backend needs.
std::unique_ptr<poller> make_uring_poller(std::string& why);

// The backend WEFT_REACTOR names: "epoll", "uring", or unset/empty for io_uring where the
// kernel allows it and epoll otherwise. Throws std::invalid_argument for any other value,
// and std::system_error if "uring" was asked for and the kernel refuses it.
std::unique_ptr<poller> make_poller(const char* weft_reactor);

}  // namespace weft::detail
