// Sleeping tasklets: wake order, sleep_until in the past, and run() waiting for sleepers.
// The only tests that use wall-clock time, with generous tolerances.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace {

using namespace std::chrono_literals;
using log_t = std::vector<std::string>;

TEST(CoreTimer, SleepersWakeInDeadlineOrder) {
  log_t log;
  for (int ms : {30, 10, 20})
    weft::spawn([&log, ms] {
      weft::sleep_for(std::chrono::milliseconds(ms));
      log.push_back(std::to_string(ms));
    });
  auto t0 = std::chrono::steady_clock::now();
  weft::run();  // waits for the sleepers
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(log, (log_t{"10", "20", "30"}));
  EXPECT_GE(took, 30ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreTimer, SleepUntilInThePastReturns) {
  auto t0 = std::chrono::steady_clock::now();
  weft::sleep_until(t0 - 1s);
  weft::sleep_for(0ms);
  weft::sleep_for(-5ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  bool done = false;
  weft::spawn([&] {
    weft::sleep_until(weft::clock::now() - 10ms);
    done = true;
  });
  weft::run();
  EXPECT_TRUE(done);
}

TEST(CoreTimer, MainSleepLetsOthersRun) {
  log_t log;
  weft::spawn([&] { log.push_back("a"); });
  auto t0 = std::chrono::steady_clock::now();
  weft::sleep_for(15ms);
  log.push_back("main");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 15ms);
  EXPECT_EQ(log, (log_t{"a", "main"}));
}

TEST(CoreTimer, SleepingTaskletStateAndKill) {
  bool after = false;
  weft::tasklet t = weft::spawn([&] {
    weft::sleep_for(10s);
    after = true;
  });
  weft::schedule();
  EXPECT_TRUE(t.scheduled());
  EXPECT_EQ(t.blocked(), 0);  // timers report 0 here
  EXPECT_EQ(t.waiting_on(), "sleep");
  auto t0 = std::chrono::steady_clock::now();
  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(after);
  weft::run();  // the killed sleeper's timer no longer holds run()
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(CoreTimer, ManySleepersKeepOrder) {
  std::vector<int> order;
  for (int i = 9; i >= 0; --i)
    weft::spawn([&order, i] {
      weft::sleep_for(std::chrono::milliseconds(5 + 4 * i));
      order.push_back(i);
    });
  weft::run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(CoreTimer, RunWaitsForTimedReceive) {
  weft::channel<int> ch;
  bool timed_out = false;
  weft::spawn([&] {
    try {
      ch.receive_for(15ms);
    } catch (const weft::timeout_error&) {
      timed_out = true;
    }
  });
  weft::run();
  EXPECT_TRUE(timed_out);
}

TEST(CoreTimer, SleepingTaskletsDoNotStarveYielders) {
  // A tasklet that keeps yielding must not keep a due sleeper waiting forever.
  bool woke = false;
  int spins = 0;
  weft::spawn([&] {
    weft::sleep_for(5ms);
    woke = true;
  });
  weft::spawn([&] {
    auto end = std::chrono::steady_clock::now() + 1s;
    while (!woke && std::chrono::steady_clock::now() < end) {
      ++spins;
      weft::schedule();
    }
  });
  weft::run();
  EXPECT_TRUE(woke);
}

}  // namespace
