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
#include "weft/detail/timer_heap.hpp"
#include "weft/detail/callable.hpp"
#include "weft/detail/hot_path.hpp"
#include "weft/detail/wait.hpp"
#include "weft/tasklet.hpp"

namespace weft::detail {

struct local_slots;

// The hot fields (ring links, state, wait, saved context) are in tasklet_core
// (weft/detail/hot_path.hpp), which must stay the first and only base.
struct tasklet_impl : tasklet_core {
  // Every live tasklet of the scheduler, for dump_tasklets().
  tasklet_impl* all_next = nullptr;
  tasklet_impl* all_prev = nullptr;

  std::atomic<int> refs{2};  // any thread; born with the scheduler's and the spawn handle's
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
