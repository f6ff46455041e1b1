// The tasklet control block.
//
// Invariants:
//  - Every field is owned by the tasklet's scheduler thread (`sched`) unless marked
//    otherwise; other threads reach a tasklet only through its scheduler's remote queue.
//  - `refs` counts handles plus one reference the scheduler holds from creation until the
//    tasklet is finalized (its stack released after it finished).
//  - A tasklet is in the run queue iff state == runnable or it is the running one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "core/context.hpp"
#include "core/stack.hpp"
#include "core/timer_heap.hpp"
#include "weft/detail/callable.hpp"
#include "weft/detail/wait.hpp"
#include "weft/tasklet.hpp"

namespace weft::detail {

enum class tstate : std::uint8_t {
  fresh,     // bound, never ran, not in the run queue (paused)
  runnable,  // in the run queue (the running tasklet too)
  blocked,   // waiting: channel, timer, fd, lock ... (`wait` says on what)
  paused,    // alive, neither runnable nor blocked
  dead,      // finished; its stack is released once the switch away from it completed
};

struct local_slots;

// The C++ runtime's per-thread exception bookkeeping (the Itanium ABI's __cxa_eh_globals:
// the stack of exceptions being handled, and the uncaught count). It belongs to a tasklet,
// not to the thread: a tasklet that switches away inside a catch block must find its own
// exception there for `throw;` and std::current_exception() when it resumes.
struct eh_state {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

struct tasklet_impl {
  // Run-queue ring links.
  tasklet_impl* rq_next = nullptr;
  tasklet_impl* rq_prev = nullptr;
  // Every live tasklet of the scheduler, for dump_tasklets().
  tasklet_impl* all_next = nullptr;
  tasklet_impl* all_prev = nullptr;

  scheduler_impl* sched = nullptr;  // immutable
  fcontext ctx = nullptr;           // saved context while switched out; null before start
  std::atomic<int> refs{2};         // any thread; born with the scheduler's and the spawn handle's
  tstate state = tstate::fresh;
  stack_kind kind = stack_kind::guarded;
  bool is_main = false;
  bool started = false;
  bool block_trap = false;
  std::uint16_t atomic = 0;  // weft::atomic scopes entered and not left: a switch is an error
  // A throw or kill cancelled the current wait before it completed. If a wait completed
  // and only then was the tasklet thrown to, the blocking call returns its result and the
  // exception is raised at the next switch point, so nothing handed over is lost.
  bool wait_aborted = false;
  wake_reason reason = wake_reason::signaled;
  std::uint32_t wait_seq = 0;  // bumped whenever a wait ends, so stale remote wakes are ignored

  std::exception_ptr pending;  // raised at the next resume (kill, throw, delivered errors)
  eh_state eh;                 // saved while switched out
  wait_spec wait;              // valid while blocked
  waiter own;                  // node for single waits
  timer_node timer;            // deadline of the current wait
  entry_fn entry;

  stack_area stack;            // guarded: its own mapping
  char* image = nullptr;       // dense: the saved part of the shared stack
  std::size_t image_size = 0;
  std::size_t image_cap = 0;
  std::size_t image_high = 0;

  std::uint64_t id = 0;
  std::unique_ptr<char[]> name;  // null when unnamed; a pointer keeps idle tasklets small

  const char* name_or(const char* fallback) const noexcept { return name ? name.get() : fallback; }
  void set_name(std::string_view n) {
    if (n.empty()) {
      name.reset();
      return;
    }
    name = std::make_unique<char[]>(n.size() + 1);
    n.copy(name.get(), n.size());
    name[n.size()] = '\0';
  }
  local_slots* locals = nullptr;
#ifdef WEFT_ASAN
  void* asan_fake = nullptr;
#endif
#ifdef WEFT_TSAN
  void* tsan_fiber = nullptr;  // the thread's own fiber for main
#endif
};

inline void add_ref(tasklet_impl* t) noexcept { t->refs.fetch_add(1, std::memory_order_relaxed); }
void release(tasklet_impl* t) noexcept;

}  // namespace weft::detail
