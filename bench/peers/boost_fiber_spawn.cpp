// boost_fiber.spawn: ns to create, run and join an empty fiber, in batches of 1000, with the
// library's defaults (round_robin; fixedsize_stack: a 128 KiB malloc'd stack, no guard page).
// --pooled prints boost_fiber.spawn_pooled instead, with pooled_fixedsize_stack (same size),
// the fairer peer for weft, whose stacks are pooled too.
#include <boost/fiber/all.hpp>

#include <cstring>
#include <vector>

#include "../figure.hpp"

template <class StackAllocator>
double spawn_ns(long batches, long batch, int reps, StackAllocator salloc) {
  std::vector<boost::fibers::fiber> fibers;
  fibers.reserve(batch);
  return bench::best_of(reps, [&] {
    double t0 = bench::now_ns();
    for (long b = 0; b < batches; ++b) {
      for (long i = 0; i < batch; ++i)
        fibers.emplace_back(std::allocator_arg, salloc, [] {});
      for (auto& f : fibers) f.join();
      fibers.clear();
    }
    return (bench::now_ns() - t0) / static_cast<double>(batches * batch);
  });
}

int main(int argc, char** argv) {
  const long batches = bench::arg_long(argc, argv, "--batches", 20);
  const long batch = bench::arg_long(argc, argv, "--batch", 1000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));
  bool pooled = false;
  for (int i = 1; i < argc; ++i) pooled |= std::strcmp(argv[i], "--pooled") == 0;

  if (pooled)
    bench::print_figure("boost_fiber.spawn_pooled",
                        spawn_ns(batches, batch, reps, boost::fibers::pooled_fixedsize_stack{}),
                        "ns");
  else
    bench::print_figure("boost_fiber.spawn",
                        spawn_ns(batches, batch, reps, boost::fibers::fixedsize_stack{}), "ns");
}
