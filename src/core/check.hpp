// Invariant checks that stay on in release builds. A broken invariant (a corrupted wait
// queue, a switch to a dead tasklet) is a bug in weft, not an error a caller can handle:
// like Go's runtime throwing on a corrupted wait list, weft prints what broke and aborts,
// before the damage spreads. Only O(1) checks belong here; the switch path keeps none that
// is not trivially cheap.
#pragma once

namespace weft::detail {

// Prints "weft: fatal: <what>" and aborts.
[[noreturn, gnu::cold]] void fatal(const char* what) noexcept;
// Prints "weft: broken invariant: <what> (<file>:<line>)" and aborts.
[[noreturn, gnu::cold]] void check_failed(const char* what, const char* file, int line) noexcept;

}  // namespace weft::detail

#define WEFT_CHECK(cond, what)                                                 \
  do {                                                                         \
    if (!(cond)) [[unlikely]]                                                  \
      ::weft::detail::check_failed((what), __FILE__, __LINE__);                \
  } while (0)
