// The scheduler's same-thread hot path, inline: the part of a tasklet's control block and of
// its scheduler that a channel rendezvous touches, the run-queue operations and the switch.
// Channels compile their common case (partner blocked on the same thread, no deadline, no
// hook, no sanitizer) down to a few dozen instructions and one stack jump, with no call
// between the caller's code and the jump: every `ret` executed after a switch returns through
// frames the CPU's return predictor has never seen, so each call level there cost a
// misprediction per switch. Everything else goes out of line to the scheduler (scheduler.cpp),
// which owns these fields and keeps every guarantee: remote partners, deadlines, kills,
// budgets, hooks, dense stacks and sanitizers.
//
// Invariants:
//  - tasklet_core is the first (and only) base of tasklet_impl, scheduler_core the first of
//    scheduler_impl, both at offset 0 (checked when a scheduler is made); the fields are the
//    scheduler's and only its own thread touches them.
//  - A lock still biased to the calling thread (biased_lock::biased_to(), a bias_hold, or
//    lock_guard::biased()) means every waiter on the object belongs to this thread, and
//    nothing can switch between unlinking a waiter and waking it: its tasklet is blocked in
//    exactly that wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <type_traits>

#include "weft/detail/stack_jump.hpp"
#include "weft/detail/timer_heap.hpp"
#include "weft/detail/wait.hpp"
#include "weft/tasklet.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT_HOT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_HOT_SANITIZED 1
#endif
#endif

#define WEFT_HOT [[gnu::always_inline]] inline

