// dump_tasklets() and tasklet_snapshot(): every tasklet of the thread with its backtrace,
// and the SIGQUIT hook.
#include <signal.h>

#include <ostream>

#include "core/backtrace.hpp"
#include "core/scheduler_impl.hpp"
#include "weft/scheduler.hpp"

namespace weft {

namespace {

const char* state_name(const detail::tasklet_impl* t, const detail::scheduler_impl& s) {
  if (t == s.current() && t->state == detail::tstate::runnable) return "running";
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
  s->request_dump();
}

}  // namespace

std::vector<tasklet_info> tasklet_snapshot(bool with_backtraces) {
  detail::scheduler_impl& s = detail::this_scheduler();
  std::vector<tasklet_info> all;
  all.reserve(s.live_count());
  detail::tasklet_impl* t = s.main();
  do {
    tasklet_info i;
    i.handle = tasklet(t);
    i.id = t->id;
    i.name = t->name_or("");
    i.state = state_name(t, s);
    i.waiting_on = i.handle.waiting_on();
    i.has_deadline = t->state == detail::tstate::blocked && t->timer.armed();
    i.is_main = t->is_main;
    i.stack = t->kind;
    i.stack_used = s.high_water(t);
    if (with_backtraces) i.backtrace = detail::symbolize(detail::tasklet_frames(s, t));
    all.push_back(std::move(i));
    t = t->all_next;
  } while (t != s.main());
  return all;
}

void dump_tasklets(std::ostream& out) {
  detail::scheduler_impl& s = detail::this_scheduler();
  out << "weft: " << s.live_count() << " tasklet(s), " << s.run_count() << " runnable\n";
  for (const tasklet_info& i : tasklet_snapshot(true)) {
    out << "  #" << i.id << ' ' << (i.name.empty() ? "(unnamed)" : i.name) << ": " << i.state;
    if (!i.waiting_on.empty()) out << " on " << i.waiting_on;
    if (i.has_deadline) out << ", with a deadline";
    if (!i.is_main) {
      out << ", " << (i.stack == stack_kind::dense ? "dense" : "guarded") << " stack, "
          << i.stack_used << " B used";
    }
    out << '\n';
    for (const std::string& f : i.backtrace) out << "      " << f << '\n';
  }
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
