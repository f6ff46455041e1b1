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

// jump_fcontext leaves by `jmp *%r8`, not `ret`, so a plain `call` to it leaves an entry on
// the CPU's return-stack predictor that is never popped: after every switch each return up
// the resumed tasklet's call chain was mispredicted (3-4 per yield, two thirds of its cost).
// On x86-64 we therefore enter it with push+jmp, which keeps the predictor in step. The
// frame is 16-byte aligned; r12 (callee-saved, so restored by the jump back) remembers the
// stack pointer. Files that include this are compiled with -mno-red-zone (CMakeLists.txt),
// so nothing lives below the stack pointer that the pushes could overwrite.
inline transfer jump(fcontext to, void* data) noexcept {
#if defined(__x86_64__) && defined(__linux__)
  register void* rdi asm("rdi") = to;
  register void* rsi asm("rsi") = data;
  void* fctx;
  void* out;
  asm volatile(
      "mov %%rsp, %%r12\n\t"
      "and $-16, %%rsp\n\t"
      "lea 1f(%%rip), %%rax\n\t"
      "push %%rax\n\t"
      "jmp jump_fcontext@PLT\n\t"
      "1:\n\t"
      "mov %%r12, %%rsp\n\t"
      : "=a"(fctx), "=d"(out), "+D"(rdi), "+S"(rsi)
      :
      : "rcx", "r8", "r9", "r10", "r11", "r12", "memory", "cc", "xmm0", "xmm1", "xmm2",
        "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15");
  return transfer{fctx, out};
#else
  return boost::context::detail::jump_fcontext(to, data);
#endif
}

inline fcontext make_context(void* stack_top, std::size_t size, void (*entry)(transfer)) noexcept {
  return boost::context::detail::make_fcontext(stack_top, size, entry);
}

}  // namespace weft::detail
