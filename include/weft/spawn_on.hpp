// spawn_on: starting a tasklet on another thread's scheduler.
#pragma once

#include <thread>
#include <type_traits>
#include <utility>

#include "weft/tasklet.hpp"

namespace weft {

namespace detail {
tasklet_impl* new_foreign_tasklet(const tasklet& on, const spawn_options_view& opts);
tasklet_impl* new_foreign_tasklet(std::thread::id on, const spawn_options_view& opts);
void post_foreign_tasklet(tasklet_impl* t, std::size_t stack_size);

template <class On, class F, class... A>
tasklet spawn_foreign(const On& on, const spawn_options& opts, F&& f, A&&... a) {
  auto* t = new_foreign_tasklet(on, {opts.stack, opts.stack_size, opts.name});
  tasklet h(t, tasklet::adopt_t{});
  entry_of(t).emplace(std::forward<F>(f), std::forward<A>(a)...);
  post_foreign_tasklet(t, opts.stack_size);
  return h;
}
}  // namespace detail

// Starts f(args...) as a tasklet of another thread: the thread `on` belongs to (any of its
// tasklets, e.g. its main_tasklet()), or the thread with that id. f and the arguments are
// moved into the tasklet here; the tasklet is appended to that thread's run queue at its
// next switch point or idle wake-up, and the thread is woken if it sleeps. The handle's
// id() is 0 until then; like other state queries it is meant for the owner thread.
// Never blocks. Throws scheduler_error if the thread has no weft scheduler. If the thread
// ends before taking the tasklet, the tasklet never runs (alive() turns false).
template <class F, class... A>
tasklet spawn_on(const tasklet& on, spawn_options opts, F&& f, A&&... a) {
  return detail::spawn_foreign(on, opts, std::forward<F>(f), std::forward<A>(a)...);
}
template <class F, class... A>
  requires(!std::is_same_v<std::decay_t<F>, spawn_options>)
tasklet spawn_on(const tasklet& on, F&& f, A&&... a) {
  return detail::spawn_foreign(on, spawn_options{}, std::forward<F>(f), std::forward<A>(a)...);
}
template <class F, class... A>
tasklet spawn_on(std::thread::id on, spawn_options opts, F&& f, A&&... a) {
  return detail::spawn_foreign(on, opts, std::forward<F>(f), std::forward<A>(a)...);
}
template <class F, class... A>
  requires(!std::is_same_v<std::decay_t<F>, spawn_options>)
tasklet spawn_on(std::thread::id on, F&& f, A&&... a) {
  return detail::spawn_foreign(on, spawn_options{}, std::forward<F>(f), std::forward<A>(a)...);
}

}  // namespace weft
