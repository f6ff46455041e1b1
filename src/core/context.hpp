// Where weft meets Boost.Context: contexts are made by its make_fcontext on every platform;
// the jump between them is weft's own on x86-64 Linux (weft/detail/stack_jump.hpp, inline
// asm, Boost's saved-context layout) and Boost's jump_fcontext everywhere else and in the
// sanitizer builds. Plus the declarations of the sanitizer annotations every stack switch
// needs (used in sanitizer.hpp).
//
// Floating-point control state (MXCSR, the x87 control word) belongs to the thread, not to
// the tasklet, as in Go: a switch neither saves nor restores it, so a tasklet that changes
// the rounding mode or flush-to-zero changes it for whatever runs next on the thread, and
// restores it itself when it should not leak (docs/scheduler.md). weft's jump leaves it
// alone; Boost's x86-64 jump, which restores it from the target's context, is handed the
// thread's current words first. On other platforms it is whatever Boost's port does.
//
// Invariants:
//  - A jump hands over `transfer_t::data` = the tasklet_impl* that was running before the
//    jump; the resumed side stores `transfer_t::fctx` into that tasklet's saved context
//    (see scheduler::on_resume). Nothing else writes saved contexts.
//  - On x86-64, make_fcontext lays out a fresh context as stack_jump.hpp's table says
//    (check_context_layout(), when a scheduler is made).
//  - Every jump is bracketed by start/finish_switch_fiber when ASan is on, so ASan always
//    knows which stack is live; a finished tasklet passes a null fake-stack slot so ASan
//    frees its fake frames. Under TSan every jump is preceded by a switch to the target's
//    fiber.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>

#include "core/check.hpp"
#include "weft/detail/hot_path.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#ifdef WEFT_TSAN
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
void __tsan_set_fiber_name(void* fiber, const char* name);
}
#endif

#ifdef WEFT_ASAN
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, std::size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                     std::size_t* size_old);
void __asan_unpoison_memory_region(void const volatile* addr, std::size_t size);
}
#endif

namespace weft::detail {

using fcontext = boost::context::detail::fcontext_t;
using transfer = boost::context::detail::transfer_t;

// The jump itself is inline in the hot path (weft/detail/stack_jump.hpp says why it is not a
// call).
inline transfer jump(fcontext to, void* data) noexcept {
#ifdef WEFT_HOT_JUMP
  jump_result r = jump_to(to, data);
  return transfer{r.fctx, r.data};
#else
  return boost::context::detail::jump_fcontext(to, data);
#endif
}

inline fcontext make_context(void* stack_top, std::size_t size, void (*entry)(transfer)) noexcept {
  return boost::context::detail::make_fcontext(stack_top, size, entry);
}

// Aborts with a clear message if make_fcontext does not lay out a fresh context the way
// weft's jump reads it (a Boost.Context built with another layout, such as its CET shadow
// stack or TLS stack protector variants): 0x40 bytes below the aligned top, the entry
// function in rbx's slot.
inline void check_context_layout() {
#ifdef WEFT_HOT_JUMP
  alignas(16) char area[256];
  char* top = area + sizeof area;
  void (*entry)(transfer) = [](transfer) {};
  fcontext c = make_context(top, sizeof area, entry);
  bool ok = static_cast<char*>(c) == top - 0x40 &&
            static_cast<void**>(c)[5] == reinterpret_cast<void*>(entry);
  WEFT_CHECK(ok, "Boost.Context's make_fcontext lays out contexts as weft's jump expects");
#endif
}

}  // namespace weft::detail
