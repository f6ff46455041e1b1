// tasklet: a stackful microthread, scheduled cooperatively on the thread that created it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "weft/detail/callable.hpp"
#include "weft/error.hpp"

namespace weft {

namespace detail {
struct tasklet_impl;
tasklet_impl* new_tasklet(const struct spawn_options_view& opts);
void start_tasklet(tasklet_impl* t, bool schedule);
entry_fn& entry_of(tasklet_impl* t) noexcept;
}  // namespace detail

// Where a tasklet's stack lives.
enum class stack_kind : std::uint8_t {
  // Its own mmap'd stack with a guard page below it, pooled for reuse. Only the pages
  // a tasklet touches use memory. An overflow is reported by name and aborts.
  guarded,
  // One stack shared by all dense tasklets of a scheduler; a switched-out tasklet's used
  // part is copied to the heap, so an idle tasklet costs about what it used. Never keep a
  // pointer into a dense tasklet's stack across a switch (another tasklet's frames may
  // occupy that memory); weft's own primitives never do.
  dense,
};

struct spawn_options {
  stack_kind stack = stack_kind::guarded;
  // Usable stack size for guarded stacks (rounded up to whole pages); 0 means the default,
  // 256 KiB. Dense tasklets may use at most the scheduler's shared stack (1 MiB).
  std::size_t stack_size = 0;
  std::string_view name = {};
};

namespace detail {
struct spawn_options_view {
  stack_kind stack;
  std::size_t stack_size;
  std::string_view name;
};
}  // namespace detail

// A reference-counted handle to a tasklet. A runnable or blocked tasklet is also kept alive
// by its scheduler, so dropping every handle never stops it. Handles may be copied between
// threads; the operations marked "owner thread" must be called on the tasklet's thread.
class tasklet {
 public:
  tasklet() noexcept = default;
  tasklet(const tasklet& o) noexcept;
  tasklet(tasklet&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
  tasklet& operator=(tasklet o) noexcept {
    std::swap(impl_, o.impl_);
    return *this;
  }
  ~tasklet();

  // Binds f(args...) without starting it: the result is alive and paused, and runs once
  // insert()ed or run(). Stackless's bind() with arguments.
  template <class F, class... A>
  static tasklet bind(spawn_options opts, F&& f, A&&... a) {
    auto* t = detail::new_tasklet({opts.stack, opts.stack_size, opts.name});
    tasklet h(t, adopt_t{});
    detail::entry_of(t).emplace(std::forward<F>(f), std::forward<A>(a)...);
    detail::start_tasklet(t, false);
    return h;
  }
  template <class F, class... A>
    requires(!std::is_same_v<std::decay_t<F>, spawn_options>)
  static tasklet bind(F&& f, A&&... a) {
    return bind(spawn_options{}, std::forward<F>(f), std::forward<A>(a)...);
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  friend bool operator==(const tasklet& a, const tasklet& b) noexcept { return a.impl_ == b.impl_; }

  // State, as in Stackless. alive: started or bound and not yet finished. scheduled:
  // runnable or blocked. blocked(): +1 blocked sending, -1 blocked receiving, 0 otherwise
  // (waits on timers, sockets and locks report 0 here and show in waiting_on()).
  // paused: alive, neither runnable nor blocked.
  bool alive() const noexcept;
  bool scheduled() const noexcept;
  int blocked() const noexcept;
  bool paused() const noexcept;
  bool is_main() const noexcept;
  bool is_current() const noexcept;
  std::uint64_t id() const noexcept;
  std::string name() const;
  void set_name(std::string_view name);
  // What a blocked tasklet waits on ("channel receive", "sleep", "fd readable (fd 7)", ...).
  std::string waiting_on() const;
  // Deepest stack use observed so far, in bytes (guarded: since its stack was mapped;
  // dense: largest saved image).
  std::size_t stack_high_water() const noexcept;
  std::size_t stack_size() const noexcept;
  // Stackless's block_trap: while set, a call that would block the tasklet (receive, sleep,
  // lock, I/O wait, ...) throws scheduler_error instead. set_block_trap: owner thread.
  bool block_trap() const noexcept;
  void set_block_trap(bool on);
  // Inside a weft::atomic scope (weft/atomic.hpp).
  bool atomic() const noexcept;
  // The thread the tasklet belongs to; std::thread::id() once that thread has ended, or for
  // an empty handle.
  std::thread::id thread_id() const;

  // Appends a paused tasklet to the end of its scheduler's run queue (any thread; the
  // owner is woken if it waits). Throws scheduler_error if it is blocked or dead.
  void insert();
  // Takes a runnable tasklet out of the run queue (owner thread). Throws scheduler_error
  // for a blocked tasklet or the current one.
  void remove();
  // Switches to it at once. A runnable tasklet keeps its place in the run queue (the ones
  // after it run before the caller again); a paused one is inserted just before the
  // caller, which runs right after it. On a tasklet of another thread it queues it to run
  // next there.
  void run();
  // Like run(), but the caller is paused (taken out of the run queue): someone must
  // insert() it again. Owner thread only.
  void switch_to();
  // Raises tasklet_exit at the tasklet's suspension point, taking it off whatever it waits
  // on first, so its destructors run. Not pending: it runs at once, placed as run() places
  // it. Pending: it is only made runnable. Killing a finished tasklet
  // does nothing; killing a tasklet that never ran ends it without running it; killing the
  // current tasklet throws tasklet_exit right here.
  void kill(bool pending = false);
  // Like kill(), with any exception. Throwing to a finished tasklet is a scheduler_error.
  void throw_exception(std::exception_ptr e, bool pending = false);
  template <class E>
  void raise(E e, bool pending = false) {
    throw_exception(std::make_exception_ptr(std::move(e)), pending);
  }

  detail::tasklet_impl* impl() const noexcept { return impl_; }
  explicit tasklet(detail::tasklet_impl* t) noexcept;  // takes a new reference
  struct adopt_t {};
  tasklet(detail::tasklet_impl* t, adopt_t) noexcept : impl_(t) {}  // takes over a reference

 private:
  detail::tasklet_impl* impl_ = nullptr;
};

// Starts f(args...) as a new tasklet at the end of the run queue. Nobody has to keep the
// returned handle.
template <class F, class... A>
tasklet spawn(spawn_options opts, F&& f, A&&... a) {
  auto* t = detail::new_tasklet({opts.stack, opts.stack_size, opts.name});
  tasklet h(t, tasklet::adopt_t{});
  detail::entry_of(t).emplace(std::forward<F>(f), std::forward<A>(a)...);
  detail::start_tasklet(t, true);
  return h;
}
template <class F, class... A>
  requires(!std::is_same_v<std::decay_t<F>, spawn_options>)
tasklet spawn(F&& f, A&&... a) {
  return spawn(spawn_options{}, std::forward<F>(f), std::forward<A>(a)...);
}

}  // namespace weft
