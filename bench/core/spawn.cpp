// weft.spawn: ns to spawn, run and finish an empty tasklet (default stack kind), spawned in
// batches of 1000, each batch drained by weft::run(). Best of 15: one repetition is about 4 ms
// of work, the length of a time slice, so a repetition during which another process runs on
// the CPU takes a whole slice longer (the figure came out at 40 or at 80 ns then); 15 give a
// better chance of one undisturbed repetition than 5 did.
#include <weft/weft.hpp>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const long batches = bench::arg_long(argc, argv, "--batches", 100);
  const long batch = bench::arg_long(argc, argv, "--batch", 1000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 15));

  double ns = bench::best_of(reps, [&] {
    double t0 = bench::now_ns();
    for (long b = 0; b < batches; ++b) {
      for (long i = 0; i < batch; ++i) weft::spawn([] {});
      weft::run();
    }
    return (bench::now_ns() - t0) / static_cast<double>(batches * batch);
  });
  bench::print_figure("weft.spawn", ns, "ns");
}
