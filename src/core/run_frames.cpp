// run(), run_for() and pump_for() frames, and the budgets that bound them. A frame's caller
// leaves the run queue and is put back when nothing else can run (idle.cpp decides when);
// a budget is checked at switch points, since weft never preempts.
//
// Invariants:
//  - frames_ lists the active frames, innermost last; watch_budget_ is true iff one of them
//    has a budget left.
//  - A frame's `expired` holds a reference to the tasklet it names, for its caller.
#include <algorithm>
#include <chrono>

#include "core/scheduler_impl.hpp"

namespace weft::detail {

void scheduler_impl::pop_frame(run_frame* f) noexcept {
  auto it = std::find(frames_.begin(), frames_.end(), f);
  if (it != frames_.end()) frames_.erase(it);  // else released with an outer frame
  watch_budget_ = std::any_of(frames_.begin(), frames_.end(),
                              [](run_frame* fr) { return fr->has_budget; });
}

void scheduler_impl::release_nested(run_frame* f) noexcept {
  auto it = std::find(frames_.begin(), frames_.end(), f);
  if (it == frames_.end()) return;
  for (auto inner = it + 1; inner != frames_.end(); ++inner)
    if ((*inner)->caller->state == tstate::paused) make_runnable((*inner)->caller);
  frames_.erase(it + 1, frames_.end());
}

tasklet_impl* scheduler_impl::run_loop(run_frame& f) {
  if (!undelivered_.empty()) {
    std::exception_ptr e = std::move(undelivered_.front());
    undelivered_.erase(undelivered_.begin());
    std::rethrow_exception(e);
  }
  check_may_switch(*this, "weft::run");
  tasklet_impl* cur = current_;
  f.caller = cur;
  frames_.push_back(&f);
  frame_guard guard{this, &f};
  if (f.has_budget) watch_budget_ = true;
  ring_unlink(cur);
  cur->state = tstate::paused;
  leave_and_switch(false);
  release_nested(&f);
  after_resume();
  return f.expired;
}

void scheduler_impl::check_budget() {
  run_frame* f = nullptr;
  for (run_frame* fr : frames_)
    if (fr->has_budget) {
      f = fr;
      break;
    }
  if (!f) {
    watch_budget_ = false;
    return;
  }
  tasklet_impl* cur = current_;
  if (cur == f->caller || std::chrono::steady_clock::now() < f->budget_end) return;
  watch_budget_ = false;
  f->has_budget = false;
  f->expired = cur;
  add_ref(cur);  // the frame hands it to the caller as a handle
  if (cur->state == tstate::runnable) {
    ring_unlink(cur);
    cur->state = tstate::paused;
  }
  make_runnable_next(f->caller);
}

void scheduler_impl::push_pump_frame(run_frame& f) {
  f.caller = current_;
  frames_.push_back(&f);
  if (f.has_budget) watch_budget_ = true;
}

}  // namespace weft::detail
