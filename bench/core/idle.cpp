// weft.idle_dense / weft.idle_guarded: resident bytes per tasklet blocked in receive() on one
// channel. `--stack dense|guarded --count N`. Measured once (RSS is not noisy the way time is).
#include <weft/weft.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const std::string kind = bench::arg_str(argc, argv, "--stack", "dense");
  const long count = bench::arg_long(argc, argv, "--count", 1'000'000);
  if (kind != "dense" && kind != "guarded") {
    std::fprintf(stderr, "idle: --stack must be dense or guarded\n");
    return 2;
  }
  weft::spawn_options opts;
  opts.stack = kind == "dense" ? weft::stack_kind::dense : weft::stack_kind::guarded;

  // Static, not on main's stack: a dense tasklet must not point into another stack anyway,
  // and this keeps the channel out of the measured pages.
  static weft::channel<int> ch;
  const long before = bench::rss_bytes();
  for (long i = 0; i < count; ++i) weft::spawn(opts, [] { ch.receive(); });
  weft::run();  // every tasklet runs until it blocks in receive(); then run() returns
  const long after = bench::rss_bytes();

  if (ch.balance() != -count) {
    std::fprintf(stderr, "idle: expected %ld receivers blocked, channel balance is %d\n",
                 count, ch.balance());
    std::_Exit(1);
  }
  bench::print_figure("weft.idle_" + kind, static_cast<double>(after - before) / count, "bytes");
  std::_Exit(0);  // skip unwinding a million tasklets
}
