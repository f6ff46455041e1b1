// mutex, condition_variable, semaphore, event and wait_group for tasklets.
//
// Invariants: every field is guarded by site_.lock. Ownership and permits are handed
// straight to the woken waiter (it never has to race a newcomer for them), so waits are
// FIFO-fair, and a timed-out or killed waiter holds nothing.
#include "weft/sync.hpp"

#include "core/scheduler_impl.hpp"
#include "weft/error.hpp"

namespace weft {

using detail::deadline;
using detail::lock_guard;

namespace {
constexpr detail::wait_kind mutex_kind{&detail::cancel_site, "mutex", 0};
constexpr detail::wait_kind cv_kind{&detail::cancel_site, "condition_variable", 0};
constexpr detail::wait_kind semaphore_kind{&detail::cancel_site, "semaphore", 0};
constexpr detail::wait_kind event_kind{&detail::cancel_site, "event", 0};
constexpr detail::wait_kind wait_group_kind{&detail::cancel_site, "wait_group", 0};
deadline after(duration d) { return std::chrono::steady_clock::now() + d; }
detail::tasklet_impl* me() { return detail::this_scheduler().current(); }
}  // namespace

// --- mutex -----------------------------------------------------------------------------

namespace {
bool lock_mutex(detail::wait_site& site, detail::tasklet_impl*& owner, deadline until) {
  detail::tasklet_impl* self = me();
  lock_guard g(site.lock);
  if (owner == self) throw scheduler_error("weft::mutex::lock: already held by this tasklet");
  if (owner == nullptr) {
    owner = self;
    return true;
  }
  if (until == deadline::min()) return false;
  return site.wait(g, until, mutex_kind);  // on success unlock() made us the owner
}
}  // namespace

void mutex::lock() { lock_mutex(site_, owner_, detail::forever); }
bool mutex::try_lock() { return lock_mutex(site_, owner_, deadline::min()); }
bool mutex::try_lock_for(duration d) { return lock_mutex(site_, owner_, after(d)); }

void mutex::unlock() {
  lock_guard g(site_.lock);
  if (owner_ != me()) throw scheduler_error("weft::mutex::unlock: not held by this tasklet");
  detail::waiter* w = site_.queue.pop_front();
  if (!w) {
    owner_ = nullptr;
    return;
  }
  owner_ = w->task;
  w->result = 1;
  auto tok = detail::prepare_wake(w);
  g.unlock();
  detail::wake(tok, detail::wake_mode::append);
}

// --- condition_variable ---------------------------------------------------------------------

namespace {
bool cv_wait(detail::wait_site& site, std::unique_lock<mutex>& lk, deadline until) {
  lock_guard g(site.lock);
  // Queue first, then release the mutex: a notify between the two cannot be lost.
  detail::waiter& w = detail::own_waiter();
  site.queue.push_back(&w);
  try {
    lk.unlock();
  } catch (...) {
    site.queue.erase(&w);
    throw;
  }
  bool signaled = false;
  try {
    signaled = site.wait_queued(g, cv_kind, until);
  } catch (...) {
    lk.lock();
    throw;
  }
  lk.lock();
  return signaled;
}
}  // namespace

void condition_variable::wait(std::unique_lock<mutex>& lock) { cv_wait(site_, lock, detail::forever); }
std::cv_status condition_variable::wait_for(std::unique_lock<mutex>& lock, duration d) {
  return cv_wait(site_, lock, after(d)) ? std::cv_status::no_timeout : std::cv_status::timeout;
}
void condition_variable::notify_one() {
  lock_guard g(site_.lock);
  site_.wake_one(g);
}
void condition_variable::notify_all() {
  lock_guard g(site_.lock);
  site_.wake_all(g);
}

// --- semaphore --------------------------------------------------------------------------------

namespace {
bool acquire_permit(detail::wait_site& site, std::ptrdiff_t& count, deadline until) {
  lock_guard g(site.lock);
  if (count > 0 && site.queue.empty()) {
    --count;
    return true;
  }
  if (until == deadline::min()) return false;
  return site.wait(g, until, semaphore_kind);  // release() handed us the permit
}
}  // namespace

void semaphore::acquire() { acquire_permit(site_, count_, detail::forever); }
bool semaphore::try_acquire() { return acquire_permit(site_, count_, deadline::min()); }
bool semaphore::try_acquire_for(duration d) { return acquire_permit(site_, count_, after(d)); }
void semaphore::release(std::ptrdiff_t n) {
  lock_guard g(site_.lock);
  while (n > 0 && !site_.queue.empty()) {
    --n;
    site_.wake_one(g);
    g.relock();
  }
  count_ += n;
}

// --- event ----------------------------------------------------------------------------------------

void event::set() {
  lock_guard g(site_.lock);
  set_ = true;
  site_.wake_all(g);
}
void event::clear() {
  lock_guard g(site_.lock);
  set_ = false;
}
void event::wait() {
  lock_guard g(site_.lock);
  if (!set_) site_.wait(g, detail::forever, event_kind);
}
bool event::wait_for(duration d) {
  lock_guard g(site_.lock);
  if (set_) return true;
  return site_.wait(g, after(d), event_kind);
}

// --- wait_group ---------------------------------------------------------------------------------

void wait_group::add(std::ptrdiff_t n) {
  lock_guard g(site_.lock);
  if (count_ + n < 0) throw scheduler_error("weft::wait_group: the count would go negative");
  count_ += n;
  if (count_ == 0) site_.wake_all(g);
}
void wait_group::done() { add(-1); }
void wait_group::wait() {
  lock_guard g(site_.lock);
  if (count_ > 0) site_.wait(g, detail::forever, wait_group_kind);
}
bool wait_group::wait_for(duration d) {
  lock_guard g(site_.lock);
  if (count_ == 0) return true;
  return site_.wait(g, after(d), wait_group_kind);
}

}  // namespace weft
