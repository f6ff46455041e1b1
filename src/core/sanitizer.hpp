// Sanitizer glue for stack switches, in one place: scheduler.cpp calls san_before_jump()
// right before every jump and san_resumed() right after it; the dense-stack switcher has its
// own hooks. Without a sanitizer every function here is empty.
//
// AddressSanitizer: start/finish_switch_fiber tell it which stack is live. The shared dense
// stack holds one tasklet's frames at a time, but its shadow memory outlives them: the
// redzones of a tasklet's frames stay poisoned after its image is copied off, and an
// instrumented prologue writes only the redzone bytes of its frame, trusting the rest to be
// clean. So the switcher unpoisons, before it lays out a tasklet, the part of the shared
// stack that frames have used since the last layout: everything above the lowest stack
// pointer a dense tasklet left the stack at (frames only live above it).
//
// ThreadSanitizer: each tasklet is a TSan fiber, created with it, named after it, switched to
// before every jump and destroyed when the tasklet is finalized, so a report names the
// tasklet that made each access; a switch orders the two tasklets' accesses, as the
// cooperative scheduler does.
#pragma once

#include <cstddef>
#include <cstdio>

#include "core/context.hpp"
#include "core/scheduler_impl.hpp"

// On a function that never returns (it jumps away for good, like the switcher): TSan must
// not push a frame for it on the fiber's shadow stack, where nothing would ever pop it.
#ifdef WEFT_TSAN
#define WEFT_SAN_NO_RETURN_FRAME __attribute__((disable_sanitizer_instrumentation))
#else
#define WEFT_SAN_NO_RETURN_FRAME
#endif

namespace weft::detail {

#ifdef WEFT_ASAN
inline thread_local const void* t_main_stack_bottom = nullptr;
inline thread_local std::size_t t_main_stack_size = 0;
// Lowest stack pointer a dense tasklet left the shared stack at since the last layout; null
// while the shared stack's shadow is clean.
inline thread_local char* t_dense_dirty = nullptr;

inline void asan_note_left(tasklet_impl* from, void* sp) noexcept {
  if (from == nullptr || from->is_main || from->kind != stack_kind::dense) return;
  auto* p = static_cast<char*>(sp);
  if (t_dense_dirty == nullptr || p < t_dense_dirty) t_dense_dirty = p;
}

inline void asan_finish(tasklet_impl* now, tasklet_impl* from, void* from_sp) noexcept {
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(now ? now->asan_fake : nullptr, &bottom, &size);
  if (from && from->is_main) {
    t_main_stack_bottom = bottom;
    t_main_stack_size = size;
  }
  asan_note_left(from, from_sp);
}
#endif

#ifdef WEFT_TSAN
inline void tsan_name(tasklet_impl* t) noexcept {
  char name[64];
  std::snprintf(name, sizeof name, "tasklet %llu %s", static_cast<unsigned long long>(t->id),
                t->name_or("(unnamed)"));
  __tsan_set_fiber_name(t->tsan_fiber, name);
}
#endif

// Before jumping from `from` straight to `to` (on its own stack, or on the shared stack it
// occupies).
inline void san_before_jump(tasklet_impl* from, tasklet_impl* to, const scheduler_impl& s) noexcept {
#ifdef WEFT_ASAN
  const void* bottom = t_main_stack_bottom;
  std::size_t size = t_main_stack_size;
  if (!to->is_main) {
    const stack_area& stack = to->kind == stack_kind::dense ? s.dense_stack() : to->stack;
    bottom = stack.base;
    size = stack.usable();
  }
  __sanitizer_start_switch_fiber(from && from->state != tstate::dead ? &from->asan_fake : nullptr,
                                 bottom, size);
#endif
#ifdef WEFT_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  (void)from, (void)to, (void)s;
}

// Right after a jump resumed `now`; `from` left its stack at `from_sp`.
inline void san_resumed(tasklet_impl* now, tasklet_impl* from, void* from_sp) noexcept {
#ifdef WEFT_ASAN
  asan_finish(now, from, from_sp);
#endif
  (void)now, (void)from, (void)from_sp;
}

// Before the jump to the switcher, on its own stack, on the way to `to`: TSan sees the
// switcher's work as `to`'s (its calls all return before it jumps on).
inline void san_before_switcher(tasklet_impl* from, tasklet_impl* to, const stack_area& switcher) noexcept {
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(from->state != tstate::dead ? &from->asan_fake : nullptr,
                                 switcher.base, switcher.usable());
#endif
#ifdef WEFT_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  (void)from, (void)to, (void)switcher;
}

// In the switcher, before it writes a tasklet's image onto the shared stack.
inline void san_dense_layout(const stack_area& dense) noexcept {
#ifdef WEFT_ASAN
  if (t_dense_dirty != nullptr) {
    char* lo = t_dense_dirty < dense.base ? dense.base : t_dense_dirty;
    if (lo < dense.top) __asan_unpoison_memory_region(lo, static_cast<std::size_t>(dense.top - lo));
    t_dense_dirty = nullptr;
  }
#endif
  (void)dense;
}

// The switcher's last step before it jumps onto the shared stack.
inline void san_leave_switcher(const stack_area& dense) noexcept {
#ifdef WEFT_ASAN
  __sanitizer_start_switch_fiber(nullptr, dense.base, dense.usable());
#endif
  (void)dense;
}

// The thread's main tasklet runs on the thread's own stack and TSan fiber.
inline void san_main_created(tasklet_impl* main) noexcept {
#ifdef WEFT_TSAN
  main->tsan_fiber = __tsan_get_current_fiber();
  tsan_name(main);
#endif
  (void)main;
}

inline void san_tasklet_created(tasklet_impl* t) noexcept {
#ifdef WEFT_ASAN
  if (t->stack) __asan_unpoison_memory_region(t->stack.base, t->stack.usable());
#endif
#ifdef WEFT_TSAN
  t->tsan_fiber = __tsan_create_fiber(0);
  tsan_name(t);
#endif
  (void)t;
}

inline void san_tasklet_renamed(tasklet_impl* t) noexcept {
#ifdef WEFT_TSAN
  if (t->tsan_fiber) tsan_name(t);
#endif
  (void)t;
}

// After the last switch away from `t` (or instead of its first).
inline void san_tasklet_finalized(tasklet_impl* t) noexcept {
#ifdef WEFT_TSAN
  if (!t->is_main && t->tsan_fiber) {
    __tsan_destroy_fiber(t->tsan_fiber);
    t->tsan_fiber = nullptr;
  }
#endif
  (void)t;
}

}  // namespace weft::detail
