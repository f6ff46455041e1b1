// What the client-library tests share: the private servers' ports, descriptor counts, timing
// N tasklets on this thread, killing a tasklet blocked inside a library, and the coverage
// file each test writes. WEFT_HOOK_STATE_DIR is where tests/hook_clients/servers.sh (the
// hook_clients CTest fixture) left its ports; coverage files go to its coverage/ folder.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "weft/hook.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace hook_test {

using namespace std::chrono_literals;
using seconds = std::chrono::duration<double>;

// How many tasklets make a call at once (each call waits about 200 ms at its server).
inline constexpr int tasklets = 50;

// The port of the private "pg" or "redis" server. Throws, naming the fixture, if it is not
// running (run the test through ctest, which starts hook_clients.servers_start first).
inline std::uint16_t server_port(const std::string& which) {
  std::ifstream in(std::string(WEFT_HOOK_STATE_DIR) + "/" + which + ".port");
  int port = 0;
  if (!(in >> port) || port <= 0 || port > 65535)
    throw std::runtime_error("no private " + which + " server: " WEFT_HOOK_STATE_DIR "/" + which +
                             ".port is missing (the CTest fixture hook_clients.servers_start starts it; "
                             "see tests/hook_clients/servers.sh)");
  return static_cast<std::uint16_t>(port);
}

// Open descriptors of this process.
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

// Calls wait_group::done() when the tasklet ends, by return or by unwinding.
struct done_on_exit {
  weft::wait_group& wg;
  ~done_on_exit() { wg.done(); }
};

// Runs call(i) for i in [0, n) in n tasklets on this thread, each after its own prepare(i)
// (connecting, say); the clock starts when every tasklet has prepared, so the figure is the
// time of the calls alone. Returns the time until the last call returned. The caller waits
// on a wait_group, not in weft::run(), so a server tasklet of the same thread may go on
// listening. An exception from prepare or call fails the test.
inline seconds time_calls(int n, const std::function<void(int)>& prepare, const std::function<void(int)>& call) {
  int ready = 0;
  weft::event go;
  weft::wait_group finished;
  weft::clock::time_point start{}, end{};
  finished.add(n);
  for (int i = 0; i < n; ++i) {
    weft::spawn([&, i] {
      done_on_exit done{finished};
      bool prepared = false;
      try {
        prepare(i);
        prepared = true;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "tasklet " << i << " preparing: " << e.what();
      }
      if (++ready == n) {
        start = weft::clock::now();
        go.set();
      }
      go.wait();
      if (!prepared) return;
      try {
        call(i);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "tasklet " << i << ": " << e.what();
      }
      end = std::max(end, weft::clock::now());
    });
  }
  finished.wait();
  return end - start;
}

// Brings this thread's scheduler to its steady state (its reactor's descriptors exist), so
// that descriptor counts around a test see only what the test itself opens.
inline void warm_up_scheduler() {
  weft::wait_group finished;
  finished.add(1);
  weft::spawn([&] {
    weft::sleep_for(1ms);
    finished.done();
  });
  finished.wait();
}

// Kills a tasklet while it is blocked inside a library call. open_call() sets the connection
// up (owning it with RAII) and then makes a call that waits for seconds at the server; the
// tasklet is killed once it has waited `after`. Checks that the call never returned and that
// the tasklet unwound (its destructors ran: the connection was closed); the caller counts
// descriptors around it (a server in this process holds its side open until it stops).
// Returns what the tasklet was waiting on when it was killed.
struct unwound_flag {
  bool* flag;
  ~unwound_flag() { *flag = true; }
};
inline std::string kill_blocked_call(const std::function<void()>& open_call, weft::clock::duration after = 300ms) {
  bool returned = false, unwound = false;
  std::string waiting;
  weft::wait_group finished;
  finished.add(2);
  weft::tasklet victim = weft::spawn([&] {
    done_on_exit done{finished};
    unwound_flag on_unwind{&unwound};
    try {
      open_call();
      returned = true;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the call failed instead of waiting: " << e.what();
    }
  });
  auto t0 = weft::clock::now();
  weft::spawn([&] {
    done_on_exit done{finished};
    weft::sleep_for(after);
    waiting = victim.waiting_on();
    victim.kill();
  });
  finished.wait();
  EXPECT_FALSE(returned) << "the call returned before the kill: it did not wait at the server";
  EXPECT_TRUE(unwound) << "the killed tasklet's destructors did not run";
  EXPECT_FALSE(victim.alive());
  EXPECT_LT(seconds(weft::clock::now() - t0).count(), 2.0) << "the kill did not end the call at once";
  EXPECT_FALSE(waiting.empty()) << "the tasklet was not blocked in weft when it was killed";
  return waiting;
}

// Writes every interposed call's count since the last weft::hook::reset_counts() (zeros
// too, so the matrix lists what no library used) to coverage/<library>.<test>.txt as
// `library call count` lines, for coverage_matrix.py.
inline void record_coverage(std::string_view library) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::string(WEFT_HOOK_STATE_DIR) + "/coverage";
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / (std::string(library) + "." + info->name() + ".txt"));
  for (const auto& c : weft::hook::counts())
    out << library << ' ' << c.name << ' ' << c.interposed << '\n';
}

}  // namespace hook_test
