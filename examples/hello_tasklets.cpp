// Tasklets and channels in twenty lines: a producer, two workers, and a results channel.
#include <weft/weft.hpp>

#include <cstdio>

int main() {
  weft::channel<int> jobs;
  weft::channel<int> results;
  weft::spawn([&] {
    for (int n = 1; n <= 6; ++n) jobs.send(n);
    jobs.close();  // workers' range-for loops end once the channel is drained
  });
  for (int w = 0; w < 2; ++w)
    weft::spawn([&, w] {
      for (int n : jobs) {
        weft::sleep_for(std::chrono::milliseconds(10 * n));  // blocks only this tasklet
        std::printf("worker %d squared %d\n", w, n);
        results.send(n * n);
      }
    });
  int total = 0;
  for (int i = 0; i < 6; ++i) total += results.receive();  // main blocks; the others run
  std::printf("sum of squares: %d\n", total);
}
