// Runs the telnet fuzz target without libFuzzer (so every build exercises it): each file
// given on the command line, then a fixed number of pseudo-random streams biased towards
// telnet command bytes.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream f(argv[i], std::ios::binary);
    std::vector<std::uint8_t> d((std::istreambuf_iterator<char>(f)), {});
    LLVMFuzzerTestOneInput(d.data(), d.size());
  }
  std::mt19937 rng(12345);
  const std::uint8_t interesting[] = {255, 254, 253, 252, 251, 250, 240, 24, 31, 86, 201, 0, '\r', '\n', 8, 127, 27, '[', 0xC3, 0xA9};
  for (int round = 0; round < 10000; ++round) {
    std::vector<std::uint8_t> d(rng() % 2048);
    for (auto& b : d) b = rng() % 3 ? interesting[rng() % sizeof interesting] : static_cast<std::uint8_t>(rng());
    LLVMFuzzerTestOneInput(d.data(), d.size());
  }
  std::puts("telnet_fuzz_replay: ok");
}
