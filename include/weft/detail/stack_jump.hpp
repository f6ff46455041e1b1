// The stack jump: x86-64 SysV (ELF, Linux), inline asm. Every switch between tasklets is one
// jump_to(); src/core/context.hpp makes the contexts it jumps to (Boost.Context's
// make_fcontext) and says which build uses which jump.
//
// A saved context is the stack pointer of a switched-out flow, pointing at (Boost.Context
// 1.74's x86_64 SysV layout, which make_fcontext writes for a fresh context):
//
//   +0x00  MXCSR (4 bytes), x87 control word (2)   Boost's jump restores these; weft's skips them
//   +0x08  r12       +0x10  r13       +0x18  r14
//   +0x20  r15       +0x28  rbx       +0x30  rbp
//   +0x38  resume address (a fresh context: the trampoline that pushes rbp and jumps to rbx)
//
// The jump saves the callee-saved general registers and the resume address there, switches
// the stack pointer and jumps to the target's resume address with the old context in rax and
// rdi and `data` in rdx and rsi: a resumed jump_to returns them (rax:rdx), a fresh context's
// entry function takes them as its transfer_t argument (rdi:rsi).
//
// It is entered without a `call` and leaves by `jmp`: a call would leave an entry on the
// return-stack predictor that is never popped, and every return up the resumed tasklet's
// chain would be mispredicted. The first 128 bytes below the stack pointer are skipped (the
// red zone of a leaf function that inlined this); r12 keeps the old stack pointer.
//
// The floating-point control state (MXCSR: SSE rounding, flush-to-zero, exception masks;
// the x87 control word) belongs to the thread, as in Go: weft's jump leaves it alone
// (ldmxcsr and fldcw are microcoded and were most of a jump's cost), and the sanitizer
// builds' jump, Boost's, is handed the thread's current words so that it restores those
// (docs/scheduler.md, "Floating-point control state").
#pragma once

#if defined(__x86_64__) && defined(__linux__)

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT_JUMP_VIA_BOOST 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_JUMP_VIA_BOOST 1
#endif
#endif

// What the jump does not save: every other register is the caller's to lose, as across a
// call (the vector and mask registers, the x87 and MMX stack).
#ifdef __AVX512F__
#define WEFT_JUMP_AVX512_CLOBBERS                                                               \
  , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", \
      "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define WEFT_JUMP_AVX512_CLOBBERS
#endif
#define WEFT_JUMP_CLOBBERS                                                                       \
  "rcx", "r8", "r9", "r10", "r11", "r12", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", \
      "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",         \
      "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "mm0", "mm1",  \
      "mm2", "mm3", "mm4", "mm5", "mm6", "mm7" WEFT_JUMP_AVX512_CLOBBERS

namespace weft::detail {

struct jump_result {
  void* fctx;  // the context of the flow that jumped here (its saved stack pointer)
  void* data;  // what it handed over
};

// One stack jump to `to`, handing over `data`; returns when something jumps back.
[[gnu::always_inline]] inline jump_result jump_to(void* to, void* data) noexcept {
  register void* rdi asm("rdi") = to;
  register void* rsi asm("rsi") = data;
  void* fctx;
  void* out;
#ifndef WEFT_JUMP_VIA_BOOST
  asm volatile(
      "mov %%rsp, %%r12\n\t"
      "lea -128(%%rsp), %%rsp\n\t"
      "and $-16, %%rsp\n\t"
      "lea -0x40(%%rsp), %%rsp\n\t"
      "lea 1f(%%rip), %%rax\n\t"
      "mov %%rax, 0x38(%%rsp)\n\t"
      "mov %%r12, 0x08(%%rsp)\n\t"
      "mov %%r13, 0x10(%%rsp)\n\t"
      "mov %%r14, 0x18(%%rsp)\n\t"
      "mov %%r15, 0x20(%%rsp)\n\t"
      "mov %%rbx, 0x28(%%rsp)\n\t"
      "mov %%rbp, 0x30(%%rsp)\n\t"
      "mov %%rsp, %%rax\n\t"
      "mov %%rdi, %%rsp\n\t"
      "mov 0x08(%%rsp), %%r12\n\t"
      "mov 0x10(%%rsp), %%r13\n\t"
      "mov 0x18(%%rsp), %%r14\n\t"
      "mov 0x20(%%rsp), %%r15\n\t"
      "mov 0x28(%%rsp), %%rbx\n\t"
      "mov 0x30(%%rsp), %%rbp\n\t"
      "mov 0x38(%%rsp), %%r8\n\t"
      "lea 0x40(%%rsp), %%rsp\n\t"
      "mov %%rsi, %%rdx\n\t"
      "mov %%rax, %%rdi\n\t"
      "jmp *%%r8\n"
      "1:\n\t"
      "mov %%r12, %%rsp\n\t"
      : "=a"(fctx), "=d"(out), "+D"(rdi), "+S"(rsi)
      :
      : WEFT_JUMP_CLOBBERS);
#else
  // Boost's jump_fcontext, entered with push+jmp; it restores the target's control words
  // from +0x00, so they are first overwritten with the thread's current ones.
  asm volatile(
      "stmxcsr (%%rdi)\n\t"
      "fnstcw 4(%%rdi)\n\t"
      "mov %%rsp, %%r12\n\t"
      "lea -128(%%rsp), %%rsp\n\t"
      "and $-16, %%rsp\n\t"
      "lea 1f(%%rip), %%rax\n\t"
      "push %%rax\n\t"
      "jmp jump_fcontext@PLT\n\t"
      "1:\n\t"
      "mov %%r12, %%rsp\n\t"
      : "=a"(fctx), "=d"(out), "+D"(rdi), "+S"(rsi)
      :
      : WEFT_JUMP_CLOBBERS);
#endif
  return jump_result{fctx, out};
}

}  // namespace weft::detail

#define WEFT_HOT_JUMP 1
#undef WEFT_JUMP_CLOBBERS
#undef WEFT_JUMP_AVX512_CLOBBERS

#endif
