// The timer is a tasklet of its own; it runs only while the guarded tasklet is suspended
// (one thread), so between the guarded code's last switch and ~watchdog it cannot fire.
#include "websocket/watchdog.hpp"

#include <exception>

#include "weft/scheduler.hpp"

namespace weft::websocket::detail {

watchdog::watchdog(clock::time_point when, tasklet target) : done_(std::make_shared<bool>(false)) {
  if (!target) target = current();
  timer_ = spawn(spawn_options{.name = "websocket close timer"}, [when, target, done = done_]() mutable {
    sleep_until(when);
    if (!*done) target.throw_exception(std::make_exception_ptr(expired{}));
  });
}

watchdog::~watchdog() {
  *done_ = true;
  timer_.kill(true);
}

}  // namespace weft::websocket::detail
