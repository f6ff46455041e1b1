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
// turns with guarded ones is never copied.
#include "core/scheduler_impl.hpp"

#include <cxxabi.h>
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <iostream>
#include <sstream>
#include <string>

#include "core/local_slots.hpp"
#include "core/sanitizer.hpp"
#include "weft/error.hpp"

namespace weft::detail {

constinit thread_local scheduler_impl* tls_scheduler __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

thread_local std::unique_ptr<scheduler_impl> t_scheduler_owner;
// Set when this thread's scheduler has been destroyed (thread exit). Trivially destructible,
// so it is still valid in the destructors that run after that one.
constinit thread_local bool t_scheduler_gone = false;

// Never destroyed: channels and mutexes with static storage duration are destroyed after
// this file's statics would be, and they still reach the registry (post, create_scheduler).
std::mutex& g_registry_mu = *new std::mutex;
std::vector<scheduler_impl*>& g_registry = *new std::vector<scheduler_impl*>;
int g_parked = 0;  // schedulers waiting only for other threads (guarded by g_registry_mu)
std::atomic<int> g_external_holds{0};
std::atomic<int> g_helper_threads{0};

[[noreturn]] void fatal(const char* what) noexcept {
  std::fprintf(stderr, "weft: fatal: %s\n", what);
  std::abort();
}

bool registered(scheduler_impl* s) {
  return std::find(g_registry.begin(), g_registry.end(), s) != g_registry.end();
}

int process_threads() {
  std::ifstream f("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  // Fields after the command: state(3) ... num_threads is field 20.
  for (int i = 3; i <= 20 && rest >> field; ++i) {
    if (i == 20) return std::atoi(field.c_str());
  }
  return 1;
}

bool is_tasklet_exit(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const tasklet_exit&) {
    return true;
  } catch (...) {
    return false;
  }
}

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

void release(tasklet_impl* t) noexcept {
  if (t->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  scheduler_impl* s = tls_scheduler;
  if (s && t->sched == s && !t->is_main && s->spare_.size() < scheduler_impl::max_spare) {
    t->~tasklet_impl();
    s->spare_.push_back(t);
    return;
  }
  delete t;
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

std::thread::id thread_of(scheduler_impl* s) {
  std::lock_guard<std::mutex> l(g_registry_mu);
  return registered(s) ? s->thread_ : std::thread::id();
}

scheduler_impl* scheduler_of(std::thread::id id) {
  std::lock_guard<std::mutex> l(g_registry_mu);
  for (scheduler_impl* s : g_registry)
    if (s->thread_ == id) return s;
  return nullptr;
}

// --- construction ---------------------------------------------------------------------

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
  all_ = main_;
  live_ = 1;
  current_ = head_ = main_;
  ring_size_ = 1;
  spare_.reserve(max_spare);
  eh_globals_ = reinterpret_cast<eh_state*>(abi::__cxa_get_globals());
  install_overflow_handler();
  std::lock_guard<std::mutex> l(g_registry_mu);
  g_registry.push_back(this);
}

scheduler_impl::~scheduler_impl() {
  // Thread exit: unwind every tasklet that ever ran, so its destructors run (Stackless kills
  // tasklets with C state when their thread dies). A tasklet that blocks again while
  // unwinding is retried a few times, then left (its stack is leaked, never reused).
  if (current_ == main_) {
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
  {
    std::lock_guard<std::mutex> l(g_registry_mu);
    g_registry.erase(std::find(g_registry.begin(), g_registry.end(), this));
  }
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    for (auto& op : remote_) {
      if (op.kind == remote_op::revoke) {
        op.lock->revoke_bias();
        op.done->store(true, std::memory_order_release);
      } else if (op.task) {
        if (op.kind == remote_op::spawn) op.task->state = tstate::dead;  // it never ran
        release(op.task);
      }
    }
    remote_.clear();
  }
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

// --- the ring -------------------------------------------------------------------------

void scheduler_impl::make_runnable_next(tasklet_impl* t) noexcept {
  if (t->rq_next) ring_unlink(t);
  t->state = tstate::runnable;
  if (head_ == nullptr) {
    make_runnable(t);
  } else if (current_->rq_next != nullptr && head_ == current_) {
    ring_insert_before(current_->rq_next, t);
  } else {
    ring_insert_before(head_, t);
    head_ = t;
  }
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

// The hot paths below are forced inline into their callers: every `ret` executed after a
// stack switch returns through frames the CPU's return predictor has never seen, so each
// call level between user code and the jump costs a misprediction per switch.
#define WEFT_HOT [[gnu::always_inline]] inline

[[gnu::noinline]] static void switch_via_switcher(scheduler_impl* s, tasklet_impl* prev) {
  if (!s->switcher_stack_) s->switcher_stack_ = map_stack(64 * 1024);
  san_before_switcher(prev, s->current_, s->switcher_stack_);
  fcontext sw = make_context(s->switcher_stack_.top, s->switcher_stack_.usable(),
                             &scheduler_impl::switcher_entry);
  s->on_resume(jump(sw, prev));
}

WEFT_HOT void resume_from(scheduler_impl* s, transfer t) noexcept {
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

[[gnu::noinline, gnu::cold]] static void notify_switch(scheduler_impl* s, tasklet_impl* prev,
                                                      tasklet_impl* next) noexcept {
  ++prev->atomic;  // the callback must not switch
  try {
    s->on_switch_(tasklet(prev), tasklet(next));
  } catch (...) {
    std::fprintf(stderr, "weft: the schedule callback threw; ignored\n");
  }
  --prev->atomic;
}

WEFT_HOT void switch_fast(scheduler_impl* s, tasklet_impl* next) {
  tasklet_impl* prev = s->current_;
  s->head_ = next;
  if (next == prev) return;
  if (s->on_switch_) [[unlikely]] notify_switch(s, prev, next);
  s->current_ = next;
  prev->eh = *s->eh_globals_;
  *s->eh_globals_ = next->eh;
  if (next->kind == stack_kind::dense && !next->is_main && s->dense_occupant_ != next) [[unlikely]] {
    switch_via_switcher(s, prev);
    return;
  }
  san_before_jump(prev, next, *s);
  resume_from(s, jump(next->ctx, prev));
}

[[gnu::noinline, gnu::cold]] static void raise_pending(tasklet_impl* cur) {
  std::exception_ptr e = std::move(cur->pending);
  cur->pending = nullptr;
  std::rethrow_exception(e);
}

WEFT_HOT void after_resume_fast(scheduler_impl* s) {
  tasklet_impl* cur = s->current_;
  if (cur->pending) [[unlikely]] raise_pending(cur);
}

// The current tasklet has left the ring: run the next one. The common case (something is
// runnable, no timers to fire, no remote posts) switches directly.
WEFT_HOT void leave_fast(scheduler_impl* s, bool finishing = false) {
  if (s->head_ != nullptr && s->timers_.empty() &&
      !s->has_remote_.load(std::memory_order_relaxed)) [[likely]] {
    switch_fast(s, s->head_);
    return;
  }
  s->leave_and_switch(finishing);
}

void scheduler_impl::switch_to(tasklet_impl* next) { switch_fast(this, next); }

void scheduler_impl::on_resume(transfer t) noexcept { resume_from(this, t); }

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

void scheduler_impl::after_resume() { after_resume_fast(this); }

// raise = false: the caller just completed an operation, so a pending exception waits for
// the next switch point.
WEFT_HOT void yield_fast(scheduler_impl* s, bool raise = true);
void scheduler_impl::yield() { yield_fast(this); }

WEFT_HOT void yield_fast(scheduler_impl* s, bool raise) {
  if (s->has_remote_.load(std::memory_order_relaxed)) [[unlikely]] s->drain_remote();
  if (--s->poll_countdown_ == 0) [[unlikely]] {
    // Fairness: tasklets that keep yielding must not starve timers and sockets.
    s->poll_countdown_ = 64;
    if (!s->timers_.empty()) s->fire_timers(std::chrono::steady_clock::now());
    if (s->reactor_ && s->reactor_->waiting() > 0) s->idle_wait(0);
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
    if (head_) return head_;
    if (!nice_.empty()) {
      // A new round for tasklets waiting in be_nice().
      while (waiter* w = nice_.pop_front()) end_wait(w->task, wake_reason::signaled);
      continue;
    }
    run_frame* f = frames_.empty() ? nullptr : frames_.back();
    bool local = !timers_.empty() || (reactor_ && reactor_->waiting() > 0);
    bool external = g_external_holds.load(std::memory_order_acquire) > 0;
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
    // Nothing here can wake anything. Another thread still might, unless every other
    // thread is a weft helper or is itself parked here.
    {
      const int threads = process_threads();  // file I/O: not under the global mutex
      std::unique_lock<std::mutex> l(g_registry_mu);
      // Another thread posts under this mutex. Something posted since the drain above (a
      // wake from a thread that has parked since) must be handled, not counted as stuck;
      // and a thread must not park (and be counted as stuck) with work already posted.
      if (has_remote_.load(std::memory_order_acquire)) continue;
      int others = threads - 1 - g_helper_threads.load() - g_parked;
      if (others > 0) {
        ++g_parked;
        parked_ = true;
        l.unlock();
        idle_wait(100);
        l.lock();
        if (parked_) {  // else a poster already unparked us
          --g_parked;
          parked_ = false;
        }
        continue;
      }
    }
    if (!finishing) return nullptr;
    // The last runnable tasklet is ending while main waits for something that can never
    // come: wake main with the reason (Stackless's slp_tasklet_end).
    tasklet_impl* m = main_;
    if (m->state == tstate::dead) fatal("no tasklet can run and main has finished");
    const char* why = m->wait.kind->direction < 0
                          ? "Deadlock: the main tasklet is receiving without a sender available."
                      : m->wait.kind->direction > 0
                          ? "Deadlock: the main tasklet is sending without a receiver available."
                          : "Deadlock: the main tasklet is blocked and no tasklet can wake it.";
    if (m->state == tstate::blocked) m->wait_aborted = cancel_wait(m);
    if (!m->pending) m->pending = std::make_exception_ptr(deadlock_error(why));
    end_wait(m, wake_reason::signaled);
  }
}

// --- waits --------------------------------------------------------------------------------

WEFT_HOT wake_reason block_fast(scheduler_impl* s, lock_guard& g, const wait_kind& kind, void* owner,
                               deadline until, int fd);

WEFT_HOT wake_reason block_fast(scheduler_impl* s, lock_guard& g, const wait_kind& kind, void* owner,
                               deadline until, int fd) {
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
  if (t->state == tstate::blocked) {
    t->reason = why;
    ++t->wait_seq;
    t->wait = wait_spec{};
    if (t->timer.armed()) timers_.disarm(&t->timer);
  }
  make_runnable(t);
}

bool scheduler_impl::cancel_wait(tasklet_impl* t) noexcept {
  if (t->state != tstate::blocked) return false;
  bool unlinked = t->wait.kind->cancel ? t->wait.kind->cancel(t->wait.owner, &t->own) : true;
  if (t->timer.armed()) timers_.disarm(&t->timer);
  return unlinked;
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

void scheduler_impl::post(remote_op op) {
  std::lock_guard<std::mutex> reg(g_registry_mu);
  if (!registered(this) || afterlife_) {  // the thread has exited, or is exiting
    if (op.kind == remote_op::revoke) {
      op.lock->revoke_bias();
      op.done->store(true, std::memory_order_release);
    } else if (op.task) {
      if (op.kind == remote_op::spawn) op.task->state = tstate::dead;  // it never ran
      release(op.task);
    }
    return;
  }
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    remote_.push_back(std::move(op));
  }
  // A parked scheduler with work posted is no longer parked, even before it wakes up: the
  // deadlock check of another thread must not count it as stuck.
  if (parked_) {
    parked_ = false;
    --g_parked;
  }
  has_remote_.store(true, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) reactor_->notify();
}

void scheduler_impl::answer_revokes() {
  std::vector<remote_op> ops;
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    auto revokes = std::stable_partition(remote_.begin(), remote_.end(),
                                         [](const remote_op& op) { return op.kind != remote_op::revoke; });
    ops.assign(std::make_move_iterator(revokes), std::make_move_iterator(remote_.end()));
    remote_.erase(revokes, remote_.end());
    has_remote_.store(!remote_.empty(), std::memory_order_relaxed);
  }
  for (auto& op : ops) {
    op.lock->revoke_bias();
    op.done->store(true, std::memory_order_release);
  }
}

void scheduler_impl::drain_remote() {
  std::vector<remote_op> ops;
  {
    std::lock_guard<std::mutex> l(remote_mu_);
    ops.swap(remote_);
    has_remote_.store(false, std::memory_order_relaxed);
  }
  if (dump_requested_.exchange(false)) weft::dump_tasklets(std::cerr);
  for (auto& op : ops) {
    switch (op.kind) {
      case remote_op::wake:
        if (op.task->state == tstate::blocked && op.task->wait_seq == op.seq)
          end_wait(op.task, wake_reason::signaled);
        break;
      case remote_op::insert:
        if (op.task->state == tstate::paused || op.task->state == tstate::fresh)
          make_runnable(op.task);
        break;
      case remote_op::run:
        // Stackless runs it next: after the current tasklet, or first if the thread idles.
        if (op.task->state == tstate::paused || op.task->state == tstate::fresh)
          make_runnable_next(op.task);
        break;
      case remote_op::spawn:
        adopt(op.task, op.seq);
        op.task = nullptr;  // its reference is the scheduler's own now
        break;
      case remote_op::raise:
        post_exception(op.task, op.error);
        break;
      case remote_op::revoke:
        op.lock->revoke_bias();
        op.done->store(true, std::memory_order_release);
        break;
    }
    if (op.task) release(op.task);
  }
}

// --- tasklets -----------------------------------------------------------------------------

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
    t->ctx = make_context(t->stack.top, t->stack.usable(), &entry_point);
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

// --- run and budgets ---------------------------------------------------------------------

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

// --- tasklet-facing free functions --------------------------------------------------------

waiter& own_waiter() noexcept {
  tasklet_impl* t = this_scheduler().current_;
  waiter& w = t->own;
  w.next = w.prev = nullptr;
  w.linked = false;
  w.result = 0;
  w.queue_tag = 0;
  w.seq = t->wait_seq;
  w.slot = nullptr;
  w.sel = nullptr;
  w.index = 0;
  return w;
}

bool on_shared_stack() noexcept {
  scheduler_impl* s = tls_scheduler;
  return s && s->current_->kind == stack_kind::dense && !s->current_->is_main;
}

wake_reason block(lock_guard& g, const wait_kind& kind, void* owner, deadline until, int fd) {
  return block_fast(&this_scheduler(), g, kind, owner, until, fd);
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
  scheduler_impl& s = *t->sched;
  if (t->state != tstate::blocked || t->wait_seq != tok.seq()) return;
  tasklet_impl* cur = s.current_;
  bool cur_runs = cur->rq_next != nullptr;
  if (cur->atomic) [[unlikely]] mode = wake_mode::append;  // the operation completes; no switch
  if (mode == wake_mode::switch_now && cur_runs) {
    t->reason = wake_reason::signaled;
    ++t->wait_seq;
    t->wait = wait_spec{};
    if (t->timer.armed()) s.timers_.disarm(&t->timer);
    s.make_runnable_next(t);
    switch_fast(&s, t);
    return;  // the handoff completed: a kill meanwhile lands at the next switch point
  }
  s.end_wait(t, wake_reason::signaled);
  if (mode == wake_mode::append_and_yield && cur_runs) yield_fast(&s, false);
}

void check_may_block() {
  if (this_scheduler().current_->block_trap)
    throw scheduler_error("this tasklet does not like to be blocked (block_trap is set)");
}

// --- biased locks ---------------------------------------------------------------------------

void biased_lock::spin_lock() noexcept {
  for (;;) {
    if (!spin_.exchange(true, std::memory_order_acquire)) return;
    while (spin_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
  }
}

bool biased_lock::lock_slow() {
  scheduler_impl* me = &this_scheduler();
  for (;;) {
    scheduler_impl* o = owner_.load(std::memory_order_acquire);
    if (o == me) return false;
    if (o == nullptr) {
      // A scheduler made after its thread's own was destroyed could never answer a
      // revocation: it makes the lock shared instead of taking the bias.
      if (me->afterlife_) {
        owner_.compare_exchange_strong(o, shared_mark(), std::memory_order_acq_rel);
        continue;
      }
      if (owner_.compare_exchange_strong(o, me, std::memory_order_acq_rel)) return false;
      continue;
    }
    if (o == shared_mark()) {
      spin_lock();
      return true;
    }
    // Another thread holds the bias: ask it to give it up at its next switch point, and
    // meanwhile answer such requests addressed to us, so two threads asking each other
    // cannot wait forever.
    std::atomic<bool> done{false};
    o->post({remote_op::revoke, nullptr, 0, nullptr, this, &done});
    while (!done.load(std::memory_order_acquire)) {
      if (me->has_remote_.load(std::memory_order_acquire)) me->answer_revokes();
      ::sched_yield();
    }
  }
}

// --- holds ------------------------------------------------------------------------------------

external_wakeup_hold::external_wakeup_hold() noexcept {
  g_external_holds.fetch_add(1, std::memory_order_acq_rel);
}
external_wakeup_hold::~external_wakeup_hold() {
  g_external_holds.fetch_sub(1, std::memory_order_acq_rel);
}
void register_helper_thread() noexcept { g_helper_threads.fetch_add(1); }
void unregister_helper_thread() noexcept { g_helper_threads.fetch_sub(1); }

}  // namespace weft::detail

namespace weft {
void schedule() {
  detail::scheduler_impl& s = detail::this_scheduler();
  detail::check_may_switch(s, "weft::schedule");
  detail::yield_fast(&s);
}
}  // namespace weft
