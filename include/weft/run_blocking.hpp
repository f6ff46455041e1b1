// run_blocking: run a blocking call (a library that knows nothing of tasklets, getaddrinfo,
// file I/O) on weft's worker pool while only the calling tasklet waits.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "weft/channel.hpp"
#include "weft/detail/io_wait.hpp"

namespace weft {

namespace detail {

struct blocking_job {
  virtual ~blocking_job() = default;
  virtual void run() noexcept = 0;  // called once, on a worker thread
};

// Hands `job` to the process-wide worker pool. Threads are started on demand (up to 64
// running at once; beyond that jobs queue) and end after 10 s idle. Never blocks.
void submit_blocking(std::unique_ptr<blocking_job> job);

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
  struct state {
    std::conditional_t<std::is_void_v<result>, bool, std::optional<result>> value{};
    std::exception_ptr error;
    channel<int> done{1};  // thread-safe: the worker sends, the tasklet receives
  };
  struct job final : detail::blocking_job {
    job(F&& f, std::shared_ptr<state> s)
        : fn(std::forward<F>(f)), st(std::move(s)), hold(std::make_unique<detail::external_wakeup_hold>()) {}
    void run() noexcept override {
      try {
        if constexpr (std::is_void_v<result>) {
          fn();
        } else {
          st->value.emplace(fn());
        }
      } catch (...) {
        st->error = std::current_exception();
      }
      try {
        st->done.send(1);
      } catch (...) {
        // A buffered channel with room does not fail; nobody could be told anyway.
      }
      // Only now: the tasklet is runnable, so the scheduler cannot see a false deadlock.
      hold.reset();
    }
    fn_type fn;
    std::shared_ptr<state> st;
    std::unique_ptr<detail::external_wakeup_hold> hold;
  };
  auto st = std::make_shared<state>();
  detail::submit_blocking(std::make_unique<job>(std::forward<F>(f), st));
  st->done.receive();
  if (st->error) std::rethrow_exception(st->error);
  if constexpr (!std::is_void_v<result>) return std::move(*st->value);
}

}  // namespace weft
