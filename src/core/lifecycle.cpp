// Birth and death: of the scheduler (one per thread, made on first use, unwinding its
// tasklets when the thread exits) and of tasklets (control blocks, stacks, the list of all
// tasklets, the cache of spare control blocks).
//
// Invariants:
//  - live_ counts the tasklets in the all_next/all_prev list (main included); a tasklet
//    leaves it in finalize(), after the last switch away from it.
//  - spare_ holds destroyed, unfreed control blocks of this thread, at most max_spare.
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "core/check.hpp"
#include "core/local_slots.hpp"
#include "core/sanitizer.hpp"
#include "core/scheduler_impl.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {

thread_local std::unique_ptr<scheduler_impl> t_scheduler_owner;
// Set when this thread's scheduler has been destroyed (thread exit). Trivially destructible,
// so it is still valid in the destructors that run after that one.
constinit thread_local bool t_scheduler_gone = false;

}  // namespace

// The last reference went: the control block goes to this thread's spares, or is freed.
[[gnu::noinline]] void destroy_released(tasklet_impl* t) noexcept {
  scheduler_impl* s = tls_scheduler;
  if (s && t->sched == s && !t->is_main && s->spare_.size() < scheduler_impl::max_spare) {
    t->~tasklet_impl();
    s->spare_.push_back(t);
    return;
  }
  delete t;
}

