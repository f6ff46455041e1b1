// The stall monitor: one thread that watches the scheduler threads whose tasklets use the
// hooks, and reports a tasklet that holds its thread past the threshold.
//
// A watched thread shows progress: its scheduler's switch count (kept by the core at every
// switch) and a count of the waits in interposed calls. The monitor samples their sum, and
// the scheduler's `sleeping_` flag (idle in the reactor), a few times per threshold; a sum
// unchanged while never idle for the threshold is a stall.
// It then asks the stuck thread for its backtrace with SIGURG (chained to any handler the
// program installed, and ignored by default, so a stray one is harmless): the handler
// records where the thread is and the running tasklet's name, and the monitor reports once
// per episode. Cost on the watched thread: one increment per switch (the core's) and one per
// interposed wait. (A schedule callback did this before; it took every switch off the core's
// inline path and doubled its cost.)
// Rejected: sampling which tasklet is current (two tasklets that switch all the time can be
// seen the same at every sample). Rejected: a periodic signal to every thread (it would
// interrupt the program's own system calls all the time, not only when something is
// already wrong).
//
// Invariants: g_reg.mu guards the registry, the handler and the capture request; a watched
// thread unregisters (under the mutex) before its scheduler is destroyed, so the monitor
// never reads a freed scheduler.
#include <execinfo.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "core/backtrace.hpp"
#include "hook/mode.hpp"
#include "hook/monitor.hpp"
#include "weft/hook.hpp"

namespace weft::hook::detail {

namespace {

using clock = std::chrono::steady_clock;

struct watched {
  watched(scheduler_impl* s, pid_t t) : sched(s), tid(t) {}
  scheduler_impl* sched;
  pid_t tid;
  // Written only by the watched thread (bump), read by the monitor.
  std::atomic<std::uint64_t> progress{0};
  // A plain load and store, not a locked add: one writer, and this runs at every wait.
  void bump() noexcept { progress.store(progress.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  // The monitor's own view.
  std::uint64_t seen = ~std::uint64_t{0};
  clock::time_point since{};
  bool reported = false;
};

// What the stuck thread's signal handler fills in.
struct capture {
  std::atomic<int> state{0};  // 0 idle, 1 requested, 2 done
  pid_t tid = 0;
  void* frames[64];
  int depth = 0;
  char name[96];
};

struct registry {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<watched>> threads;
  std::function<void(const stall&)> handler;
  bool started = false;
  struct sigaction previous {};
};

// Never destroyed: the monitor thread may still run while static destructors do.
registry& g_reg = *new registry;
capture g_capture;
std::atomic<std::int64_t> g_threshold_ms{100};

constinit thread_local watched* t_self __attribute__((tls_model("initial-exec"))) = nullptr;

pid_t this_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// Async-signal-safe: copies and an unwind of the interrupted stack (the unwinder was warmed
// up by the monitor thread, so it does not load anything here).
void on_capture(int sig, siginfo_t* info, void* uc) {
  if (g_capture.state.load(std::memory_order_acquire) == 1 && g_capture.tid == this_tid()) {
    int saved = errno;
    g_capture.depth = ::backtrace(g_capture.frames, 64);
    const char* name = nullptr;
    std::uint64_t id = 0;
    if (scheduler_impl* s = weft::detail::tls_scheduler) {
      name = s->current()->name.get();
      id = s->current()->id;
    }
    if (name) {
      std::strncpy(g_capture.name, name, sizeof g_capture.name - 1);
      g_capture.name[sizeof g_capture.name - 1] = '\0';
    } else {
      char digits[24];
      int n = 0;
      do digits[n++] = static_cast<char>('0' + id % 10); while ((id /= 10) != 0 && n < 23);
      char* p = g_capture.name;
      std::memcpy(p, "tasklet ", 8);
      p += 8;
      while (n > 0) *p++ = digits[--n];
      *p = '\0';
    }
    g_capture.state.store(2, std::memory_order_release);
    errno = saved;
    return;
  }
  const struct sigaction& prev = g_reg.previous;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) prev.sa_sigaction(sig, info, uc);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  }
}

void print_stall(const stall& s) {
  std::fprintf(stderr,
               "weft: tasklet '%s' has held its thread for %lld ms (a CPU loop, or a blocking call "
               "weft does not interpose); it is at:\n%s",
               s.tasklet.c_str(),
               static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(s.held).count()),
               s.backtrace.c_str());
}

// Asks w's thread where it is; called with g_reg.mu held (w cannot go away meanwhile).
stall capture_stall(watched* w, clock::duration held) {
  stall out;
  out.held = std::chrono::duration_cast<std::chrono::nanoseconds>(held);
  g_capture.tid = w->tid;
  g_capture.depth = 0;
  g_capture.state.store(1, std::memory_order_release);
  bool answered = false;
  if (::syscall(SYS_tgkill, ::getpid(), w->tid, SIGURG) == 0) {
    auto until = clock::now() + std::chrono::milliseconds(500);
    while (clock::now() < until) {
      if (g_capture.state.load(std::memory_order_acquire) == 2) {
        answered = true;
        break;
      }
      std::this_thread::yield();
    }
  }
  g_capture.state.store(0, std::memory_order_release);
  if (!answered) {
    out.tasklet = "(unknown)";
    out.backtrace = "  (no backtrace: the thread did not answer SIGURG)\n";
    return out;
  }
  out.tasklet = g_capture.name;
  // Frame 0 is the handler, frame 1 the signal trampoline.
  std::vector<void*> pcs(g_capture.frames + std::min(g_capture.depth, 2), g_capture.frames + g_capture.depth);
  for (const std::string& line : weft::detail::symbolize(pcs)) out.backtrace += "  " + line + "\n";
  return out;
}

void monitor_main() {
  void* warm[4];
  ::backtrace(warm, 4);  // loads the unwinder now, not in the signal handler
  std::unique_lock<std::mutex> lock(g_reg.mu);
  for (;;) {
    const auto threshold = std::chrono::milliseconds(g_threshold_ms.load(std::memory_order_relaxed));
    const auto period = threshold.count() > 0
                            ? std::clamp(threshold / 4, std::chrono::milliseconds(1), std::chrono::milliseconds(25))
                            : std::chrono::milliseconds(100);
    g_reg.cv.wait_for(lock, period);
    if (threshold.count() <= 0) continue;
    const auto now = clock::now();
    std::vector<stall> reports;
    for (const std::shared_ptr<watched>& ptr : g_reg.threads) {
      watched* w = ptr.get();
      std::uint64_t p = w->progress.load(std::memory_order_relaxed) + w->sched->switch_count_racy();
      if (p != w->seen || w->sched->sleeping()) {
        w->seen = p;
        w->since = now;
        w->reported = false;
        continue;
      }
      // Only main left: nothing is being starved. (A racy read of the owner's count; a
      // stale value only delays or repeats this check.)
      if (w->reported || now - w->since < threshold ||
          w->sched->live_count_racy() <= 1)
        continue;
      w->reported = true;
      reports.push_back(capture_stall(w, now - w->since));
    }
    if (reports.empty()) continue;
    auto handler = g_reg.handler;
    lock.unlock();
    for (const stall& s : reports) {
      if (handler)
        handler(s);
      else
        print_stall(s);
    }
    lock.lock();
  }
}

// Called with g_reg.mu held.
void start_monitor() {
  if (g_reg.started) return;
  g_reg.started = true;
  struct sigaction sa {};
  sa.sa_sigaction = &on_capture;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGURG, &sa, &g_reg.previous);
  std::thread(monitor_main).detach();
}

