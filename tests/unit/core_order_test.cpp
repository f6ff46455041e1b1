// Stackless's ordering, exactly: where run(), switch_to() and a non-pending kill put their
// target in the run queue, when a paused main is woken, how fast an uncaught exception
// reaches the run() caller, and nested run() callers released with the outer one.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

using log_t = std::vector<std::string>;

// Logs its name, yields once, logs name + "b".
weft::tasklet two_step(log_t& log, std::string name) {
  return weft::spawn([&log, name] {
    log.push_back(name);
    weft::schedule();
    log.push_back(name + "b");
  });
}

// t1, t2, t3 as two_step()s; returns t2.
weft::tasklet three_two_steps(log_t& log) {
  two_step(log, "t1");
  weft::tasklet t2 = two_step(log, "t2");
  two_step(log, "t3");
  return t2;
}

// Runs body(); logs name + " exit" if the tasklet is killed meanwhile.
template <class F>
void logging_exit(log_t& log, const std::string& name, F body) {
  try {
    body();
  } catch (const weft::tasklet_exit&) {
    log.push_back(name + " exit");
    throw;
  }
}

// The Stackless docs' tasklet.run() example: running a scheduled tasklet leaves it where it
// is, so the tasklets after it in the queue run before the caller does again.
TEST(CoreOrder, RunOfScheduledTaskletLeavesItInPlace) {
  log_t log;
  weft::tasklet t2 = three_two_steps(log);
  t2.run();
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"t2", "t3", "main", "t1", "t2b", "t3b", "t1b"}));
}

// "Removing the tasklet to be run ... effectively moves it before the tasklet that calls
// remove": a paused target goes just before the caller, which runs right after it.
TEST(CoreOrder, RunOfPausedTaskletInsertsItJustBeforeTheCaller) {
  log_t log;
  weft::tasklet t2 = three_two_steps(log);
  t2.remove();
  t2.run();
  log.push_back("main");
  EXPECT_TRUE(t2.scheduled());
  weft::run();
  EXPECT_EQ(log, (log_t{"t2", "main", "t1", "t3", "t2b", "t1b", "t3b"}));
}

TEST(CoreOrder, SwitchToScheduledTaskletLeavesItInPlace) {
  log_t log;
  weft::tasklet t2 = three_two_steps(log);
  weft::tasklet d = weft::tasklet::bind([&] {
    t2.switch_to();
    log.push_back("d");
  });
  d.run();  // d goes just before main; d leaves the queue at once in switch_to
  log.push_back("main");
  weft::run();
  EXPECT_TRUE(d.paused());
  d.insert();
  weft::run();
  EXPECT_EQ(log, (log_t{"t2", "t3", "main", "t1", "t2b", "t3b", "t1b", "d"}));
}

TEST(CoreOrder, NonPendingKillOfRunnableTaskletLeavesItInPlace) {
  log_t log;
  auto victim = [&log](std::string name) {
    return weft::spawn([&log, name] {
      log.push_back(name);
      logging_exit(log, name, [] { weft::schedule(); });
      log.push_back(name + "b");
    });
  };
  victim("t1");
  weft::tasklet t2 = victim("t2");
  victim("t3");
  weft::schedule();  // each runs its first half; main is back in front
  t2.kill();
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"t1", "t2", "t3", "t2 exit", "t3b", "main", "t1b"}));
}

TEST(CoreOrder, NonPendingKillOfBlockedTaskletInsertsItJustBeforeTheCaller) {
  log_t log;
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] { logging_exit(log, "t", [&] { ch.receive(); }); });
  weft::run();
  ASSERT_EQ(t.blocked(), -1);
  weft::spawn([&] { log.push_back("x"); });
  t.kill();
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"t exit", "main", "x"}));
}

TEST(CoreOrder, NonPendingThrowToPausedTaskletInsertsItJustBeforeTheCaller) {
  log_t log;
  weft::tasklet p = weft::spawn([&] {
    try {
      weft::schedule_remove();
    } catch (const std::runtime_error& e) {
      log.push_back(std::string("p caught ") + e.what());
    }
    weft::schedule();
    log.push_back("pb");
  });
  weft::schedule();  // p pauses itself
  ASSERT_TRUE(p.paused());
  weft::spawn([&] { log.push_back("x"); });
  p.raise(std::runtime_error("boo"));
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"p caught boo", "main", "x", "pb"}));
}

