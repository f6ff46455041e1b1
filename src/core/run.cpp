// The module-level scheduler API: run, pump, yield, current/main, error handler, sleep.
#include <chrono>

#include "core/scheduler_impl.hpp"
#include "weft/scheduler.hpp"
#include "weft/time.hpp"

namespace weft {

using detail::scheduler_impl;

void run() {
  scheduler_impl& s = detail::this_scheduler();
  detail::run_frame f;
  s.run_loop(f);
}

void run_threadblock() {
  scheduler_impl& s = detail::this_scheduler();
  detail::run_frame f;
  f.threadblock = true;
  s.run_loop(f);
}

tasklet run_for(std::chrono::nanoseconds budget) {
  scheduler_impl& s = detail::this_scheduler();
  detail::run_frame f;
  f.has_budget = true;
  f.budget_end = std::chrono::steady_clock::now() + budget;
  detail::tasklet_impl* expired = s.run_loop(f);
  tasklet h(expired);
  if (expired) detail::release(expired);  // the frame's reference
  return h;
}

int pump() {
  scheduler_impl& s = detail::this_scheduler();
  detail::check_may_switch(s, "weft::pump");
  s.poll_now();
  s.yield();
  return s.run_count() - 1;
}

tasklet pump_for(std::chrono::nanoseconds budget) {
  scheduler_impl& s = detail::this_scheduler();
  detail::check_may_switch(s, "weft::pump_for");
  auto end = std::chrono::steady_clock::now() + budget;
  // A pump frame: its caller stays in the run queue, so only the budget part applies.
  detail::run_frame f;
  f.has_budget = true;
  f.budget_end = end;
  s.push_pump_frame(f);
  detail::frame_guard guard{&s, &f};
  for (;;) {
    s.poll_now();
    if (s.run_count() <= 1) break;
    s.yield();
    if (f.expired || std::chrono::steady_clock::now() >= end) break;
  }
  tasklet h(f.expired);
  if (f.expired) {
    // A pump leaves the expired tasklet runnable.
    if (f.expired->state == detail::tstate::paused) s.make_runnable(f.expired);
    detail::release(f.expired);
  }
  return h;
}

namespace {
bool cancel_nice(void* owner, detail::waiter* w) noexcept {
  static_cast<detail::wait_queue*>(owner)->erase(w);
  return true;
}
bool cancel_sleep(void*, detail::waiter*) noexcept { return true; }
}  // namespace

void be_nice() {
  scheduler_impl& s = detail::this_scheduler();
  detail::waiter& w = detail::own_waiter();
  s.nice_queue().push_back(&w);
  detail::lock_guard g(s.local_lock());
  static constexpr detail::wait_kind nice_kind{&cancel_nice, "be_nice", 0};
  detail::block(g, nice_kind, &s.nice_queue());
}


void schedule_remove() {
  scheduler_impl& s = detail::this_scheduler();
  detail::check_may_switch(s, "weft::schedule_remove");
  detail::tasklet_impl* cur = s.current();
  s.ring_unlink(cur);
  cur->state = detail::tstate::paused;
  s.leave_and_switch(false);
  s.after_resume();
}

tasklet current() { return tasklet(detail::this_scheduler().current()); }
tasklet main_tasklet() { return tasklet(detail::this_scheduler().main()); }
int run_count() noexcept {
  scheduler_impl& s = detail::this_scheduler();
  return s.run_count() + (s.current()->rq_next == nullptr ? 1 : 0);
}
std::size_t tasklet_count() noexcept { return detail::this_scheduler().live_count(); }

error_handler set_error_handler(error_handler h) {
  return detail::this_scheduler().swap_error_handler(std::move(h));
}

void sleep_until(clock::time_point when) {
  scheduler_impl& s = detail::this_scheduler();
  detail::own_waiter();
  detail::lock_guard g(s.local_lock());
  static constexpr detail::wait_kind sleep_kind{&cancel_sleep, "sleep", 0};
  detail::block(g, sleep_kind, nullptr, when);
}

}  // namespace weft
