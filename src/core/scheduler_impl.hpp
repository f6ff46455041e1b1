// The per-thread scheduler: its operations and its private state. The design essay, and
// the map of the files that implement it, are at the top of scheduler.cpp.
//
// Invariants:
//  - Everything here is owned by the scheduler's thread, except `remote_*`, `sleeping_`
//    and `reactor_.notify()`, which any thread may use as documented.
//  - The run queue is a circular list through tasklet_impl::rq_next/rq_prev. `current_` is
//    the running tasklet; while it is runnable it is in the ring, and the tasklet after it
//    runs next. When the running tasklet blocks, `head_` names the next one to run.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/stack.hpp"
#include "core/tasklet_impl.hpp"
#include "reactor/reactor.hpp"
#include "weft/callbacks.hpp"
#include "weft/scheduler.hpp"

namespace weft::detail {

// One active run()/run_for()/run_threadblock() call.
struct run_frame {
  tasklet_impl* caller = nullptr;
  bool threadblock = false;
  bool has_budget = false;
  std::chrono::steady_clock::time_point budget_end{};
  tasklet_impl* expired = nullptr;  // the tasklet that used up the budget
};

struct scheduler_impl;
// Removes a frame from its scheduler when run()/pump_for() leaves, however it leaves.
struct frame_guard {
  scheduler_impl* s;
  run_frame* f;
  ~frame_guard();
};

struct remote_op {
  enum kind_t : std::uint8_t { wake, insert, raise, revoke, run, spawn };
  kind_t kind;
  tasklet_impl* task = nullptr;  // holds a reference
  std::uint32_t seq = 0;
  std::exception_ptr error;
  biased_lock* lock = nullptr;
  std::atomic<bool>* done = nullptr;
};

// The scheduler of one thread. Its state is private: the files of src/core/ that implement
// it are listed in scheduler.cpp's opening comment; everyone else uses the operations below.
// The hot fields (current_, head_, the ring's size, the timers, ...) are in scheduler_core
// (weft/detail/hot_path.hpp), the first and only base, which the inline channel path reads.
struct scheduler_impl : scheduler_core {
 public:
  scheduler_impl();
  ~scheduler_impl();
  scheduler_impl(const scheduler_impl&) = delete;
  scheduler_impl& operator=(const scheduler_impl&) = delete;

  // --- what the rest of weft may read ---------------------------------------------------
  tasklet_impl* current() const noexcept { return current_; }
  tasklet_impl* main() const noexcept { return main_; }
  std::size_t live_count() const noexcept { return live_; }
  // Looks from another thread (the hook's stall monitor): racy, a stale value only delays
  // or repeats the look.
  bool sleeping() const noexcept { return sleeping_.load(std::memory_order_relaxed); }
  std::size_t live_count_racy() const noexcept { return __atomic_load_n(&live_, __ATOMIC_RELAXED); }
  std::uint64_t switch_count_racy() const noexcept { return __atomic_load_n(&switches_, __ATOMIC_RELAXED); }
  int run_count() const noexcept { return ring_size_; }
  const stack_area& dense_stack() const noexcept { return dense_stack_; }
  tasklet_impl* dense_occupant() const noexcept { return dense_occupant_; }
  // Stands in for a queue lock on waits that only this thread can complete (sleep, fd).
  biased_lock& local_lock() noexcept { return local_lock_; }
  wait_queue& nice_queue() noexcept { return nice_; }
  bool afterlife() const noexcept { return afterlife_; }

  // --- the run queue (scheduler.cpp, inline below) -----------------------------------------
  void ring_insert_before(tasklet_impl* pos, tasklet_impl* t) noexcept;
  void ring_unlink(tasklet_impl* t) noexcept;
  void make_runnable(tasklet_impl* t) noexcept;             // append at the end
  void make_runnable_next(tasklet_impl* t) noexcept;        // right after the current one
  // Just before the running tasklet, so it runs right after `t` (Stackless's insert before
  // switching to a target that was not scheduled).
  void make_runnable_before_current(tasklet_impl* t) noexcept;

  // --- switching (scheduler.cpp) -----------------------------------------------------------
  void switch_to(tasklet_impl* next);          // low level; handles dense stacks
  void on_resume(transfer t) noexcept;
  void after_resume();                          // raises a pending exception
  void yield();                                 // schedule()
  static void entry_point(transfer t);

