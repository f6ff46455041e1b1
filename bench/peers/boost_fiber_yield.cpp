// boost_fiber.yield: ns per switch between two fibers calling this_fiber::yield(), the
// default round_robin scheduler on one thread; main waits in join() meanwhile.
#include <boost/fiber/all.hpp>

#include "../figure.hpp"

int main(int argc, char** argv) {
  const long n = bench::arg_long(argc, argv, "--n", 1'000'000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));

  double ns = bench::best_of(reps, [&] {
    auto body = [n] {
      for (long i = 0; i < n; ++i) boost::this_fiber::yield();
    };
    double t0 = bench::now_ns();
    boost::fibers::fiber a(body), b(body);
    a.join();
    b.join();
    return (bench::now_ns() - t0) / (2.0 * n);
  });
  bench::print_figure("boost_fiber.yield", ns, "ns");
}
