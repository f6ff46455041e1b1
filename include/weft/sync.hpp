// Synchronisation for tasklets: mutex, condition_variable, semaphore, event, wait_group.
// Each blocks only the calling tasklet, works across threads, hands over in FIFO order,
// and has a timed form. A kill while waiting unwinds from the wait with nothing acquired;
// if ownership or a permit was already handed over, the wait returns normally and the kill
// is raised at the next switch point, so RAII gives it back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "weft/detail/wait.hpp"

namespace weft {

namespace detail {
bool cancel_site(void* owner, waiter* w) noexcept;
// A lock and a FIFO of waiters: the common part of every primitive below.
struct wait_site {
  biased_lock lock;
  wait_queue queue;
  // Blocks the current tasklet in `queue` (g holds `lock`); true if woken by wake_one/all,
  // false on timeout.
  bool wait(lock_guard& g, deadline until, const wait_kind& what);
  // The same, for a waiter the caller already queued.
  bool wait_queued(lock_guard& g, const wait_kind& what, deadline until);
  // Completes the first waiter; g is unlocked afterwards. False if nobody waited.
  bool wake_one(lock_guard& g);
  void wake_all(lock_guard& g);
};
}  // namespace detail

using duration = std::chrono::steady_clock::duration;

// Not recursive. Unlocked by the tasklet that locked it (else scheduler_error).
class mutex {
 public:
  void lock();
  bool try_lock();
  bool try_lock_for(duration d);
  void unlock();

 private:
  detail::wait_site site_;
  detail::tasklet_impl* owner_ = nullptr;
};

// Works with std::unique_lock<weft::mutex>.
class condition_variable {
 public:
  void wait(std::unique_lock<mutex>& lock);
  template <class Pred>
  void wait(std::unique_lock<mutex>& lock, Pred pred) {
    while (!pred()) wait(lock);
  }
  std::cv_status wait_for(std::unique_lock<mutex>& lock, duration d);
  template <class Pred>
  bool wait_for(std::unique_lock<mutex>& lock, duration d, Pred pred) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!pred()) {
      auto left = until - std::chrono::steady_clock::now();
      if (left <= duration::zero() || wait_for(lock, left) == std::cv_status::timeout) return pred();
    }
    return true;
  }
  void notify_one();
  void notify_all();

 private:
  detail::wait_site site_;
};

class semaphore {
 public:
  explicit semaphore(std::ptrdiff_t initial = 0) : count_(initial) {}
  void acquire();
  bool try_acquire();
  bool try_acquire_for(duration d);
  void release(std::ptrdiff_t n = 1);
  std::ptrdiff_t available() const noexcept { return count_; }

 private:
  detail::wait_site site_;
  std::ptrdiff_t count_;
};

// A manual-reset event: set() wakes every waiter and lets later waits through until clear().
class event {
 public:
  void set();
  void clear();
  bool is_set() const noexcept { return set_; }
  void wait();
  bool wait_for(duration d);

 private:
  detail::wait_site site_;
  bool set_ = false;
};

// Waits for a count of tasks to finish (Go's sync.WaitGroup).
class wait_group {
 public:
  void add(std::ptrdiff_t n = 1);
  void done();
  void wait();
  bool wait_for(duration d);
  std::ptrdiff_t count() const noexcept { return count_; }

 private:
  detail::wait_site site_;
  std::ptrdiff_t count_ = 0;
};

}  // namespace weft
