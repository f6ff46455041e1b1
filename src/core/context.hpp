// The one place weft touches Boost.Context: raw fcontext jumps, plus the declarations of the
// sanitizer annotations every stack switch needs (used in sanitizer.hpp). Everything above
// this file is weft's own.
//
// Invariants:
//  - A jump hands over `transfer_t::data` = the tasklet_impl* that was running before the
//    jump; the resumed side stores `transfer_t::fctx` into that tasklet's saved context
//    (see scheduler::on_resume). Nothing else writes saved contexts.
//  - Every jump is bracketed by start/finish_switch_fiber when ASan is on, so ASan always
//    knows which stack is live; a finished tasklet passes a null fake-stack slot so ASan
//    frees its fake frames. Under TSan every jump is preceded by a switch to the target's
//    fiber.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>

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

// The jump itself is the hot path's (weft/detail/hot_path.hpp, which says why it is not a call).
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

}  // namespace weft::detail
