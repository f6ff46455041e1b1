// The worker pool behind run_blocking: a queue and threads started on demand.
//
// Threads are detached and the pool is never destroyed, so a job still blocked in a system
// call (a slow DNS lookup) cannot hang process exit, and no thread touches a destroyed pool.
// Rejected: a fixed-size pool (a few slow lookups would starve everything else) and one
// thread per job (a thread start per lookup; stacklessthread's noted weakness).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "weft/detail/io_wait.hpp"
#include "weft/run_blocking.hpp"

namespace weft::detail {

namespace {

class worker_pool {
 public:
  void submit(std::unique_ptr<blocking_job> job) {
    std::unique_lock lk(m_);
    queue_.push_back(std::move(job));
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
          return;
        }
      }
      std::unique_ptr<blocking_job> job = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      job->run();
      job.reset();
      lk.lock();
    }
  }

  std::mutex m_;  // guards everything below
  std::condition_variable cv_;
  std::deque<std::unique_ptr<blocking_job>> queue_;
  std::size_t threads_ = 0;
  std::size_t idle_ = 0;
};

worker_pool& pool() {
  static worker_pool* p = new worker_pool;  // never destroyed: see the top of this file
  return *p;
}

}  // namespace

void submit_blocking(std::unique_ptr<blocking_job> job) { pool().submit(std::move(job)); }

}  // namespace weft::detail
