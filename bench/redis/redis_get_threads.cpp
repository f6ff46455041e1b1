// threads.redis_get: the peer of hook.redis_get: N clients doing plain hiredis GET, as N
// pthreads (std::thread, default stacks), no weft at all.
// Usage: redis_get_threads --port P [--clients 100] [--seconds 5]
#include <algorithm>
#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "redis_get_common.hpp"

int main(int argc, char** argv) {
  const int port = static_cast<int>(bench::arg_long(argc, argv, "--port", 0));
  const long clients = bench::arg_long(argc, argv, "--clients", 100);
  const double seconds = static_cast<double>(bench::arg_long(argc, argv, "--seconds", 5));
  std::atomic<long> ops{0};
  std::atomic<double> end{0};
  double start = 0, cpu_start = 0;
  redis_bench::kernel_memory connected_kernel;
  const redis_bench::kernel_memory before_kernel;
  std::barrier connected(clients, [&]() noexcept {
    connected_kernel = {};
    start = bench::now_ns();
    cpu_start = redis_bench::cpu_ns();
  });
  std::vector<std::thread> threads;
  for (long i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      redis_bench::connection c = redis_bench::connect(port);
      connected.arrive_and_wait();
      double t = 0;
      ops += redis_bench::get_until(c.get(), start, seconds, t);
      double seen = end.load();
      while (t > seen && !end.compare_exchange_weak(seen, t)) {}
    });
  }
  for (auto& t : threads) t.join();
  redis_bench::report("threads", ops, end - start, cpu_start, clients, before_kernel, connected_kernel);
}