void release(tasklet_impl* t) noexcept {
  // A count of 1 is ours alone: nobody can add a reference without holding one, so the last
  // release (a finished tasklet whose handles are gone) needs no locked instruction.
  if (t->refs.load(std::memory_order_acquire) != 1 &&
      t->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  destroy_released(t);
}

scheduler_impl& create_scheduler() {
  if (tls_scheduler) return *tls_scheduler;
  if (t_scheduler_gone) {
    // The thread is ending (a static or thread_local destructor uses a channel or a mutex):
    // nothing would destroy a new scheduler, so this one is never destroyed. It stays
    // reachable from the registry, and it never takes a lock's bias (see lock_slow).
    auto* s = new scheduler_impl;
    s->afterlife_ = true;
    return *s;
  }
  t_scheduler_owner = std::make_unique<scheduler_impl>();
  return *tls_scheduler;
}

scheduler_impl::scheduler_impl() {
  tls_scheduler = this;
  main_ = new tasklet_impl;
  main_->refs.store(1, std::memory_order_relaxed);
  main_->sched = this;
  main_->is_main = true;
  main_->started = true;
  main_->state = tstate::runnable;
  main_->id = next_id_++;
  main_->set_name("main");
  san_main_created(main_);
  main_->own.task = main_;
  main_->timer.owner = main_;
  main_->rq_next = main_->rq_prev = main_;
  main_->all_next = main_->all_prev = main_;
  // The inline hot path (weft/detail/hot_path.hpp) reaches both through their first bases.
  WEFT_CHECK(static_cast<void*>(static_cast<tasklet_core*>(main_)) == static_cast<void*>(main_) &&
                 static_cast<void*>(static_cast<scheduler_core*>(this)) == static_cast<void*>(this),
             "tasklet_core and scheduler_core are at offset 0");
  check_context_layout();
  live_ = 1;
  current_ = head_ = main_;
  ring_size_ = 1;
  spare_.reserve(max_spare);
  eh_globals_ = reinterpret_cast<eh_state*>(abi::__cxa_get_globals());
  install_overflow_handler();
  register_self();
}

scheduler_impl::~scheduler_impl() {
  if (current_ == main_) unwind_all();
  unregister_self();
  discard_posts();
  if (main_->locals) destroy_locals(main_);
  unmap_stack(dense_stack_);
  unmap_stack(switcher_stack_);
  for (tasklet_impl* t : spare_) ::operator delete(t);
  spare_.clear();
  tls_scheduler = nullptr;
  t_scheduler_gone = true;
  main_->state = tstate::dead;
  release(main_);
  release_signal_stack();
}

// Thread exit: unwind every tasklet that ever ran, so its destructors run (Stackless kills
// tasklets with C state when their thread dies). A tasklet that blocks again while
// unwinding is retried a few times, then left (its stack is leaked, never reused).
void scheduler_impl::unwind_all() noexcept {
  for (int round = 0; round < 10 && live_ > 1; ++round) {
    std::vector<tasklet_impl*> victims;
    for (tasklet_impl* t = main_->all_next; t != main_; t = t->all_next) {
      add_ref(t);
      victims.push_back(t);
    }
    for (tasklet_impl* t : victims) {
      try {
        if (t->state != tstate::dead) throw_to(t, std::make_exception_ptr(tasklet_exit{}), false);
      } catch (...) {
      }
      release(t);
    }
  }
}

tasklet_impl* scheduler_impl::create(const spawn_options_view& o) {
  tasklet_impl* t;
  if (!spare_.empty()) {
    t = new (spare_.back()) tasklet_impl;
    spare_.pop_back();
  } else {
    t = new tasklet_impl;
  }
  t->sched = this;
  t->kind = o.stack;
  try {
    t->set_name(o.name);
    init_new(t, o.stack_size);
  } catch (...) {
    t->refs.store(1, std::memory_order_relaxed);
    release(t);
    throw;
  }
  return t;
}

void scheduler_impl::init_new(tasklet_impl* t, std::size_t stack_size) {
  t->id = next_id_++;
  t->own.task = t;
  t->timer.owner = t;
  if (t->kind == stack_kind::guarded) {
    t->stack = pool_.take(stack_size ? stack_size : default_stack_size);
#ifdef WEFT_ASAN
    __asan_unpoison_memory_region(t->stack.base, t->stack.usable());
#endif
    // Cache colouring: stacks are mapped 65 pages apart and every tasklet's first frames sit
    // at the same offset below its top, so they would all fall into the same few L1 sets
    // (and, by the luck of physical pages, the same L2 sets). Consecutive stacks start 64
    // bytes apart instead, across the top half of a page: 32 colours. Not across the whole
    // page: a tasklet blocked in recv uses about 1.3 KiB of stack, and an offset past half a
    // page would push a third of them onto a second page (memory per idle connection, and a
    // second page touched per wake-up).
    std::size_t colour = ((reinterpret_cast<std::uintptr_t>(t->stack.top) >> 12) & 31) << 6;
    t->ctx = make_context(t->stack.top - colour, t->stack.usable() - colour, &entry_point);
  }
  san_tasklet_created(t);
  t->all_prev = main_->all_prev;
  t->all_next = main_;
  main_->all_prev->all_next = t;
  main_->all_prev = t;
  ++live_;
}

void scheduler_impl::start(tasklet_impl* t, bool schedule) {
  if (schedule) {
    make_runnable(t);
  } else {
    t->state = tstate::fresh;
  }
}

void scheduler_impl::finalize(tasklet_impl* t) noexcept {
  san_tasklet_finalized(t);
  if (t->kind == stack_kind::guarded) {
    pool_.give(t->stack);
    t->stack = stack_area{};
  } else {
    std::free(t->image);
    t->image = nullptr;
    t->image_cap = t->image_size = 0;
    if (dense_occupant_ == t) dense_occupant_ = nullptr;
  }
  t->all_prev->all_next = t->all_next;
  t->all_next->all_prev = t->all_prev;
  t->all_next = t->all_prev = nullptr;
  --live_;
  release(t);
}

void scheduler_impl::finish_unstarted(tasklet_impl* t) noexcept {
  ring_unlink(t);
  t->state = tstate::dead;
  t->entry.reset();
  finalize(t);
}

const stack_area* scheduler_impl::stack_of(tasklet_impl* t) const noexcept {
  if (t->is_main) return nullptr;
  return t->kind == stack_kind::dense ? &dense_stack_ : &t->stack;
}

std::size_t scheduler_impl::high_water(tasklet_impl* t) const noexcept {
  if (t->is_main) return 0;
  if (t->kind == stack_kind::dense) {
    std::size_t now = 0;
    if (t == current_ || t == dense_occupant_) now = stack_high_water(dense_stack_);
    return std::max(t->image_high, now);
  }
  return stack_high_water(t->stack);
}

}  // namespace weft::detail
