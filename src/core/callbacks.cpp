// weft::atomic scopes and the schedule/channel callbacks.
#include "weft/callbacks.hpp"

#include <cstdio>
#include <string>

#include "core/scheduler_impl.hpp"
#include "weft/atomic.hpp"
#include "weft/error.hpp"

namespace weft {

namespace detail {

std::atomic<int> channel_hooks{0};

void throw_in_atomic(const char* op) {
  throw scheduler_error(std::string(op) + ": a switch inside a weft::atomic scope");
}

void notify_channel(const void* channel, bool sending, bool will_block) {
  scheduler_impl* s = tls_scheduler;
  if (s == nullptr || !s->channel_hook()) return;
  tasklet_impl* cur = s->current();
  ++cur->atomic;  // the callback must not switch
  try {
    s->channel_hook()(channel, tasklet(cur), sending, will_block);
  } catch (...) {
    --cur->atomic;
    throw;
  }
  --cur->atomic;
}

schedule_callback scheduler_impl::swap_switch_callback(schedule_callback cb) noexcept {
  std::swap(on_switch_, cb);
  switch_hook_ = static_cast<bool>(on_switch_);
  return cb;
}

channel_callback scheduler_impl::swap_channel_callback(channel_callback cb) noexcept {
  std::swap(on_channel_, cb);
  return cb;
}

}  // namespace detail

atomic::atomic() { ++detail::this_scheduler().current()->atomic; }
atomic::~atomic() { --detail::this_scheduler().current()->atomic; }

schedule_callback set_schedule_callback(schedule_callback cb) {
  return detail::this_scheduler().swap_switch_callback(std::move(cb));
}

channel_callback set_channel_callback(channel_callback cb) {
  detail::scheduler_impl& s = detail::this_scheduler();
  bool had = static_cast<bool>(s.channel_hook());
  cb = s.swap_channel_callback(std::move(cb));
  bool has = static_cast<bool>(s.channel_hook());
  if (has != had) detail::channel_hooks.fetch_add(has ? 1 : -1, std::memory_order_relaxed);
  return cb;
}

}  // namespace weft
