// run_blocking: run a blocking call (a library that knows nothing of tasklets, getaddrinfo,
// file I/O) on weft's worker pool while only the calling tasklet waits.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {

struct blocking_job {
  virtual ~blocking_job() = default;
  virtual void run() noexcept = 0;  // called once, on a worker thread
};

// Runs job->run() on the process-wide worker pool and suspends the calling tasklet until it
// returned. Threads start on demand (at most 64 run at once; beyond that jobs queue) and end
// after 10 s idle. If the tasklet is killed meanwhile, tasklet_exit propagates at once and
// the job still runs to completion (it is shared with the pool).
void run_on_pool(std::shared_ptr<blocking_job> job);

}  // namespace detail

// Calls f() on a worker thread and returns its result (decayed: a reference result is
// copied), or rethrows the exception it threw. Blocks only the calling tasklet; there is no
// timeout. If the calling tasklet is killed meanwhile, it unwinds at once; f cannot be
// interrupted, so it runs to completion on the worker and its result is dropped there.
// f runs on another thread: it must not touch the caller's tasklets or sockets, and must
// own (capture by value) whatever it reads, since the caller may be unwound, and a dense
// tasklet's stack is reused by others while it waits.
template <class F>
auto run_blocking(F&& f) -> std::decay_t<std::invoke_result_t<std::decay_t<F>&>> {
  using fn_type = std::decay_t<F>;
  using result = std::decay_t<std::invoke_result_t<fn_type&>>;
  struct job final : detail::blocking_job {
    explicit job(F&& f) : fn(std::forward<F>(f)) {}
    void run() noexcept override {
      try {
        if constexpr (std::is_void_v<result>) {
          fn();
        } else {
          value.emplace(fn());
        }
      } catch (...) {
        error = std::current_exception();
      }
    }
    fn_type fn;
    std::conditional_t<std::is_void_v<result>, bool, std::optional<result>> value{};
    std::exception_ptr error;
  };
  auto j = std::make_shared<job>(std::forward<F>(f));
  detail::run_on_pool(j);
  if (j->error) std::rethrow_exception(j->error);
  if constexpr (!std::is_void_v<result>) return std::move(*j->value);
}

}  // namespace weft
