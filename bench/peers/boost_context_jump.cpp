// boost_context.jump: the bare fcontext switch, the floor under every stackful runtime here.
// One round is main -> coroutine -> main, i.e. two jump_fcontext calls; we print ns per switch.
#include <boost/context/detail/fcontext.hpp>

#include <cstdlib>
#include <vector>

#include "../figure.hpp"

namespace ctx = boost::context::detail;

static void bounce(ctx::transfer_t t) {
  for (;;) t = ctx::jump_fcontext(t.fctx, nullptr);
}

int main(int argc, char** argv) {
  const long rounds = bench::arg_long(argc, argv, "--n", 5'000'000);
  const int reps = static_cast<int>(bench::arg_long(argc, argv, "--reps", 5));

  std::vector<char> stack(64 * 1024);
  ctx::fcontext_t other =
      ctx::make_fcontext(stack.data() + stack.size(), stack.size(), bounce);
  other = ctx::jump_fcontext(other, nullptr).fctx;  // enter once so the loop is steady state

  double ns = bench::best_of(reps, [&] {
    double t0 = bench::now_ns();
    for (long i = 0; i < rounds; ++i) other = ctx::jump_fcontext(other, nullptr).fctx;
    return (bench::now_ns() - t0) / (2.0 * rounds);
  });
  bench::print_figure("boost_context.jump", ns, "ns");
  // The coroutine never finishes; its stack is simply abandoned.
  std::_Exit(0);
}
