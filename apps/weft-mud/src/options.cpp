#include "options.hpp"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mud {

namespace {

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: weft-mud [--telnet-port P] [--http-port P] [--data DIR] [--bind ADDR]\n"
               "                [--kdf-cost N] [--world FILE] [--web DIR] [--idle-timeout S]\n"
               "                [--command-rate R] [--negotiation-ms MS] [--creation-limit N]\n"
               "                [--ws-ping S] [--game-hour-ms MS]\n"
               "  --telnet-port P   telnet port (default 4000; 0 picks a free one)\n"
               "  --http-port P     HTTP/WebSocket port (default 8080; 0 picks a free one; -1 off)\n"
               "  --data DIR        SQLite state (default ./mud-data; created with the world on first run)\n"
               "  --bind ADDR       listen address (default 127.0.0.1)\n"
               "  --kdf-cost N      scrypt cost, log2 N (default 14); lower only for tests and load bots\n"
               "  --world FILE      world file (default: world/royal_mile.txt beside the executable)\n"
               "  --web DIR         browser page directory (default: web/ beside the executable)\n"
               "  --idle-timeout S  disconnect idle players after S seconds (default 1800)\n"
               "  --command-rate R  commands per second per connection (default 10, burst 2x)\n"
               "  --game-hour-ms MS one game hour in real time (default 60000: a day in 24 minutes)\n"
               "  --ws-ping S       ping a quiet browser every S seconds, drop it if no answer in 2 S (default 30; 0 off)\n"
               "  --creation-limit N  new characters per address in 10 minutes (default 3; 0 no limit)\n"
               "  --test-commit-delay-ms MS  tests only: each transaction takes MS longer (a slow disk)\n");
  std::exit(code);
}

std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<std::size_t>(n));
  return p.substr(0, p.rfind('/'));
}

}  // namespace

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") usage(0);
    if (i + 1 >= argc) usage(2);
    const char* v = argv[++i];
    auto num = [&](long lo, long hi) {
      char* end = nullptr;
      long x = std::strtol(v, &end, 10);
      if (!*v || *end || x < lo || x > hi) {
        std::fprintf(stderr, "weft-mud: %s wants a number from %ld to %ld, not '%s'\n", a.c_str(), lo, hi, v);
        std::exit(2);
      }
      return static_cast<int>(x);
    };
    if (a == "--telnet-port") o.telnet_port = num(0, 65535);
    else if (a == "--http-port") o.http_port = num(-1, 65535);
    else if (a == "--data") o.data_dir = v;
    else if (a == "--bind") o.bind = v;
    else if (a == "--kdf-cost") o.kdf_cost = num(1, 20);
    else if (a == "--world") o.world_file = v;
    else if (a == "--web") o.web_dir = v;
    else if (a == "--idle-timeout") o.idle_timeout_s = num(2, 86400 * 7);
    else if (a == "--command-rate") {
      o.command_rate = num(1, 100000);
      o.command_burst = 2 * o.command_rate;
    } else if (a == "--negotiation-ms") o.negotiation_ms = num(0, 60000);
    else if (a == "--game-hour-ms") o.game_hour_ms = num(50, 3600000);
    else if (a == "--ws-ping") o.ws_ping_s = num(0, 86400);
    else if (a == "--creation-limit") o.creation_limit = num(0, 1000000);
    else if (a == "--test-commit-delay-ms") o.test_commit_delay_ms = num(0, 60000);
    else usage(2);
  }
  if (o.world_file.empty()) o.world_file = exe_dir() + "/world/royal_mile.txt";
  if (o.web_dir.empty()) o.web_dir = exe_dir() + "/web";
  return o;
}

}  // namespace mud