struct unwatch_at_exit {
  ~unwatch_at_exit() {
    watched* w = t_self;
    if (!w) return;
    t_self = nullptr;
    std::lock_guard<std::mutex> l(g_reg.mu);
    std::erase_if(g_reg.threads, [w](const std::shared_ptr<watched>& p) { return p.get() == w; });
  }
};

}  // namespace

constinit thread_local bool t_watched __attribute__((tls_model("initial-exec"))) = false;

void watch_thread(scheduler_impl* s) {
  t_watched = true;
  if (g_forked_child.load(std::memory_order_relaxed)) return;
  auto w = std::make_shared<watched>(s, this_tid());
  thread_local unwatch_at_exit guard;
  (void)guard;
  t_self = w.get();
  std::lock_guard<std::mutex> l(g_reg.mu);
  g_reg.threads.push_back(std::move(w));
  start_monitor();
}

void note_progress() noexcept {
  if (watched* w = t_self) w->bump();
}

void monitor_forked() noexcept { t_self = nullptr; }

}  // namespace weft::hook::detail

namespace weft::hook {

void set_stall_threshold(std::chrono::milliseconds threshold) {
  detail::g_threshold_ms.store(threshold.count(), std::memory_order_relaxed);
  detail::g_reg.cv.notify_all();
}

void set_stall_handler(std::function<void(const stall&)> handler) {
  std::lock_guard<std::mutex> l(detail::g_reg.mu);
  detail::g_reg.handler = std::move(handler);
}

}  // namespace weft::hook