  // --- waits (scheduler.cpp) ---------------------------------------------------------------
  void end_wait(tasklet_impl* t, wake_reason why) noexcept;  // blocked -> runnable
  bool cancel_wait(tasklet_impl* t) noexcept;  // true if the tasklet's wait was unlinked

  // --- the idle point (idle.cpp) -----------------------------------------------------------
  // The current tasklet left the run queue (blocked, paused or finished): run the next
  // one, idling in the reactor if nothing is runnable. Throws deadlock_error into a
  // blocking tasklet when nothing can ever wake it.
  void leave_and_switch(bool finishing);
  // One look at everything that can make a tasklet runnable, without sleeping: posts from
  // other threads, due timers, the reactor, be_nice() waiters.
  void poll_now();
  reactor& io();                                  // created on first use
  reactor* io_if_any() noexcept { return reactor_.get(); }

  // --- other threads (cross_thread.cpp) ----------------------------------------------------
  // Any thread: queue `op` for this scheduler's thread and wake it.
  void post(remote_op op);
  // Any thread, async-signal-safe: dump the tasklets at the next switch point (SIGQUIT).
  void request_dump() noexcept;
  // True when another thread posted something not yet drained (acquire).
  bool has_posts() const noexcept { return has_remote_.load(std::memory_order_acquire); }
  // Gives up the biases other threads asked for, leaving every other post queued.
  void answer_revokes();

  // --- tasklets (lifecycle.cpp) ------------------------------------------------------------
  tasklet_impl* create(const spawn_options_view& o);
  // A tasklet made by spawn_on() on another thread arrives: it joins this scheduler.
  void adopt(tasklet_impl* t, std::size_t stack_size) noexcept;
  void start(tasklet_impl* t, bool schedule);
  const stack_area* stack_of(tasklet_impl* t) const noexcept;
  std::size_t high_water(tasklet_impl* t) const noexcept;

  // --- exceptions (exceptions.cpp) ---------------------------------------------------------
  void throw_to(tasklet_impl* t, std::exception_ptr e, bool pending);
  error_handler swap_error_handler(error_handler h) noexcept;

  // --- run frames and budgets (run_frames.cpp) ---------------------------------------------
  tasklet_impl* run_loop(run_frame& f);
  // pump_for's frame: its caller stays in the run queue, so only the budget applies.
  void push_pump_frame(run_frame& f);
  void pop_frame(run_frame* f) noexcept;  // and re-derive watch_budget_

  // --- callbacks (callbacks.cpp) -------------------------------------------------------------
  schedule_callback swap_switch_callback(schedule_callback cb) noexcept;
  channel_callback swap_channel_callback(channel_callback cb) noexcept;
  const channel_callback& channel_hook() const noexcept { return on_channel_; }

 private:
  // The hot path (scheduler.cpp): defined there only, forced inline into the entry points
  // of wait.hpp and into schedule().
  friend waiter& own_waiter() noexcept;
  friend wake_reason block(lock_guard& g, const wait_kind& kind, void* owner, deadline until, int fd);
  friend void wake(const wake_token& tok, wake_mode mode);
  friend void weft::schedule();
  static inline void switch_fast(scheduler_impl* s, tasklet_impl* next);
  static inline void resume_from(scheduler_impl* s, transfer t) noexcept;
  static inline void leave_fast(scheduler_impl* s, bool finishing = false);
  static inline void yield_fast(scheduler_impl* s, bool raise = true);
  static inline void after_resume_fast(scheduler_impl* s);
  static inline wake_reason block_fast(scheduler_impl* s, lock_guard& g, const wait_kind& kind,
                                       void* owner, deadline until, int fd);
  static void notify_switch(scheduler_impl* s, tasklet_impl* prev, tasklet_impl* next) noexcept;
  // The out-of-line halves of weft/detail/hot_path.hpp (scheduler.cpp).
  friend void switch_slow(scheduler_impl* s, tasklet_impl* next);
  friend void finalize_dead(scheduler_impl* s, tasklet_impl* dead) noexcept;
  friend void yield_after_operation(scheduler_impl* s);
  friend void disarm_timer(scheduler_impl* s, tasklet_impl* t) noexcept;

  // The dense-stack switcher (dense_switcher.cpp).
  void switch_via_switcher(tasklet_impl* prev);
  static void switcher_entry(transfer t);

