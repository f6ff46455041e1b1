// The scheduler: one per OS thread, created on first use; the thread's initial flow of
// control is its main tasklet.
//
// Design. Tasklets are stackful and cooperative; a switch is one Boost.Context fcontext
// jump (context.hpp) plus a few pointer moves, with no system call and no allocation. The
// run queue is a circular list that includes the running tasklet (Stackless's model):
// yielding is "switch to the one after me", so the yielder ends up last without any list
// surgery. Blocking takes the tasklet out of the ring; waking puts it back at the end, or
// right after the current tasklet when a channel's preference says the partner runs now.
//
// Idling happens on the stack of whichever tasklet found nothing to run: find_next() fires
// due timers, drains wake-ups posted by other threads, and sleeps in the reactor's
// epoll_wait with the next timer as its timeout. There is no scheduler tasklet, so handing
// control from one tasklet to another never costs two switches. (Rejected: a dedicated
// scheduler context as in Boost.Fiber's dispatcher, which doubles the cost of every yield.)
//
// run() makes its caller a "frame": the caller leaves the ring and is put back when nothing
// else can run and nothing pending (a timer, an I/O wait, a job on another thread) could
// change that. Frames nest. Exceptions that escape a tasklet go to the innermost frame's
// caller, or to main, as a pending exception raised where that tasklet resumes.
//
// Other threads never touch this scheduler's state: they post remote_ops (wake, insert,
// raise, bias revocation) under a mutex and wake the reactor through its eventfd. The cost
// on the hot path is one relaxed load of `has_remote_` per switch.
//
// Dense tasklets share one stack. Switching to a dense tasklet whose image is not on the
// shared stack goes through a small "switcher" context on its own stack that saves the
// current occupant's used part to the heap and copies the target's back (libco's copy
// stacks work this way; Stackless copied C stacks the same way). The occupant is saved
// lazily, only when another dense tasklet needs the stack, so a dense tasklet that trades
//
// The files. This one holds the hot path, forced inline down to the jump: switching,
// yielding, blocking and waking, and a tasklet's entry and exit. The rest, each with one
// purpose: idle.cpp (nothing is runnable: timers, the reactor, run() callers, be_nice),
// deadlock.cpp (when nothing can ever wake a waiter, reading /proc for other threads),
// cross_thread.cpp (posts from other threads, the registry of schedulers, biased locks),
// dense_switcher.cpp (copying dense stacks), exceptions.cpp (kills and errors that escape),
// run_frames.cpp (run()/run_for() frames and budgets), lifecycle.cpp (making and finishing
// tasklets and the scheduler itself), io_wait.cpp (tasklets waiting on fds, over the
// reactor). scheduler_impl.hpp declares the class; its state is private to these files.
#include "core/scheduler_impl.hpp"

#include <cstdio>
#include <exception>

#include "core/check.hpp"
#include "core/local_slots.hpp"
#include "core/sanitizer.hpp"
#include "weft/error.hpp"

