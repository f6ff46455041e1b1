// The descriptors weft::hook manages: every socket and pipe the program creates through the
// interposed calls. Each is non-blocking underneath; the table keeps what the program
// believes (blocking or not, its SO_RCVTIMEO and SO_SNDTIMEO), so a call on a descriptor
// the program thinks blocking can wait as the blocking call would.
//
// Invariants: lookups are lock-free and async-signal-safe (two loads); entries live for the
// process (pages are never freed), so a racing lookup never reads freed memory. Descriptors
// at or above max_fds are not managed (left as the program made them).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace weft::hook::detail {

inline constexpr int max_fds = 1 << 20;

struct fd_state {
  static constexpr std::uint8_t managed = 1;       // created through a hook: non-blocking underneath
  static constexpr std::uint8_t user_nonblock = 2;  // the program asked for O_NONBLOCK
  static constexpr std::uint8_t stream = 4;         // a byte stream (SOCK_STREAM, a pipe)
  std::atomic<std::uint8_t> flags{0};
  // The last read on this stream came back short: its receive queue was empty then, so any
  // data since came with a readiness edge the reactor has or will report, unless a wait took
  // it (every hook wait for readable clears this). A read then waits before its syscall
  // (retry_read in blocking.hpp) instead of paying one that says EAGAIN.
  std::atomic<bool> read_drained{false};
  // The last read made right after a short one found the queue still empty (said EAGAIN):
  // this stream's data lags its reads, as a reply lags its request. Only then do reads wait
  // first; a stream whose data is there when read keeps trying first.
  std::atomic<bool> read_lags{false};
  std::atomic<std::int64_t> recv_timeout_ns{0};  // SO_RCVTIMEO; 0: none
  std::atomic<std::int64_t> send_timeout_ns{0};  // SO_SNDTIMEO; 0: none

  bool blocking() const noexcept {
    return (flags.load(std::memory_order_relaxed) & (managed | user_nonblock)) == managed;
  }
  bool is_stream() const noexcept { return flags.load(std::memory_order_relaxed) & stream; }
};

// The entry of a managed descriptor, or null.
fd_state* fd_find(int fd) noexcept;
// The entry of fd if the program believes it blocking, or null: the one test every
// interposed I/O call makes before anything else.
inline fd_state* fd_blocking(int fd) noexcept {
  fd_state* s = fd_find(fd);
  return s && s->blocking() ? s : nullptr;
}
// Starts managing fd (it must already be non-blocking underneath). Returns false if fd is
// beyond the table: the caller then restores the mode the program asked for.
bool fd_manage(int fd, bool user_nonblock, bool stream) noexcept;
// `to` becomes a copy of `from`'s entry (dup), or unmanaged if `from` is not managed.
void fd_copy(int from, int to) noexcept;
void fd_forget(int fd) noexcept;
// Calls fn(fd, entry, ctx) for every managed descriptor, in order. Async-signal-safe (no
// allocation, no lock): the exec hooks run it in a fork or vfork child.
void fd_each_managed(void (*fn)(int fd, fd_state& st, void* ctx), void* ctx) noexcept;

}  // namespace weft::hook::detail
