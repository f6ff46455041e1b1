// watchdog: bounds a stretch of blocking code by a deadline when the stream underneath
// offers no timeout of its own (a server's stream belongs to the HTTP server): at the
// deadline it throws expired{} into the guarded tasklet, wherever that tasklet waits.
#pragma once

#include <memory>

#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace weft::websocket::detail {

// Not a std::exception, so a catch of std::exception in between lets it pass.
struct expired {};

class watchdog {
 public:
  // Guards `target` (the current tasklet unless given) until `when` or until destroyed.
  explicit watchdog(clock::time_point when, tasklet target = {});
  // Never blocks (the timer tasklet is killed pending); after it, nothing is thrown.
  ~watchdog();
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

 private:
  std::shared_ptr<bool> done_;  // the timer tasklet checks it before throwing
  tasklet timer_;
};

}  // namespace weft::websocket::detail
