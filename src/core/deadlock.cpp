// Deadlock detection: when nothing on this thread can wake a waiting tasklet, is there
// another thread that still might? Threads are counted from /proc/self/stat; weft's helper
// threads (worker pools) and schedulers parked here themselves do not count, and a
// run_blocking job in flight holds every thread awake (external_wakeup_hold).
//
// Invariants: g_parked counts the schedulers whose parked_ is set; both change only under
// the registry mutex. A scheduler with posts queued is never parked.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "core/check.hpp"
#include "core/scheduler_impl.hpp"
#include "core/threads.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {

int g_parked = 0;  // schedulers waiting only for other threads (guarded by the registry mutex)
std::atomic<int> g_external_holds{0};
std::atomic<int> g_helper_threads{0};

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

}  // namespace

bool external_wakeup_held() noexcept { return g_external_holds.load(std::memory_order_acquire) > 0; }

bool scheduler_impl::park_while_others_may_post() {
  const int threads = process_threads();  // file I/O: not under the registry mutex
  std::unique_lock<std::mutex> l(registry_mutex());
  // Another thread posts under this mutex. Something posted since the last drain (a wake
  // from a thread that has parked since) must be handled, not counted as stuck; and a thread
  // must not park (and be counted as stuck) with work already posted.
  if (has_remote_.load(std::memory_order_acquire)) return true;
  int others = threads - 1 - g_helper_threads.load() - g_parked;
  if (others <= 0) return false;
  ++g_parked;
  parked_ = true;
  l.unlock();
  idle_wait(100);
  l.lock();
  if (parked_) {  // else a poster already unparked us
    --g_parked;
    parked_ = false;
  }
  return true;
}

void scheduler_impl::unpark_locked() noexcept {
  // A parked scheduler with work posted is no longer parked, even before it wakes up: the
  // deadlock check of another thread must not count it as stuck.
  if (parked_) {
    parked_ = false;
    --g_parked;
    WEFT_CHECK(g_parked >= 0, "the count of parked schedulers went negative");
  }
}

void scheduler_impl::wake_main_deadlocked() {
  // Wake main with the reason (Stackless's slp_tasklet_end).
  tasklet_impl* m = main_;
  if (m->state == tstate::dead) fatal("no tasklet can run and main has finished");
  const int direction = m->state == tstate::blocked ? m->wait.kind->direction : 0;
  const char* why = direction < 0
                        ? "Deadlock: the main tasklet is receiving without a sender available."
                    : direction > 0
                        ? "Deadlock: the main tasklet is sending without a receiver available."
                        : "Deadlock: the main tasklet is blocked and no tasklet can wake it.";
  if (m->state == tstate::blocked) m->wait_aborted = cancel_wait(m);
  if (!m->pending) m->pending = std::make_exception_ptr(deadlock_error(why));
  end_wait(m, wake_reason::signaled);
}

external_wakeup_hold::external_wakeup_hold() noexcept {
  g_external_holds.fetch_add(1, std::memory_order_acq_rel);
}
external_wakeup_hold::~external_wakeup_hold() {
  g_external_holds.fetch_sub(1, std::memory_order_acq_rel);
}
void register_helper_thread() noexcept { g_helper_threads.fetch_add(1); }
void unregister_helper_thread() noexcept { g_helper_threads.fetch_sub(1); }

}  // namespace weft::detail
