// The idle point: what the scheduler does when the running tasklet leaves the run queue and
// the next one is not simply at hand. It runs on the stack of the tasklet that left (there is
// no scheduler tasklet): due timers fire, posts from other threads are drained, be_nice()
// waiters get a new round, run() callers are put back, and the thread sleeps in the reactor
// with the next timer as its timeout.
//
// Invariants:
//  - find_next() returns a tasklet in the ring (head_), or null only when nothing can ever
//    wake the current tasklet (the caller then raises deadlock_error in it).
//  - sleeping_ is true only inside the reactor's poll, so a post from another thread that
//    sees it false knows this thread will look at has_remote_ before sleeping.
#include <algorithm>
#include <chrono>

#include "core/check.hpp"
#include "core/scheduler_impl.hpp"
#include "core/threads.hpp"
#include "weft/error.hpp"

namespace weft::detail {

void scheduler_impl::leave_and_switch(bool finishing) {
  tasklet_impl* next = find_next(finishing);
  if (next == nullptr) {
    // Deadlock, and the current tasklet is the one blocking: undo its wait and say so.
    tasklet_impl* cur = current_;
    bool unlinked = cancel_wait(cur);
    end_wait(cur, wake_reason::signaled);
    head_ = cur;
    if (unlinked)
      throw deadlock_error("Deadlock: the last runnable tasklet cannot be blocked.");
    return;
  }
  switch_to(next);
}

tasklet_impl* scheduler_impl::find_next(bool finishing) {
  for (;;) {
    if (has_remote_.load(std::memory_order_acquire)) drain_remote();
    if (!timers_.empty()) fire_timers(std::chrono::steady_clock::now());
    if (head_) {
      WEFT_CHECK(head_->state == tstate::runnable, "a tasklet in the run queue is not runnable");
      return head_;
    }
    if (!nice_.empty()) {
      // A new round for tasklets waiting in be_nice().
      while (waiter* w = nice_.pop_front()) end_wait(w->task, wake_reason::signaled);
      continue;
    }
    run_frame* f = frames_.empty() ? nullptr : frames_.back();
    bool local = !timers_.empty() || (reactor_ && reactor_->waiting() > 0);
    bool external = external_wakeup_held();
    if (f && !local && !external) {
      // run_threadblock() returns once every tasklet but the run() callers (and main) has
      // finished; a finishing tasklet is still counted in live_ until it is finalized.
      std::size_t others = live_ - (finishing ? 1 : 0) - frames_.size();
      if (std::none_of(frames_.begin(), frames_.end(), [&](run_frame* fr) { return fr->caller == main_; }))
        --others;
      if (!f->threadblock || others == 0) {
        make_runnable(f->caller);
        continue;
      }
    }
    // Stackless's revive_main: a main that paused itself (schedule_remove(), switch_to())
    // is put back quietly once nothing else can run; deadlock_error is for a main that
    // waits (below).
    if (main_->state == tstate::paused && !local && !external && !(f && f->threadblock) &&
        std::none_of(frames_.begin(), frames_.end(), [&](run_frame* fr) { return fr->caller == main_; })) {
      make_runnable(main_);
      continue;
    }
    if (local || external || (f && f->threadblock)) {
      int timeout = -1;
      auto now = std::chrono::steady_clock::now();
      if (!timers_.empty()) {
        auto when = timers_.top()->when;
        if (when <= now) continue;
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
        timeout = static_cast<int>(std::min<long long>(ms, 1 << 30));
      }
      // run_for's budget bounds idle time too: past it, the frame's caller gets control.
      if (f && f->has_budget) {
        if (now >= f->budget_end) {
          f->has_budget = false;
          make_runnable(f->caller);
          continue;
        }
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(f->budget_end - now).count();
        if (timeout < 0 || ms < timeout) timeout = static_cast<int>(ms);
      }
      if (external && timeout < 0) timeout = 100;  // holds may end without a post
      idle_wait(timeout);
      continue;
    }
    // Nothing here can wake anything. Another thread still might (deadlock.cpp).
    if (park_while_others_may_post()) continue;
    if (!finishing) return nullptr;
    wake_main_deadlocked();
  }
}

void scheduler_impl::fire_timers(std::chrono::steady_clock::time_point now) {
  while (!timers_.empty() && timers_.top()->when <= now) {
    timer_node* n = timers_.top();
    timers_.disarm(n);
    auto* t = static_cast<tasklet_impl*>(n->owner);
    if (t->state != tstate::blocked) continue;
    bool unlinked = cancel_wait(t);
    end_wait(t, unlinked ? wake_reason::timed_out : wake_reason::signaled);
  }
}

reactor& scheduler_impl::io() {
  if (!reactor_) reactor_ = std::make_unique<reactor>();
  return *reactor_;
}

namespace {
void on_io_ready(void* ctx, waiter* w, io_status status) {
  auto* s = static_cast<scheduler_impl*>(ctx);
  if (!claim(w)) return;  // a select that another case already won
  w->result = static_cast<std::uint8_t>(status);
  w->linked = false;
  s->end_wait(w->task, wake_reason::signaled);
}
}  // namespace

void scheduler_impl::idle_wait(int timeout_ms) {
  reactor& r = io();
  sleeping_.store(true, std::memory_order_seq_cst);
  if (has_remote_.load(std::memory_order_seq_cst)) {
    sleeping_.store(false, std::memory_order_relaxed);
    return;
  }
  try {
    r.poll(timeout_ms, &on_io_ready, this);
  } catch (...) {
    sleeping_.store(false, std::memory_order_relaxed);
    throw;
  }
  sleeping_.store(false, std::memory_order_relaxed);
}

void scheduler_impl::poll_now() {
  if (has_remote_.load(std::memory_order_acquire)) drain_remote();
  if (!timers_.empty()) fire_timers(std::chrono::steady_clock::now());
  if (reactor_ && reactor_->waiting() > 0) poll_reactor();
  while (waiter* w = nice_.pop_front()) end_wait(w->task, wake_reason::signaled);
}

}  // namespace weft::detail
