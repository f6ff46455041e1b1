// hook.redis_get: N clients doing hiredis GET, as N tasklets on one thread; plain blocking
// hiredis calls, made concurrent by weft::hook (linked).
// Usage: redis_get_tasklets --port P [--clients 100] [--seconds 5]
#include <vector>

#include "redis_get_common.hpp"
#include "weft/hook.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

int main(int argc, char** argv) {
  const int port = static_cast<int>(bench::arg_long(argc, argv, "--port", 0));
  const long clients = bench::arg_long(argc, argv, "--clients", 100);
  const double seconds = static_cast<double>(bench::arg_long(argc, argv, "--seconds", 5));
  if (!weft::hook::linked()) {
    std::fprintf(stderr, "redis_get_tasklets: weft::hook is not linked in\n");
    return 1;
  }
  long ops = 0, connected = 0;
  double start = 0, end = 0, cpu_start = 0;
  weft::event go;
  redis_bench::kernel_memory connected_kernel;
  const redis_bench::kernel_memory before_kernel;
  for (long i = 0; i < clients; ++i) {
    weft::spawn([&] {
      redis_bench::connection c = redis_bench::connect(port);
      if (++connected == clients) {
        connected_kernel = {};
        start = bench::now_ns();
        cpu_start = redis_bench::cpu_ns();
        go.set();
      }
      go.wait();
      double t = 0;
      ops += redis_bench::get_until(c.get(), start, seconds, t);
      end = std::max(end, t);
    });
  }
  weft::run();
  redis_bench::report("hook", ops, end - start, cpu_start, clients, before_kernel, connected_kernel);
}