namespace weft::detail {

constinit thread_local scheduler_impl* tls_scheduler __attribute__((tls_model("initial-exec"))) = nullptr;

// The hot paths below are forced inline into their callers (WEFT_HOT, from hot_path.hpp):
// every `ret` executed after a stack switch returns through frames the CPU's return
// predictor has never seen, so each call level between user code and the jump costs a
// misprediction per switch.

// --- the ring -------------------------------------------------------------------------
void scheduler_impl::make_runnable_next(tasklet_impl* t) noexcept {
  detail::make_runnable_next(this, t);
}

void scheduler_impl::make_runnable_before_current(tasklet_impl* t) noexcept {
  if (current_->rq_next == nullptr) {
    make_runnable(t);
    return;
  }
  t->state = tstate::runnable;
  ring_insert_before(current_, t);
}

// --- switching ---------------------------------------------------------------------------

WEFT_HOT void scheduler_impl::resume_from(scheduler_impl* s, transfer t) noexcept {
  auto* prev = static_cast<tasklet_impl*>(t.data);
  san_resumed(s->current_, prev, t.fctx);
  if (prev) [[likely]] {
    if (prev->state == tstate::dead) [[unlikely]] {
      s->finalize(prev);
    } else {
      prev->ctx = t.fctx;
    }
  }
}

[[gnu::noinline, gnu::cold]] void scheduler_impl::notify_switch(scheduler_impl* s, tasklet_impl* prev,
                                                               tasklet_impl* next) noexcept {
  ++prev->atomic;  // the callback must not switch
  try {
    s->on_switch_(tasklet(prev), tasklet(next));
  } catch (...) {
    std::fprintf(stderr, "weft: the schedule callback threw; ignored\n");
  }
  --prev->atomic;
}

WEFT_HOT void scheduler_impl::switch_fast(scheduler_impl* s, tasklet_impl* next) {
  tasklet_impl* prev = s->current_;
  s->head_ = next;
  if (next == prev) return;
  if (s->on_switch_) [[unlikely]] notify_switch(s, prev, next);
  s->current_ = next;
  ++s->switches_;
  swap_eh(prev->eh, s->eh_globals_, next->eh);
  if (next->kind == stack_kind::dense && !next->is_main && s->dense_occupant_ != next) [[unlikely]] {
    s->switch_via_switcher(prev);
    return;
  }
  san_before_jump(prev, next, *s);
  resume_from(s, jump(next->ctx, prev));
}

namespace {
[[noreturn, gnu::noinline, gnu::cold]] void raise_pending(tasklet_impl* cur) {
  std::exception_ptr e = std::move(cur->pending);
  cur->pending = nullptr;
  std::rethrow_exception(e);
}
}  // namespace

WEFT_HOT void scheduler_impl::after_resume_fast(scheduler_impl* s) {
  tasklet_impl* cur = s->current_;
  if (cur->pending) [[unlikely]] raise_pending(cur);
}

// The current tasklet has left the ring: run the next one. The common case (something is
// runnable, no timers to fire, no remote posts) switches directly.
WEFT_HOT void scheduler_impl::leave_fast(scheduler_impl* s, bool finishing) {
  if (s->head_ != nullptr && s->timers_.empty() &&
      !s->has_remote_.load(std::memory_order_relaxed)) [[likely]] {
    switch_fast(s, s->head_);
    return;
  }
  s->leave_and_switch(finishing);
}

void scheduler_impl::switch_to(tasklet_impl* next) { switch_fast(this, next); }

void scheduler_impl::on_resume(transfer t) noexcept { resume_from(this, t); }

void scheduler_impl::after_resume() { after_resume_fast(this); }

// raise = false: the caller just completed an operation, so a pending exception waits for
// the next switch point.
WEFT_HOT void scheduler_impl::yield_fast(scheduler_impl* s, bool raise) {
  if (s->has_remote_.load(std::memory_order_relaxed)) [[unlikely]] s->drain_remote();
  if (--s->poll_countdown_ == 0) [[unlikely]] {
    // Fairness: tasklets that keep yielding must not starve timers and sockets.
    s->poll_countdown_ = 64;
    if (!s->timers_.empty()) s->fire_timers(std::chrono::steady_clock::now());
    if (s->reactor_ && s->reactor_->waiting() > 0) s->poll_reactor();
  }
  tasklet_impl* cur = s->current_;
  if (s->watch_budget_) [[unlikely]] {
    s->check_budget();
    if (cur->state == tstate::paused) {
      s->leave_and_switch(false);
      if (raise) after_resume_fast(s);
      return;
    }
  }
  tasklet_impl* next = cur->rq_next;
  if (next != cur) switch_fast(s, next);
  if (raise) after_resume_fast(s);
}

void scheduler_impl::yield() { yield_fast(this); }

// --- waits --------------------------------------------------------------------------------


WEFT_HOT wake_reason scheduler_impl::block_fast(scheduler_impl* s, lock_guard& g, const wait_kind& kind,
                                               void* owner, deadline until, int fd) {
  tasklet_impl* cur = s->current_;
  if (cur->block_trap || cur->pending || cur->atomic) [[unlikely]] {
    // Withdraw the waiter the caller queued, then raise: a block_trap, an atomic scope, or
    // an exception thrown at us after our previous wait had already completed. A partner on
    // another thread may complete the wait between the unlock and the withdrawal: the
    // operation then completed and returns its result, and the exception waits for the next
    // switch point. Its wake-up is already posted with this wait's sequence: make it stale.
    g.unlock();
    if (kind.cancel && !kind.cancel(owner, &cur->own)) {
      ++cur->wait_seq;
      return wake_reason::signaled;
    }
    if (cur->pending) raise_pending(cur);
    if (cur->atomic) throw_in_atomic(kind.what);
    throw scheduler_error("this tasklet does not like to be blocked (block_trap is set)");
  }
  cur->wait.kind = &kind;
  cur->wait.owner = owner;
  cur->wait.fd = fd;
  cur->wait_aborted = false;
  cur->state = tstate::blocked;
  cur->reason = wake_reason::signaled;
  if (until != forever) {
    cur->timer.owner = cur;
    s->timers_.arm(&cur->timer, until);
  }
  s->ring_unlink(cur);
  g.unlock();
  if (s->watch_budget_) [[unlikely]] s->check_budget();
  leave_fast(s);
  if (cur->timer.armed()) [[unlikely]] s->timers_.disarm(&cur->timer);
  if (cur->pending && cur->wait_aborted) [[unlikely]] raise_pending(cur);
  return cur->reason;
}

void scheduler_impl::end_wait(tasklet_impl* t, wake_reason why) noexcept {
  if (t->state == tstate::blocked)
    end_wait_hot(this, t, why);
  else
    make_runnable(t);
}

bool scheduler_impl::cancel_wait(tasklet_impl* t) noexcept {
  if (t->state != tstate::blocked) return false;
  bool unlinked = t->wait.kind->cancel ? t->wait.kind->cancel(t->wait.owner, &t->own) : true;
  if (t->timer.armed()) timers_.disarm(&t->timer);
  return unlinked;
}

// --- a tasklet's life on its own stack ------------------------------------------------

void scheduler_impl::entry_point(transfer tr) {
  scheduler_impl* s = tls_scheduler;
  s->on_resume(tr);
  tasklet_impl* self = s->current_;
  self->started = true;
  tasklet_impl* receiver = nullptr;
  try {
    s->after_resume();
    self->entry.invoke();
  } catch (const tasklet_exit&) {
  } catch (...) {
    receiver = s->deliver_uncaught(self, std::current_exception());
  }
  try {
    self->entry.reset();
    if (self->locals) destroy_locals(self);
    self->pending = nullptr;
    self->state = tstate::dead;
    s->ring_unlink(self);
    // The run() caller (or main) gets an escaped exception before anything else runs.
    if (receiver && receiver->state == tstate::runnable && receiver->rq_next) s->head_ = receiver;
    leave_fast(s, true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: fatal: while ending tasklet %llu: %s\n",
                 static_cast<unsigned long long>(self->id), e.what());
  } catch (...) {
  }
  fatal("a finished tasklet was resumed");
}

// --- tasklet-facing free functions --------------------------------------------------------

waiter& own_waiter() noexcept { return own_waiter_hot(&this_scheduler()); }

bool on_shared_stack() noexcept { return on_shared_stack_hot(tls_scheduler); }

wake_reason block(lock_guard& g, const wait_kind& kind, void* owner, deadline until, int fd) {
  return scheduler_impl::block_fast(&this_scheduler(), g, kind, owner, until, fd);
}

wake_token prepare_wake(waiter* w) noexcept {
  tasklet_impl* t = w->task;
  bool remote = t->sched != tls_scheduler;
  wake_token tok{t, w->seq | (static_cast<std::uint64_t>(remote) << 32)};
  if (remote) add_ref(t);
  return tok;
}

void wake(const wake_token& tok, wake_mode mode) {
  tasklet_impl* t = tok.task;
  if (tok.remote()) {
    t->sched->post({remote_op::wake, t, tok.seq(), nullptr, nullptr, nullptr});
    return;
  }
  if (t->state != tstate::blocked || t->wait_seq != tok.seq()) return;
  wake_local(t->sched, t, mode);
}

// --- the hot path's out-of-line halves (weft/detail/hot_path.hpp) ---------------------------

void switch_slow(scheduler_impl* s, tasklet_impl* next) { scheduler_impl::switch_fast(s, next); }
void finalize_dead(scheduler_impl* s, tasklet_impl* dead) noexcept { s->finalize(dead); }
void leave_slow(scheduler_impl* s) { s->leave_and_switch(false); }
void raise_pending_of(tasklet_impl* t) { raise_pending(t); }
void yield_after_operation(scheduler_impl* s) { scheduler_impl::yield_fast(s, false); }
void disarm_timer(scheduler_impl* s, tasklet_impl* t) noexcept { s->timers_.disarm(&t->timer); }

void check_may_block() {
  if (this_scheduler().current()->block_trap)
    throw scheduler_error("this tasklet does not like to be blocked (block_trap is set)");
}

}  // namespace weft::detail

namespace weft {
void schedule() {
  detail::scheduler_impl& s = detail::this_scheduler();
  detail::check_may_switch(s, "weft::schedule");
  detail::scheduler_impl::yield_fast(&s);
}
}  // namespace weft
