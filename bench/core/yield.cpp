// weft.yield: ns per switch between two tasklets that each call weft::schedule() in a loop;
// main waits in weft::run() meanwhile.
#include <weft/weft.hpp>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const long n = bench::arg_long(argc, argv, "--n", 1'000'000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));

  double ns = bench::best_of(reps, [&] {
    auto body = [n] {
      for (long i = 0; i < n; ++i) weft::schedule();
    };
    double t0 = bench::now_ns();
    weft::spawn(body);
    weft::spawn(body);
    weft::run();
    return (bench::now_ns() - t0) / (2.0 * n);
  });
  bench::print_figure("weft.yield", ns, "ns");
}
