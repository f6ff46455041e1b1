// The two ways weft dies on purpose (see check.hpp).
#include "core/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace weft::detail {

void fatal(const char* what) noexcept {
  std::fprintf(stderr, "weft: fatal: %s\n", what);
  std::abort();
}

void check_failed(const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "weft: broken invariant: %s (%s:%d)\n", what, file, line);
  std::abort();
}

}  // namespace weft::detail