// From another thread, run() of a paused tasklet queues it to run right after the owner's
// current tasklet, as Stackless does for a thread that is executing.
TEST(CoreOrder, RunFromAnotherThreadQueuesThePausedTaskletNext) {
  log_t log;
  weft::spawn([&] { log.push_back("x"); });
  weft::tasklet p = weft::tasklet::bind([&] { log.push_back("p"); });
  std::thread([p]() mutable { p.run(); }).join();
  weft::schedule();
  weft::run();
  EXPECT_EQ(log, (log_t{"p", "x"}));
}

// Stackless's slp_tasklet_end: a main that paused itself is simply revived when the last
// other tasklet ends; deadlock_error is only for a main blocked in a wait.
TEST(CoreOrder, MainPausedBySchedulRemoveIsWokenQuietlyWhenTheLastTaskletEnds) {
  log_t log;
  weft::spawn([&] { log.push_back("t"); });
  EXPECT_NO_THROW(weft::schedule_remove());
  log.push_back("main");
  EXPECT_EQ(log, (log_t{"t", "main"}));
  EXPECT_FALSE(weft::main_tasklet().paused());
}

TEST(CoreOrder, MainThatSwitchedAwayIsWokenQuietlyWhenTheLastTaskletEnds) {
  log_t log;
  weft::tasklet t = weft::tasklet::bind([&] {
    log.push_back("t1");
    weft::schedule();
    log.push_back("t2");
  });
  EXPECT_NO_THROW(t.switch_to());
  log.push_back("main");
  EXPECT_EQ(log, (log_t{"t1", "t2", "main"}));
}

// Stackless's schedule_task_block: with main floating, a tasklet that blocks with nothing
// else runnable revives main instead of getting deadlock_error.
TEST(CoreOrder, MainPausedIsRevivedWhenTheLastTaskletBlocks) {
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] { ch.receive(); });
  EXPECT_NO_THROW(weft::schedule_remove());
  EXPECT_EQ(t.blocked(), -1);
  ch.send(1);
  EXPECT_FALSE(t.alive());
}

TEST(CoreOrder, UncaughtExceptionReachesRunCallerBeforeOtherRunnables) {
  log_t log;
  weft::spawn([] { throw std::runtime_error("first"); });
  weft::spawn([&] { log.push_back("b"); });
  try {
    weft::run();
    ADD_FAILURE() << "run() returned";
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("main caught ") + e.what());
  }
  weft::run();
  EXPECT_EQ(log, (log_t{"main caught first", "b"}));
}

TEST(CoreOrder, UncaughtExceptionReachesBlockedMainBeforeOtherRunnables) {
  log_t log;
  weft::channel<int> ch;
  weft::spawn([] { throw std::runtime_error("first"); });
  weft::spawn([&] { log.push_back("b"); });
  try {
    ch.receive();
    ADD_FAILURE() << "receive() returned";
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("main caught ") + e.what());
  }
  weft::run();
  EXPECT_EQ(log, (log_t{"main caught first", "b"}));
  EXPECT_EQ(ch.balance(), 0);
}

TEST(CoreOrder, WakingTheOuterRunCallerReleasesTheNestedOnes) {
  log_t log;
  weft::tasklet main = weft::main_tasklet();
  weft::tasklet a = weft::spawn([&] {
    weft::spawn([&] {
      log.push_back("b wakes main");
      main.insert();
    });
    weft::run();  // nested inside main's run()
    log.push_back("a back");
  });
  weft::run();
  log.push_back("main back");
  EXPECT_FALSE(a.paused());  // released with main's run(), not left waiting
  weft::run();
  EXPECT_EQ(log, (log_t{"b wakes main", "main back", "a back"}));
  EXPECT_FALSE(a.alive());
  if (a.alive()) a.kill();
}

}  // namespace
