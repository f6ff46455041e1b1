// weft.pingpong: ns per round trip between two tasklets over unbuffered weft::channel<int>
// (one channel each way); main waits in weft::run() meanwhile.
#include <weft/weft.hpp>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const long n = bench::arg_long(argc, argv, "--n", 500'000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));

  double ns = bench::best_of(reps, [&] {
    weft::channel<int> ping, pong;
    double t0 = bench::now_ns();
    weft::spawn([&] {
      for (long i = 0; i < n; ++i) {
        ping.send(static_cast<int>(i));
        pong.receive();
      }
    });
    weft::spawn([&] {
      for (long i = 0; i < n; ++i) pong.send(ping.receive());
    });
    weft::run();
    return (bench::now_ns() - t0) / static_cast<double>(n);
  });
  bench::print_figure("weft.pingpong", ns, "ns");
}
