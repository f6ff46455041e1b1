// Exceptions between tasklets: kills and throw_exception() aimed at a tasklet, and errors
// that escape a tasklet, which go to the error handler or else to the innermost run()
// caller (or main), raised where that tasklet resumes.
//
// Invariants:
//  - An exception aimed at a blocked tasklet first cancels its wait; if the wait had
//    already completed, the exception waits for the next switch point (wait_aborted false).
//  - A tasklet holds at most one pending exception; later uncaught errors for main queue
//    in undelivered_ and come out of the next run().
#include <exception>

#include "core/check.hpp"
#include "core/scheduler_impl.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {

bool is_tasklet_exit(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const tasklet_exit&) {
    return true;
  } catch (...) {
    return false;
  }
}


}  // namespace

tasklet_impl* scheduler_impl::deliver_uncaught(tasklet_impl* dead, std::exception_ptr e) noexcept {
  if (on_error_) {
    try {
      add_ref(dead);
      on_error_(tasklet(dead), e);
      release(dead);
      return nullptr;
    } catch (...) {
      release(dead);
      e = std::current_exception();
    }
  }
  tasklet_impl* target = frames_.empty() ? main_ : frames_.back()->caller;
  if (target->pending) {
    // Main is still to receive an earlier error: this one comes out of the next run().
    undelivered_.push_back(std::move(e));
    return nullptr;
  }
  post_exception(target, std::move(e));
  return target;
}

void scheduler_impl::post_exception(tasklet_impl* t, std::exception_ptr e) noexcept {
  WEFT_CHECK(t->sched == this, "an exception is posted to another thread's tasklet directly");
  if (t->state == tstate::dead) return;
  if (!t->started && !t->is_main && t != current_ && is_tasklet_exit(e)) {
    finish_unstarted(t);
    return;
  }
  if (t->state == tstate::blocked) {
    t->wait_aborted = cancel_wait(t);
    end_wait(t, wake_reason::signaled);
  }
  if (!t->pending) t->pending = std::move(e);
  if (t->state != tstate::runnable) make_runnable(t);
}

void scheduler_impl::throw_to(tasklet_impl* t, std::exception_ptr e, bool pending) {
  if (t->sched != this) {
    add_ref(t);
    t->sched->post({remote_op::raise, t, 0, std::move(e), nullptr, nullptr});
    return;
  }
  if (t->state == tstate::dead) {
    if (is_tasklet_exit(e)) return;
    throw scheduler_error("You cannot throw to a dead tasklet");
  }
  if (t == current_) std::rethrow_exception(e);
  if (!t->started && !t->is_main && is_tasklet_exit(e)) {
    finish_unstarted(t);
    return;
  }
  if (!pending) check_may_switch(*this, "tasklet::throw_exception");
  if (t->state == tstate::blocked) {
    t->wait_aborted = cancel_wait(t);
    end_wait(t, wake_reason::signaled);
  }
  t->pending = std::move(e);
  if (pending) {
    make_runnable(t);
    return;
  }
  // As run(): a scheduled target keeps its place (a blocked one was just queued before us).
  if (t->state != tstate::runnable) make_runnable_before_current(t);
  switch_to(t);
  after_resume();
}

error_handler scheduler_impl::swap_error_handler(error_handler h) noexcept {
  std::swap(on_error_, h);
  return h;
}

}  // namespace weft::detail
