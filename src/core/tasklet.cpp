// The tasklet handle: state queries and the Stackless operations on one tasklet.
#include "core/sanitizer.hpp"
#include "core/scheduler_impl.hpp"
#include "weft/tasklet.hpp"

namespace weft {

using detail::scheduler_impl;
using detail::tasklet_impl;
using detail::tstate;

namespace detail {

tasklet_impl* new_tasklet(const spawn_options_view& opts) { return this_scheduler().create(opts); }
void start_tasklet(tasklet_impl* t, bool schedule) { t->sched->start(t, schedule); }
entry_fn& entry_of(tasklet_impl* t) noexcept { return t->entry; }

namespace {
// Operations that switch stacks or touch the run queue belong to the tasklet's own thread.
scheduler_impl& owner_thread(tasklet_impl* t, const char* op) {
  if (t == nullptr) throw scheduler_error(std::string(op) + ": empty tasklet handle");
  if (t->sched != tls_scheduler)
    throw scheduler_error(std::string(op) + ": the tasklet belongs to another thread");
  return *t->sched;
}
}  // namespace

}  // namespace detail

tasklet::tasklet(tasklet_impl* t) noexcept : impl_(t) {
  if (t) detail::add_ref(t);
}
tasklet::tasklet(const tasklet& o) noexcept : impl_(o.impl_) {
  if (impl_) detail::add_ref(impl_);
}
tasklet::~tasklet() {
  if (impl_) detail::release(impl_);
}

bool tasklet::alive() const noexcept { return impl_ && impl_->state != tstate::dead; }
bool tasklet::scheduled() const noexcept {
  return impl_ && (impl_->state == tstate::runnable || impl_->state == tstate::blocked);
}
int tasklet::blocked() const noexcept {
  if (!impl_ || impl_->state != tstate::blocked) return 0;
  return impl_->wait.kind->direction;
}
bool tasklet::paused() const noexcept {
  return impl_ && (impl_->state == tstate::paused || impl_->state == tstate::fresh);
}
bool tasklet::is_main() const noexcept { return impl_ && impl_->is_main; }
bool tasklet::is_current() const noexcept {
  return impl_ && impl_->sched == detail::tls_scheduler && impl_->sched->current() == impl_;
}
std::uint64_t tasklet::id() const noexcept { return impl_ ? impl_->id : 0; }
std::string tasklet::name() const { return impl_ ? impl_->name_or("") : std::string(); }
void tasklet::set_name(std::string_view name) {
  detail::owner_thread(impl_, "tasklet::set_name");
  impl_->set_name(name);
  detail::san_tasklet_renamed(impl_);
}
std::string tasklet::waiting_on() const {
  if (!impl_ || impl_->state != tstate::blocked) return {};
  std::string s = impl_->wait.kind->what;
  if (impl_->wait.fd >= 0) s += " (fd " + std::to_string(impl_->wait.fd) + ")";
  return s;
}
std::size_t tasklet::stack_high_water() const noexcept {
  return impl_ ? impl_->sched->high_water(impl_) : 0;
}
bool tasklet::block_trap() const noexcept { return impl_ && impl_->block_trap; }
void tasklet::set_block_trap(bool on) {
  detail::owner_thread(impl_, "tasklet::set_block_trap");
  impl_->block_trap = on;
}
bool tasklet::atomic() const noexcept { return impl_ && impl_->atomic > 0; }
std::thread::id tasklet::thread_id() const {
  return impl_ ? detail::thread_of(impl_->sched) : std::thread::id();
}
std::size_t tasklet::stack_size() const noexcept {
  if (!impl_ || impl_->is_main) return 0;
  return impl_->kind == stack_kind::dense ? detail::dense_stack_size : impl_->stack.usable();
}

void tasklet::insert() {
  if (!impl_) throw scheduler_error("tasklet::insert: empty tasklet handle");
  if (impl_->sched != detail::tls_scheduler) {
    detail::add_ref(impl_);
    impl_->sched->post({detail::remote_op::insert, impl_, 0, nullptr, nullptr, nullptr});
    return;
  }
  switch (impl_->state) {
    case tstate::dead:
      throw scheduler_error("You cannot run an unbound(dead) tasklet");
    case tstate::blocked:
      throw scheduler_error("You cannot run a blocked tasklet");
    case tstate::runnable:
      return;
    default:
      impl_->sched->make_runnable(impl_);
  }
}

void tasklet::remove() {
  scheduler_impl& s = detail::owner_thread(impl_, "tasklet::remove");
  if (impl_->state == tstate::blocked) throw scheduler_error("You cannot remove a blocked tasklet.");
  if (impl_ == s.current()) throw scheduler_error("The current tasklet cannot be removed.");
  if (impl_->state == tstate::dead) throw scheduler_error("You cannot remove a dead tasklet.");
  if (impl_->state == tstate::runnable) {
    s.ring_unlink(impl_);
    impl_->state = tstate::paused;
  }
}

void tasklet::run() {
  if (!impl_) throw scheduler_error("tasklet::run: empty tasklet handle");
  if (impl_->sched != detail::tls_scheduler) {
    detail::add_ref(impl_);
    impl_->sched->post({detail::remote_op::run, impl_, 0, nullptr, nullptr, nullptr});
    return;
  }
  scheduler_impl& s = *impl_->sched;
  if (impl_ == s.current()) return;
  if (impl_->state == tstate::dead) throw scheduler_error("You cannot run an unbound(dead) tasklet");
  if (impl_->state == tstate::blocked) throw scheduler_error("You cannot run a blocked tasklet");
  detail::check_may_switch(s, "tasklet::run");
  // Stackless: a scheduled target keeps its place in the queue; a paused one goes just
  // before the caller, so the caller runs right after it.
  if (impl_->state != tstate::runnable) s.make_runnable_before_current(impl_);
  s.switch_to(impl_);
  s.after_resume();
}

void tasklet::switch_to() {
  scheduler_impl& s = detail::owner_thread(impl_, "tasklet::switch_to");
  if (impl_ == s.current()) return;
  if (impl_->state == tstate::dead) throw scheduler_error("You cannot switch to a dead tasklet");
  if (impl_->state == tstate::blocked) throw scheduler_error("You cannot switch to a blocked tasklet");
  detail::check_may_switch(s, "tasklet::switch_to");
  tasklet_impl* cur = s.current();
  if (impl_->state != tstate::runnable) s.make_runnable_before_current(impl_);
  s.ring_unlink(cur);
  cur->state = tstate::paused;
  s.switch_to(impl_);
  s.after_resume();
}

void tasklet::kill(bool pending) {
  if (!impl_) return;
  // Only the owner thread may read the state; another thread posts the kill, and the
  // owner ignores it if the tasklet has finished by then.
  if (impl_->sched == detail::tls_scheduler && impl_->state == tstate::dead) return;
  throw_exception(std::make_exception_ptr(tasklet_exit{}), pending);
}

void tasklet::throw_exception(std::exception_ptr e, bool pending) {
  if (!impl_) throw scheduler_error("tasklet::throw_exception: empty tasklet handle");
  if (impl_->sched != detail::tls_scheduler) {
    detail::add_ref(impl_);
    impl_->sched->post({detail::remote_op::raise, impl_, 0, std::move(e), nullptr, nullptr});
    return;
  }
  impl_->sched->throw_to(impl_, std::move(e), pending);
}

}  // namespace weft
