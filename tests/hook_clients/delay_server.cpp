// The delay endpoint (delay_endpoint.hpp) as a process of its own, for Debian's curl under
// LD_PRELOAD. Listens on 127.0.0.1 (an ephemeral port), prints the port on a line of its own
// to stdout, and serves until killed.
#include <cstdio>

#include "delay_endpoint.hpp"
#include "weft/scheduler.hpp"

int main() {
  hook_test::delay_endpoint endpoint;
  std::printf("%u\n", endpoint.port());
  std::fflush(stdout);
  weft::run();
}