  // The idle point (idle.cpp).
  tasklet_impl* find_next(bool finishing);
  void fire_timers(std::chrono::steady_clock::time_point now);
  void idle_wait(int timeout_ms);
  void poll_reactor() { idle_wait(0); }  // look, never sleep

  // Deadlock detection (deadlock.cpp).
  // Nothing on this thread can wake anything: waits a while if another thread (not a weft
  // helper, not parked itself) might still post. False if none can.
  bool park_while_others_may_post();
  // Called with the registry mutex held by a thread that posts to this one.
  void unpark_locked() noexcept;
  // The last runnable tasklet is ending while main waits for what can never come.
  void wake_main_deadlocked();

  // Other threads (cross_thread.cpp).
  void drain_remote();
  void register_self();
  void unregister_self() noexcept;
  void discard_posts() noexcept;  // at thread exit
  friend std::thread::id thread_of(scheduler_impl* s);
  friend scheduler_impl* scheduler_of(std::thread::id id);

  // Tasklets (lifecycle.cpp).
  // Gives a new control block its id, stack and place in the list of all tasklets.
  void init_new(tasklet_impl* t, std::size_t stack_size);
  void finalize(tasklet_impl* t) noexcept;  // after the last switch away from a dead one
  void finish_unstarted(tasklet_impl* t) noexcept;
  void unwind_all() noexcept;  // at thread exit
  friend scheduler_impl& create_scheduler();
  friend void destroy_released(tasklet_impl* t) noexcept;  // keeps dead control blocks in spare_

  // Exceptions (exceptions.cpp).
  // Makes `t` raise `e` at its next switch point, without switching (any state, the
  // current tasklet included). Used for errors from other threads and for delivery to main.
  void post_exception(tasklet_impl* t, std::exception_ptr e) noexcept;
  // Returns the tasklet that is to receive `e` at once, or null (a handler took it).
  tasklet_impl* deliver_uncaught(tasklet_impl* dead, std::exception_ptr e) noexcept;

  // Run frames (run_frames.cpp).
  // The run() calls nested inside `f` end with it: their callers become runnable.
  void release_nested(run_frame* f) noexcept;
  void check_budget();

  // State. Owned by this scheduler's thread unless said otherwise.
  tasklet_impl* main_ = nullptr;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 1;

  std::unique_ptr<reactor> reactor_;  // notify() from any thread once it exists
  std::vector<run_frame*> frames_;
  wait_queue nice_;
  error_handler on_error_;
  schedule_callback on_switch_;
  channel_callback on_channel_;
  std::thread::id thread_ = std::this_thread::get_id();  // immutable; any thread reads it
  biased_lock local_lock_;

  std::vector<std::exception_ptr> undelivered_;  // uncaught errors waiting for main
  stack_pool pool_;
  // Control blocks of finished tasklets, destroyed but not freed, for the next spawn.
  static constexpr std::size_t max_spare = 1024;
  std::vector<tasklet_impl*> spare_;
  stack_area dense_stack_;
  stack_area switcher_stack_;

  std::mutex remote_mu_;          // any thread
  std::vector<remote_op> remote_;  // guarded by remote_mu_
  std::atomic<bool> sleeping_{false};    // any thread
  std::atomic<bool> dump_requested_{false};  // any thread (a signal handler)
  bool parked_ = false;  // guarded by the registry mutex
  bool afterlife_ = false;  // made after this thread's scheduler was destroyed; immutable
};

inline frame_guard::~frame_guard() { s->pop_frame(f); }

// Inside a weft::atomic scope, a call that would switch tasklets throws instead.
[[noreturn]] void throw_in_atomic(const char* op);
inline void check_may_switch(scheduler_impl& s, const char* op) {
  if (s.current()->atomic) [[unlikely]] throw_in_atomic(op);
}
// The thread that owns `s`, or std::thread::id() if it has ended.
std::thread::id thread_of(scheduler_impl* s);
// The scheduler of a thread, or null if it has none.
scheduler_impl* scheduler_of(std::thread::id id);

// The run-queue primitives are the hot path's (weft/detail/hot_path.hpp).
inline void scheduler_impl::ring_insert_before(tasklet_impl* pos, tasklet_impl* t) noexcept {
  detail::ring_insert_before(this, pos, t);
}
inline void scheduler_impl::ring_unlink(tasklet_impl* t) noexcept { detail::ring_unlink(this, t); }
inline void scheduler_impl::make_runnable(tasklet_impl* t) noexcept { detail::make_runnable(this, t); }

}  // namespace weft::detail