namespace weft::detail {

enum class tstate : std::uint8_t {
  fresh,     // bound, never ran, not in the run queue (paused)
  runnable,  // in the run queue (the running tasklet too)
  blocked,   // waiting: channel, timer, fd, lock ... (`wait` says on what)
  paused,    // alive, neither runnable nor blocked
  dead,      // finished; its stack is released once the switch away from it completed
};

// The C++ runtime's per-thread exception bookkeeping (the Itanium ABI's __cxa_eh_globals:
// the stack of exceptions being handled, and the uncaught count). It belongs to a tasklet,
// not to the thread: a tasklet that switches away inside a catch block must find its own
// exception there for `throw;` and std::current_exception() when it resumes.
struct eh_state {
  void* caught = nullptr;
  unsigned int uncaught = 0;
};

// At a switch from `out` to `in`: hands the thread's exception bookkeeping over. Invariant:
// the running tasklet's own `eh` is empty, a switched-out one's holds what it had, so when
// neither side has anything (almost every switch) nothing is written at all.
WEFT_HOT void swap_eh(eh_state& out, eh_state* globals, eh_state& in) noexcept {
  if ((globals->caught != nullptr) | (globals->uncaught != 0) | (in.caught != nullptr) |
      (in.uncaught != 0)) [[unlikely]] {
    out = *globals;
    *globals = in;
    in = eh_state{};
  }
}

// The hot fields of a tasklet (tasklet_impl.hpp has the rest). Owner: the tasklet's
// scheduler thread, except `refs` (tasklet_impl) which any thread may touch.
struct tasklet_core {
  // Run-queue ring links.
  tasklet_impl* rq_next = nullptr;
  tasklet_impl* rq_prev = nullptr;
  scheduler_impl* sched = nullptr;  // immutable
  void* ctx = nullptr;              // saved context while switched out; null before start
  tstate state = tstate::fresh;
  stack_kind kind = stack_kind::guarded;
  bool is_main = false;
  bool started = false;
  bool block_trap = false;
  // A throw or kill cancelled the current wait before it completed. If a wait completed
  // and only then was the tasklet thrown to, the blocking call returns its result and the
  // exception is raised at the next switch point, so nothing handed over is lost.
  bool wait_aborted = false;
  wake_reason reason = wake_reason::signaled;
  std::uint16_t atomic = 0;    // weft::atomic scopes entered and not left: a switch is an error
  std::uint32_t wait_seq = 0;  // bumped whenever a wait ends, so stale remote wakes are ignored
  std::exception_ptr pending;  // raised at the next resume (kill, throw, delivered errors)
  eh_state eh;                 // saved while switched out; empty while running (swap_eh)
  wait_spec wait;              // valid while blocked; stale (never cleared) otherwise
  waiter own;                  // node for single waits
  timer_node timer;            // deadline of the current wait
};

// The hot fields of a scheduler (scheduler_impl.hpp has the rest and the invariants of the
// run queue). Owner: the scheduler's thread, except `has_remote_` (any thread sets it).
struct scheduler_core {
  tasklet_impl* current_ = nullptr;
  tasklet_impl* head_ = nullptr;  // next to run when current_ is out of the ring
  int ring_size_ = 0;
  bool watch_budget_ = false;  // some run frame has a budget: check it at switch points
  bool switch_hook_ = false;   // a schedule callback is installed
  unsigned poll_countdown_ = 64;
  eh_state* eh_globals_ = nullptr;  // this thread's __cxa_eh_globals
  tasklet_impl* dense_occupant_ = nullptr;
  std::atomic<bool> has_remote_{false};
  // Every switch between two tasklets; the owner writes it, the hook's stall monitor reads it
  // racily (a torn or stale read only delays a report).
  std::uint64_t switches_ = 0;
  timer_heap timers_;
};

WEFT_HOT tasklet_core* core(tasklet_impl* t) noexcept { return reinterpret_cast<tasklet_core*>(t); }
WEFT_HOT scheduler_core* core(scheduler_impl* s) noexcept {
  return reinterpret_cast<scheduler_core*>(s);
}
WEFT_HOT tasklet_impl* impl(tasklet_core* t) noexcept { return reinterpret_cast<tasklet_impl*>(t); }

// The out-of-line halves (scheduler.cpp).
void switch_slow(scheduler_impl* s, tasklet_impl* next);            // hooks, dense, sanitizers
void finalize_dead(scheduler_impl* s, tasklet_impl* dead) noexcept;  // after switching away
void leave_slow(scheduler_impl* s);  // timers, remote posts, idling, deadlock
[[noreturn]] void raise_pending_of(tasklet_impl* t);
void yield_after_operation(scheduler_impl* s);  // schedule_all: the caller yields too
void disarm_timer(scheduler_impl* s, tasklet_impl* t) noexcept;

// --- the run queue ------------------------------------------------------------------------

WEFT_HOT void ring_insert_before(scheduler_core* s, tasklet_impl* pos, tasklet_impl* t) noexcept {
  tasklet_core* p = core(pos);
  tasklet_core* c = core(t);
  c->rq_next = pos;
  c->rq_prev = p->rq_prev;
  core(p->rq_prev)->rq_next = t;
  p->rq_prev = t;
  ++s->ring_size_;
}

WEFT_HOT void ring_unlink(scheduler_core* s, tasklet_impl* t) noexcept {
  tasklet_core* c = core(t);
  if (c->rq_next == nullptr) return;
  if (c->rq_next == t) {
    s->head_ = nullptr;
  } else {
    if (s->head_ == t) s->head_ = c->rq_next;
    core(c->rq_prev)->rq_next = c->rq_next;
    core(c->rq_next)->rq_prev = c->rq_prev;
  }
  c->rq_next = c->rq_prev = nullptr;
  --s->ring_size_;
}

// Appends `t` at the end of the run queue (a no-op for one already in it).
WEFT_HOT void make_runnable(scheduler_core* s, tasklet_impl* t) noexcept {
  tasklet_core* c = core(t);
  c->state = tstate::runnable;
  if (c->rq_next) return;
  if (s->head_ == nullptr) {
    c->rq_next = c->rq_prev = t;
    s->head_ = t;
    ++s->ring_size_;
  } else {
    ring_insert_before(s, s->head_, t);
  }
}

// Puts `t` right after the current tasklet (first, if the current one left the ring).
WEFT_HOT void make_runnable_next(scheduler_core* s, tasklet_impl* t) noexcept {
  tasklet_core* c = core(t);
  if (c->rq_next) ring_unlink(s, t);
  c->state = tstate::runnable;
  if (s->head_ == nullptr) {
    make_runnable(s, t);
  } else if (core(s->current_)->rq_next != nullptr && s->head_ == s->current_) {
    ring_insert_before(s, core(s->current_)->rq_next, t);
  } else {
    ring_insert_before(s, s->head_, t);
    s->head_ = t;
  }
}

// --- switching ------------------------------------------------------------------------------

WEFT_HOT void switch_hot(scheduler_core* s, tasklet_impl* next) {
  tasklet_impl* prev = s->current_;
  s->head_ = next;
  if (next == prev) return;
#ifdef WEFT_HOT_JUMP
#ifndef WEFT_HOT_SANITIZED
  tasklet_core* n = core(next);
  if (!s->switch_hook_ && (n->kind != stack_kind::dense || n->is_main || s->dense_occupant_ == next))
      [[likely]] {
    tasklet_core* p = core(prev);
    s->current_ = next;
    ++s->switches_;
    swap_eh(p->eh, s->eh_globals_, n->eh);
    jump_result r = jump_to(n->ctx, prev);
    // Resumed: whoever ran before us hands itself over.
    auto* from = static_cast<tasklet_impl*>(r.data);
    if (from) [[likely]] {
      if (core(from)->state == tstate::dead) [[unlikely]]
        finalize_dead(reinterpret_cast<scheduler_impl*>(s), from);
      else
        core(from)->ctx = r.fctx;
    }
    return;
  }
#endif
#endif
  switch_slow(reinterpret_cast<scheduler_impl*>(s), next);
}

// The current tasklet has left the ring: run the next one.
WEFT_HOT void leave_hot(scheduler_core* s) {
  if (s->head_ != nullptr && s->timers_.empty() && !s->has_remote_.load(std::memory_order_relaxed))
      [[likely]] {
    switch_hot(s, s->head_);
    return;
  }
  leave_slow(reinterpret_cast<scheduler_impl*>(s));
}

// --- waits ------------------------------------------------------------------------------------

// blocked -> runnable at the end of the run queue, with `why` as the wait's outcome.
WEFT_HOT void end_wait_hot(scheduler_core* s, tasklet_impl* t, wake_reason why) noexcept {
  tasklet_core* c = core(t);
  c->reason = why;
  ++c->wait_seq;
  if (c->timer.armed()) [[unlikely]] disarm_timer(reinterpret_cast<scheduler_impl*>(s), t);
  make_runnable(s, t);
}

// Wakes `t`, this thread's tasklet, blocked in the wait that was just completed for it; the
// caller holds no lock. wake() in wait.hpp's terms, once the token was found current.
WEFT_HOT void wake_local(scheduler_core* s, tasklet_impl* t, wake_mode mode) {
  if (mode == wake_mode::append) {  // the default for a receive: decided without looking further
    end_wait_hot(s, t, wake_reason::signaled);
    return;
  }
  tasklet_core* cur = core(s->current_);
  bool cur_runs = cur->rq_next != nullptr;
  if (cur->atomic) [[unlikely]] mode = wake_mode::append;  // the operation completes; no switch
  if (mode == wake_mode::switch_now && cur_runs) {
    tasklet_core* c = core(t);
    c->reason = wake_reason::signaled;
    ++c->wait_seq;
    if (c->timer.armed()) [[unlikely]] disarm_timer(reinterpret_cast<scheduler_impl*>(s), t);
    make_runnable_next(s, t);
    switch_hot(s, t);
    return;  // the handoff completed: a kill meanwhile lands at the next switch point
  }
  end_wait_hot(s, t, wake_reason::signaled);
  if (mode == wake_mode::append_and_yield && cur_runs) [[unlikely]]
    yield_after_operation(reinterpret_cast<scheduler_impl*>(s));
}

// The calling thread's scheduler; null before the thread first used weft.
WEFT_HOT scheduler_core* this_core() noexcept { return core(tls_scheduler); }

// True if the current tasklet runs on the shared (dense) stack (on_shared_stack()).
WEFT_HOT bool on_shared_stack_hot(scheduler_core* s) noexcept {
  if (s == nullptr) return false;
  tasklet_core* t = core(s->current_);
  return t->kind == stack_kind::dense && !t->is_main;
}

// The current tasklet's own waiter node, reset for a new wait (own_waiter() in wait.hpp).
// Only what a wait reads before its owner sets it: the links are written by the queue that
// takes the node and cleared by whoever unlinks it, `slot`/`event` and `fd` by the wait that
// uses them, and `sel` is never set on an own node (a select uses heap nodes).
WEFT_HOT waiter& own_waiter_hot(scheduler_core* s) noexcept {
  tasklet_core* t = core(s->current_);
  waiter& w = t->own;
  w.linked = false;
  w.result = 0;
  w.queue_tag = 0;
  w.seq = t->wait_seq;
  return w;
}

// block(): the common case (no deadline) inline, the rest out of line. `g` is a lock_guard
// or a bias_hold.
template <class Guard>
WEFT_HOT wake_reason block_hot(scheduler_core* s, Guard& g, const wait_kind& kind, void* owner,
                               deadline until) {
  tasklet_impl* me = s->current_;
  tasklet_core* cur = core(me);
  if (until != forever || cur->block_trap || cur->pending || cur->atomic || s->watch_budget_)
      [[unlikely]] {
    if constexpr (std::is_same_v<Guard, bias_hold>) {
      lock_guard held = g.adopt();
      return block(held, kind, owner, until);
    } else {
      return block(g, kind, owner, until);
    }
  }
  cur->wait.kind = &kind;
  cur->wait.owner = owner;
  cur->wait.fd = -1;
  cur->wait_aborted = false;
  cur->state = tstate::blocked;
  cur->reason = wake_reason::signaled;
  ring_unlink(s, me);
  g.unlock();
  leave_hot(s);
  if (cur->timer.armed()) [[unlikely]] disarm_timer(reinterpret_cast<scheduler_impl*>(s), me);
  if (cur->pending && cur->wait_aborted) [[unlikely]] raise_pending_of(me);
  return cur->reason;
}

}  // namespace weft::detail
