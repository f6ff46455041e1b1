// The per-thread scheduler: running, yielding, pumping from a host loop, and diagnostics.
#pragma once

#include <chrono>
#include <exception>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "weft/tasklet.hpp"

namespace weft {

// Runs the tasklets of this thread until none but the caller is runnable and nothing
// pending (a timer, an I/O wait) can make one runnable; meanwhile the thread sleeps in the
// reactor when everything waits. Returns at once if called with nothing else to do.
// Nests: a tasklet may call run() too, and the innermost call returns first.
// An exception escaping another tasklet is rethrown from here (see set_error_handler).
void run();

// As run(), but when every tasklet waits only on other threads (a channel fed by another
// thread, a cross-thread insert), the thread sleeps until woken instead of returning.
// Returns when every tasklet of this thread has finished. Stackless's threadblock.
void run_threadblock();

// As run(), for at most `budget` in total. If the budget runs out while a tasklet is
// running, that tasklet is removed from the run queue (paused) at its next switch point and
// returned, so the host can report, insert() or kill() it: C++ cannot preempt, so a
// tasklet that never switches is only caught when it does. Returns an empty handle when the
// work finished in time. Stackless's run(timeout, totaltimeout=True).
tasklet run_for(std::chrono::nanoseconds budget);

// Host-loop pumping: runs each tasklet that is runnable now once (newcomers and tasklets
// that be_nice() wait for the next round), processes due timers and ready I/O without
// sleeping, and returns. Returns the number of tasklets still runnable.
int pump();

// Pumps rounds until nothing is runnable or `budget` is used; returns the tasklet that was
// running when it ran out (still runnable), or an empty handle.
tasklet pump_for(std::chrono::nanoseconds budget);

// Waits for the next pump() round (or, under run(), for the next round of the queue).
// Stackless's "Being Nice" idiom.
void be_nice();

// Yields: the caller goes to the end of the run queue. Returns at once if nothing else is
// runnable.
void schedule();
// Yields and leaves the run queue (paused). Someone must insert() the caller again.
void schedule_remove();

tasklet current();
tasklet main_tasklet();
// Runnable tasklets of this thread, the current one included (at least 1).
int run_count() noexcept;

// Called, instead of delivering to main, with every exception that escapes a non-main
// tasklet. If it throws, or none is set, the exception goes to main (or to the innermost
// run() caller): rethrown from run(), or from whatever main is blocked in. Returns the
// previous handler. Per thread.
using error_handler = std::function<void(tasklet, std::exception_ptr)>;
error_handler set_error_handler(error_handler h);

// Prints every tasklet of this thread: id, name, state, what it waits on, stack use, and a
// backtrace of each one that has started (suspended ones too).
void dump_tasklets(std::ostream& out);

// One tasklet of this thread as tasklet_snapshot() saw it.
struct tasklet_info {
  tasklet handle;
  std::uint64_t id = 0;
  std::string name;
  std::string state;       // "running", "runnable", "blocked", "paused", "bound (not started)"
  std::string waiting_on;  // as tasklet::waiting_on(); "" unless blocked
  bool has_deadline = false;
  bool is_main = false;
  stack_kind stack = stack_kind::guarded;
  std::size_t stack_used = 0;  // as tasklet::stack_high_water()
  std::vector<std::string> backtrace;  // innermost frame first; filled only on request
};
// Every live tasklet of this thread, main first, then in creation order.
std::vector<tasklet_info> tasklet_snapshot(bool with_backtraces = false);
// From now on SIGQUIT makes the scheduler of the calling thread print dump_tasklets() to
// stderr at its next switch point or idle wake-up.
void dump_tasklets_on_sigquit();

// Live tasklets of this thread (runnable, blocked or paused), main included.
std::size_t tasklet_count() noexcept;

}  // namespace weft
