// Host-loop pumping: pump(), be_nice() and pump_for() budgets.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

using namespace std::chrono_literals;
using log_t = std::vector<std::string>;

void busy_for(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(CorePump, EachRunnableTaskletRunsOncePerPump) {
  log_t log;
  for (const char* n : {"a", "b"})
    weft::spawn([&log, n] {
      for (int i = 0; i < 3; ++i) {
        log.push_back(std::string(n) + std::to_string(i));
        weft::schedule();
      }
    });
  EXPECT_EQ(weft::pump(), 2);
  EXPECT_EQ(log, (log_t{"a0", "b0"}));
  EXPECT_EQ(weft::pump(), 2);
  EXPECT_EQ(log, (log_t{"a0", "b0", "a1", "b1"}));
  EXPECT_EQ(weft::pump(), 2);
  EXPECT_EQ(weft::pump(), 0);  // both finish
  EXPECT_EQ(log, (log_t{"a0", "b0", "a1", "b1", "a2", "b2"}));
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CorePump, BeNiceWaitsForTheNextRound) {
  log_t log;
  for (const char* n : {"a", "b"})
    weft::spawn([&log, n] {
      for (int i = 0; i < 2; ++i) {
        log.push_back(std::string(n) + std::to_string(i));
        weft::be_nice();
      }
    });
  EXPECT_EQ(weft::pump(), 0);  // both wait in be_nice: nothing runnable
  EXPECT_EQ(log, (log_t{"a0", "b0"}));
  EXPECT_EQ(weft::tasklet_count(), 3u);
  EXPECT_EQ(weft::pump(), 0);
  EXPECT_EQ(log, (log_t{"a0", "b0", "a1", "b1"}));
  EXPECT_EQ(weft::pump(), 0);  // they return from be_nice and end
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CorePump, NewcomersWaitForTheNextPump) {
  log_t log;
  weft::spawn([&] {
    log.push_back("a");
    weft::spawn([&] { log.push_back("child"); });
    weft::schedule();
    log.push_back("a2");
  });
  weft::pump();
  EXPECT_EQ(log, (log_t{"a"}));
  weft::pump();
  EXPECT_EQ(log, (log_t{"a", "child", "a2"}));
}

TEST(CorePump, BeNiceUnderRunWaitsForNextRound) {
  log_t log;
  weft::spawn([&] {
    log.push_back("a1");
    weft::be_nice();
    log.push_back("a2");
  });
  weft::spawn([&] {
    log.push_back("b1");
    weft::schedule();
    log.push_back("b2");
    weft::schedule();
    log.push_back("b3");
  });
  weft::run();
  // a is not runnable until the runnable tasklets run out.
  EXPECT_EQ(log, (log_t{"a1", "b1", "b2", "b3", "a2"}));
}

TEST(CorePump, PumpForReturnsTheTaskletThatUsedUpTheBudget) {
  log_t log;
  weft::tasklet hog = weft::spawn([&] {
    log.push_back("hog");
    busy_for(50ms);
    weft::schedule();
    log.push_back("hog resumed");
  });
  auto t0 = std::chrono::steady_clock::now();
  weft::tasklet t = weft::pump_for(10ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_TRUE(static_cast<bool>(t));
  EXPECT_EQ(t, hog);
  EXPECT_TRUE(hog.alive());
  EXPECT_TRUE(hog.scheduled());  // a pump leaves it runnable
  EXPECT_EQ(log, (log_t{"hog"}));
  EXPECT_FALSE(static_cast<bool>(weft::pump_for(5s)));
  EXPECT_EQ(log, (log_t{"hog", "hog resumed"}));
  EXPECT_FALSE(hog.alive());
}

TEST(CorePump, PumpForRunsRoundsUntilIdle) {
  int n = 0;
  for (int i = 0; i < 3; ++i)
    weft::spawn([&] {
      for (int k = 0; k < 4; ++k) {
        ++n;
        weft::schedule();
      }
    });
  EXPECT_FALSE(static_cast<bool>(weft::pump_for(5s)));
  EXPECT_EQ(n, 12);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

}  // namespace
