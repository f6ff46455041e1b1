// spawn_on(): a control block made on the calling thread travels to its scheduler as a
// remote post and is given its id and stack there (adopt), since only the owner thread
// touches its scheduler's pools and lists.
#include "weft/spawn_on.hpp"

#include <cstdio>
#include <exception>
#include <limits>

#include "core/scheduler_impl.hpp"
#include "weft/error.hpp"

namespace weft::detail {

namespace {
tasklet_impl* make_foreign(scheduler_impl* s, const spawn_options_view& opts) {
  auto* t = new tasklet_impl;  // refs: the scheduler's (carried by the post) and the handle's
  t->sched = s;
  t->kind = opts.stack;
  t->set_name(opts.name);
  return t;
}
}  // namespace

tasklet_impl* new_foreign_tasklet(const tasklet& on, const spawn_options_view& opts) {
  if (!on) throw scheduler_error("weft::spawn_on: empty tasklet handle");
  return make_foreign(on.impl()->sched, opts);
}

tasklet_impl* new_foreign_tasklet(std::thread::id on, const spawn_options_view& opts) {
  scheduler_impl* s = scheduler_of(on);
  if (s == nullptr) throw scheduler_error("weft::spawn_on: that thread has no weft scheduler");
  return make_foreign(s, opts);
}

void post_foreign_tasklet(tasklet_impl* t, std::size_t stack_size) {
  if (stack_size > std::numeric_limits<std::uint32_t>::max())
    throw scheduler_error("weft::spawn_on: stack_size too large");
  t->sched->post({remote_op::spawn, t, static_cast<std::uint32_t>(stack_size), nullptr, nullptr, nullptr});
}

void scheduler_impl::adopt(tasklet_impl* t, std::size_t stack_size) noexcept {
  try {
    init_new(t, stack_size);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft: spawn_on: %s; the tasklet does not run\n", e.what());
    t->state = tstate::dead;
    t->entry.reset();
    release(t);
    return;
  }
  make_runnable(t);
}

}  // namespace weft::detail
