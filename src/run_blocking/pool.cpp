// The worker pool behind run_blocking: a queue, threads started on demand, and an eventfd
// per call through which the worker wakes the waiting tasklet (detail::wait_io).
//
// Threads are detached and the pool is never destroyed, so a job still blocked in a system
// call (a slow DNS lookup) cannot hang process exit, and no thread touches a destroyed pool.
// Rejected: a fixed-size pool (a few slow lookups would starve everything else); one thread
// per job (a thread start per lookup: stacklessthread's noted weakness); and a channel as
// the completion signal, which the first version used: a worker thread sending on a
// channel relies on the core's cross-thread bias revocation, which stalled for seconds
// when the receiving scheduler was idle (see docs/net.md). An eventfd needs nothing but
// the reactor.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "sys/sys.hpp"
#include "sys/unique_fd.hpp"
#include "weft/detail/io_wait.hpp"
#include "weft/run_blocking.hpp"

namespace weft::detail {

namespace {

// One run_blocking call, shared by the waiting tasklet and the worker; whoever lets go
// last closes the eventfd.
struct call {
  std::shared_ptr<blocking_job> job;
  sys::unique_fd wake;
  std::atomic<bool> done{false};
  // The scheduler must not call the waiting tasklet deadlocked while the job runs.
  std::unique_ptr<external_wakeup_hold> hold = std::make_unique<external_wakeup_hold>();
};

class worker_pool {
 public:
  void submit(std::shared_ptr<call> c) {
    std::unique_lock lk(m_);
    queue_.push_back(std::move(c));
    // Every queued job needs an idle thread of its own, or a new one.
    if (idle_ < queue_.size() && threads_ < max_threads) {
      ++threads_;
      std::thread([this] { work(); }).detach();
    }
    lk.unlock();
    cv_.notify_one();
  }

 private:
  static constexpr std::size_t max_threads = 64;
  static constexpr auto idle_exit = std::chrono::seconds(10);

  void work() {
    register_helper_thread();
    std::unique_lock lk(m_);
    for (;;) {
      while (queue_.empty()) {
        ++idle_;
        bool woke = cv_.wait_for(lk, idle_exit, [&] { return !queue_.empty(); });
        --idle_;
        if (!woke) {
          --threads_;
          unregister_helper_thread();
          return;
        }
      }
      std::shared_ptr<call> c = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      c->job->run();
      c->done.store(true, std::memory_order_release);
      sys::eventfd_signal(c->wake.get());
      c->hold.reset();  // only now: the tasklet's wait is about to end
      c.reset();
      lk.lock();
    }
  }

  std::mutex m_;  // guards everything below
  std::condition_variable cv_;
  std::deque<std::shared_ptr<call>> queue_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
};

worker_pool& pool() {
  static worker_pool* p = new worker_pool;  // never destroyed: see the top of this file
  return *p;
}

}  // namespace

void run_on_pool(std::shared_ptr<blocking_job> job) {
  auto c = std::make_shared<call>();
  std::error_code ec;
  c->wake = sys::unique_fd(sys::eventfd(ec));
  if (ec) throw std::system_error(ec, "run_blocking: eventfd");
  c->job = std::move(job);
  const int fd = c->wake.get();
  pool().submit(c);
  try {
    while (!c->done.load(std::memory_order_acquire)) {
      wait_io(fd, io_event::readable);
      sys::eventfd_drain(fd);
    }
  } catch (...) {
    io_closing(fd);  // killed: the reactor forgets the fd before the worker may close it
    throw;
  }
  io_closing(fd);
}

}  // namespace weft::detail
