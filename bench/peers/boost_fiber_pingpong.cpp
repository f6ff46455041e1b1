// boost_fiber.pingpong: ns per round trip between two fibers over unbuffered_channel<int>
// (one channel each way); main waits in join() meanwhile.
#include <boost/fiber/all.hpp>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const long n = bench::arg_long(argc, argv, "--n", 500'000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));

  double ns = bench::best_of(reps, [&] {
    boost::fibers::unbuffered_channel<int> ping, pong;
    double t0 = bench::now_ns();
    boost::fibers::fiber pinger([&] {
      for (long i = 0; i < n; ++i) {
        ping.push(static_cast<int>(i));
        int v;
        pong.pop(v);
      }
    });
    boost::fibers::fiber ponger([&] {
      for (long i = 0; i < n; ++i) {
        int v;
        ping.pop(v);
        pong.push(v);
      }
    });
    pinger.join();
    ponger.join();
    return (bench::now_ns() - t0) / static_cast<double>(n);
  });
  bench::print_figure("boost_fiber.pingpong", ns, "ns");
}
