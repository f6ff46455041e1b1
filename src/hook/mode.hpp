// When an interposed call is weft's to handle: the one decision every hook makes, and the
// per-function counters behind weft::hook::counts().
//
// A call is handled by weft (suspends only its tasklet) when the calling thread has a
// scheduler, the caller is not in a weft::atomic scope, the process is not a fork child,
// and the caller is a tasklet other than main or main while other tasklets exist.
// Everything else gets libc's behaviour.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/scheduler_impl.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft::hook::detail {

using weft::detail::scheduler_impl;

#define WEFT_HOOK_COUNTED(X)                                                                   \
  X(read) X(write) X(readv) X(writev) X(pread) X(pwrite) X(recv) X(recvfrom) X(recvmsg) X(send) \
  X(sendto) X(sendmsg) X(connect) X(accept) X(accept4) X(poll) X(ppoll) X(select) X(pselect)    \
  X(epoll_wait) X(epoll_pwait) X(sleep) X(usleep) X(nanosleep) X(clock_nanosleep)              \
  X(getaddrinfo) X(getnameinfo) X(gethostbyname) X(gethostbyname_r)

enum class call : std::uint8_t {
#define WEFT_HOOK_ENUM(name) name,
  WEFT_HOOK_COUNTED(WEFT_HOOK_ENUM)
#undef WEFT_HOOK_ENUM
  count_
};

extern std::atomic<std::uint64_t> g_counts[static_cast<int>(call::count_)];
inline void count(call c) noexcept {
  g_counts[static_cast<int>(c)].fetch_add(1, std::memory_order_relaxed);
}

// Set in the child of fork(): it starts clean, every call as libc's.
extern std::atomic<bool> g_forked_child;

// The stall monitor learns of a thread the first time one of its tasklets makes a handled
// call (stall_monitor.cpp).
extern constinit thread_local bool t_watched __attribute__((tls_model("initial-exec")));
void watch_thread(scheduler_impl* s);
// A handled call is about to wait or has waited: the thread is not stuck.
void note_progress() noexcept;

// Before fd is closed or replaced: the tasklets of this thread waiting on it resume, and the
// reactor forgets it. Not in a fork child: its reactor's epoll instance is the parent's, and
// removing a descriptor there would remove it for the parent.
inline void forget_waits(int fd) noexcept {
  if (!g_forked_child.load(std::memory_order_relaxed)) weft::detail::io_closing(fd);
}

// The calling thread's scheduler if this call is weft's to handle, else null.
inline scheduler_impl* tasklet_scheduler() noexcept {
  scheduler_impl* s = weft::detail::tls_scheduler;
  if (s == nullptr) return nullptr;
  const weft::detail::tasklet_impl* cur = s->current();
  if (cur->atomic != 0 || (cur == s->main() && s->live_count() <= 1)) return nullptr;
  if (g_forked_child.load(std::memory_order_relaxed)) [[unlikely]] return nullptr;
  if (!t_watched) [[unlikely]] watch_thread(s);
  return s;
}

// The caller's scheduler if this call is weft's to handle (and counts it), else null.
inline scheduler_impl* enter(call c) noexcept {
  scheduler_impl* s = tasklet_scheduler();
  if (s) count(c);
  return s;
}

}  // namespace weft::hook::detail
