// dump_tasklets(): a readable listing of every tasklet of the thread, and the SIGQUIT hook.
#include <execinfo.h>
#include <signal.h>

#include <cstdlib>
#include <ostream>

#include "core/scheduler_impl.hpp"
#include "weft/scheduler.hpp"

namespace weft {

namespace {

const char* state_name(const detail::tasklet_impl* t, const detail::scheduler_impl& s) {
  if (t == s.current_ && t->state == detail::tstate::runnable) return "running";
  switch (t->state) {
    case detail::tstate::fresh: return "bound (not started)";
    case detail::tstate::runnable: return "runnable";
    case detail::tstate::blocked: return "blocked";
    case detail::tstate::paused: return "paused";
    case detail::tstate::dead: return "dead";
  }
  return "?";
}

std::atomic<detail::scheduler_impl*> g_sigquit_target{nullptr};

void on_sigquit(int) {
  detail::scheduler_impl* s = g_sigquit_target.load();
  if (!s) return;
  s->dump_requested_.store(true);
  s->has_remote_.store(true);
  if (s->reactor_) s->reactor_->notify();
}

}  // namespace

void dump_tasklets(std::ostream& out) {
  detail::scheduler_impl& s = detail::this_scheduler();
  out << "weft: " << s.live_ << " tasklet(s), " << s.run_count() << " runnable\n";
  detail::tasklet_impl* t = s.main_;
  do {
    out << "  #" << t->id << ' ' << t->name_or("(unnamed)") << ": "
        << state_name(t, s);
    if (t->state == detail::tstate::blocked) {
      out << " on " << t->wait.kind->what;
      if (t->wait.fd >= 0) out << " (fd " << t->wait.fd << ')';
      if (t->timer.armed()) out << ", with a deadline";
    }
    if (!t->is_main) {
      out << ", " << (t->kind == stack_kind::dense ? "dense" : "guarded") << " stack, "
          << s.high_water(t) << " B used";
    }
    out << '\n';
    if (t == s.current_) {
      void* frames[32];
      int n = ::backtrace(frames, 32);
      char** names = ::backtrace_symbols(frames, n);
      for (int i = 1; names && i < n; ++i) out << "      " << names[i] << '\n';
      std::free(names);
    }
    t = t->all_next;
  } while (t != s.main_);
  out.flush();
}

void dump_tasklets_on_sigquit() {
  detail::scheduler_impl& s = detail::this_scheduler();
  s.io();  // the handler wakes the reactor, so it must exist
  g_sigquit_target.store(&s);
  struct sigaction sa {};
  sa.sa_handler = on_sigquit;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGQUIT, &sa, nullptr);
}

}  // namespace weft
