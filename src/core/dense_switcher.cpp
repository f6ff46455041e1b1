// The dense-stack switcher: dense tasklets share one stack, and switching to one whose image
// is not on it goes through a small context on its own stack that saves the occupant's used
// part to the heap and copies the target's back (see the essay in scheduler.cpp).
//
// Invariants:
//  - dense_occupant_ is the dense tasklet whose frames are on the shared stack, or null;
//    its saved image is stale until the switcher copies it off again.
//  - The switcher's context is made anew for every use and never resumed.
// Compiled with -mno-red-zone, as every file that jumps (context.hpp).
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/check.hpp"
#include "core/sanitizer.hpp"
#include "core/scheduler_impl.hpp"

namespace weft::detail {

namespace {

#if defined(__x86_64__)
// Copies a stack image without ASan's memcpy interceptor, which would flag the redzones of
// frames that belong to the tasklet being saved.
void raw_copy(void* dst, const void* src, std::size_t n) noexcept {
  asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
#else
void raw_copy(void* dst, const void* src, std::size_t n) noexcept { std::memcpy(dst, src, n); }
#endif

}  // namespace

// Called by the switch path once current_ is the dense target; returns when `prev` resumes.
[[gnu::noinline]] void scheduler_impl::switch_via_switcher(tasklet_impl* prev) {
  if (!switcher_stack_) switcher_stack_ = map_stack(64 * 1024);
  san_before_switcher(prev, current_, switcher_stack_);
  fcontext sw = make_context(switcher_stack_.top, switcher_stack_.usable(), &switcher_entry);
  on_resume(jump(sw, prev));
}

// Runs on its own small stack: saves the shared stack's occupant, lays out the target
// dense tasklet there, and jumps to it. It is abandoned after each use (made anew each time).
WEFT_SAN_NO_RETURN_FRAME void scheduler_impl::switcher_entry(transfer t) {
  scheduler_impl* s = tls_scheduler;
  auto* prev = static_cast<tasklet_impl*>(t.data);
  san_resumed(nullptr, prev, t.fctx);
  if (prev && prev->state != tstate::dead) prev->ctx = t.fctx;
  tasklet_impl* next = s->current_;
  if (!s->dense_stack_) s->dense_stack_ = map_stack(dense_stack_size);
  char* top = s->dense_stack_.top;
  tasklet_impl* occ = s->dense_occupant_;
  if (occ && occ != next && occ->state != tstate::dead) {
    auto* sp = static_cast<char*>(occ->ctx);
    std::size_t used = static_cast<std::size_t>(top - sp);
    if (used > occ->image_cap) {
      std::free(occ->image);
      occ->image = static_cast<char*>(std::malloc(used));
      if (!occ->image) fatal("out of memory saving a dense tasklet's stack");
      occ->image_cap = used;
    }
    raw_copy(occ->image, sp, used);
    occ->image_size = used;
    occ->image_high = std::max(occ->image_high, used);
  }
  san_dense_layout(s->dense_stack_);
  if (next->ctx == nullptr) {
    next->ctx = make_context(top, s->dense_stack_.usable(), &entry_point);
  } else {
    char* sp = top - next->image_size;
    raw_copy(sp, next->image, next->image_size);
    // Keep small images; let a tasklet that once went deep give its memory back.
    if (next->image_cap > 4096 && next->image_size < next->image_cap / 4) {
      std::free(next->image);
      next->image = nullptr;
      next->image_cap = 0;
    }
  }
  s->dense_occupant_ = next;
  san_leave_switcher(s->dense_stack_);
  jump(next->ctx, prev && prev->state == tstate::dead ? prev : nullptr);
  fatal("the stack switcher was resumed");
}

}  // namespace weft::detail
