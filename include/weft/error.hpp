// Exceptions weft throws, shared by every module.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace weft {

// Thrown into a tasklet by kill(). It is deliberately not a std::exception, so a
// `catch (const std::exception&)` lets it pass; a `catch (...)` must rethrow it.
// Reaching the top of a tasklet it ends that tasklet silently.
struct tasklet_exit {};

// A blocking call ran past its deadline. It is a std::system_error with
// std::errc::timed_out, so code that handles system errors generically also sees it.
class timeout_error : public std::system_error {
 public:
  explicit timeout_error(const std::string& what)
      : std::system_error(std::make_error_code(std::errc::timed_out), what) {}
};

// Misuse of the scheduler or of a tasklet: switching to a dead tasklet, removing a
// blocked one, blocking inside a block_trap, ...
class scheduler_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Nothing runnable remains and nothing (a timer, an I/O wait, another thread) can
// ever wake the blocked tasklet. Stackless's "Deadlock: the last runnable tasklet
// cannot be blocked."
class deadlock_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A send or receive on a channel that was closed (and, for receive, drained).
class channel_closed : public std::runtime_error {
 public:
  channel_closed() : std::runtime_error("channel is closed") {}
};

}  // namespace weft
