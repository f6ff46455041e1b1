// The per-thread scheduler: run(), nesting, yielding, exceptions reaching main, the error
// handler, deadlock detection, run_for() budgets and dump_tasklets().
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace {

using log_t = std::vector<std::string>;
using namespace std::chrono_literals;

// Restores the previous error handler when the test ends, even on failure.
struct handler_guard {
  weft::error_handler prev;
  explicit handler_guard(weft::error_handler h) : prev(weft::set_error_handler(std::move(h))) {}
  ~handler_guard() { weft::set_error_handler(std::move(prev)); }
};

void busy_for(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(CoreScheduler, RunReturnsAtOnceWithNothingToDo) {
  weft::run();
  EXPECT_EQ(weft::run_count(), 1);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreScheduler, CurrentAndMainInMain) {
  EXPECT_EQ(weft::current(), weft::main_tasklet());
  EXPECT_TRUE(weft::current().is_main());
  weft::tasklet inner_current, inner_main;
  weft::tasklet t = weft::spawn([&] {
    inner_current = weft::current();
    inner_main = weft::main_tasklet();
  });
  weft::run();
  EXPECT_EQ(inner_current, t);
  EXPECT_EQ(inner_main, weft::main_tasklet());
  EXPECT_NE(inner_current, inner_main);
}

TEST(CoreScheduler, RunCountAndTaskletCount) {
  EXPECT_EQ(weft::run_count(), 1);
  EXPECT_EQ(weft::tasklet_count(), 1u);
  weft::channel<int> ch;
  int seen_inside = 0;
  weft::spawn([&] { seen_inside = weft::run_count(); });
  weft::spawn([&] { ch.receive(); });
  weft::tasklet paused = weft::tasklet::bind([] {});
  EXPECT_EQ(weft::run_count(), 3);
  EXPECT_EQ(weft::tasklet_count(), 4u);
  weft::run();
  // Inside run(): main is out of the queue (paused as the watchdog), so the first
  // tasklet sees itself and the receiver.
  EXPECT_EQ(seen_inside, 2);
  EXPECT_EQ(weft::run_count(), 1);
  EXPECT_EQ(weft::tasklet_count(), 3u);  // main, blocked receiver, bound tasklet
  ch.send(1);
  paused.kill();
  weft::run();
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreScheduler, ScheduleYieldsToTheEndOfTheQueue) {
  log_t log;
  weft::spawn([&] { log.push_back("a"); });
  weft::spawn([&] { log.push_back("b"); });
  log.push_back("main1");
  weft::schedule();  // main is runnable: a and b run, then main
  log.push_back("main2");
  EXPECT_EQ(log, (log_t{"main1", "a", "b", "main2"}));
  weft::schedule();  // nothing else runnable: returns at once
  EXPECT_EQ(log.size(), 4u);
}

TEST(CoreScheduler, ScheduleRemoveThenInsert) {
  log_t log;
  weft::tasklet t = weft::spawn([&] {
    log.push_back("t1");
    weft::schedule_remove();
    log.push_back("t2");
  });
  weft::spawn([&] { log.push_back("u"); });
  weft::run();
  EXPECT_EQ(log, (log_t{"t1", "u"}));
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(t.blocked(), 0);
  t.insert();
  EXPECT_TRUE(t.scheduled());
  weft::run();
  EXPECT_EQ(log, (log_t{"t1", "u", "t2"}));
  EXPECT_FALSE(t.alive());
}

TEST(CoreScheduler, NestedRunReturnsWhenQueueEmpties) {
  log_t log;
  weft::spawn([&] {
    log.push_back("outer start");
    weft::spawn([&] {
      log.push_back("x1");
      weft::schedule();
      log.push_back("x2");
    });
    weft::spawn([&] { log.push_back("y"); });
    weft::run();
    log.push_back("outer after run");
  });
  weft::spawn([&] { log.push_back("z"); });
  weft::run();
  log.push_back("main");
  EXPECT_EQ(log, (log_t{"outer start", "z", "x1", "y", "x2", "outer after run", "main"}));
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreScheduler, NestedRunWithNothingElseReturnsAtOnce) {
  log_t log;
  weft::spawn([&] {
    weft::run();
    log.push_back("a");
  });
  weft::run();
  EXPECT_EQ(log, (log_t{"a"}));
}

TEST(CoreScheduler, UncaughtExceptionIsRethrownFromRun) {
  log_t log;
  weft::tasklet bad = weft::spawn([&] {
    log.push_back("bad");
    throw std::runtime_error("escaped");
  });
  try {
    weft::run();
    ADD_FAILURE() << "run() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "escaped");
  }
  EXPECT_FALSE(bad.alive());
  EXPECT_EQ(log, (log_t{"bad"}));
  weft::run();  // the error is delivered once
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreScheduler, RunCanBeResumedAfterAnException) {
  log_t log;
  weft::spawn([&] { throw std::runtime_error("first"); });
  weft::spawn([&] { log.push_back("second"); });
  EXPECT_THROW(weft::run(), std::runtime_error);
  weft::run();
  EXPECT_EQ(log, (log_t{"second"}));
}

TEST(CoreScheduler, SecondUncaughtExceptionIsNotLost) {
  // Two tasklets fail in the same run(): each error must reach main, one per run() call
  // (Stackless delivers the first at once; the second tasklet has not run yet).
  std::vector<std::string> errors;
  weft::spawn([] { throw std::runtime_error("one"); });
  weft::spawn([] { throw std::runtime_error("two"); });
  for (int i = 0; i < 3; ++i) {
    try {
      weft::run();
    } catch (const std::runtime_error& e) {
      errors.push_back(e.what());
    }
  }
  EXPECT_EQ(errors, (std::vector<std::string>{"one", "two"}));
}

TEST(CoreScheduler, TaskletDeadlockReachesBlockedMain) {
  // main blocks on c1; the only other tasklet then blocks on c2: nothing can ever wake
  // either. The tasklet gets deadlock_error, dies of it, and main receives it.
  weft::channel<int> c1, c2;
  weft::tasklet t = weft::spawn([&] { c2.receive(); });
  EXPECT_THROW(c1.receive(), weft::deadlock_error);
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(c1.balance(), 0);
  EXPECT_EQ(c2.balance(), 0);
}

TEST(CoreScheduler, MainBlockedInReceiveGetsTheException) {
  weft::channel<int> ch;
  weft::spawn([] { throw std::invalid_argument("to main"); });
  try {
    ch.receive();
    ADD_FAILURE() << "receive returned";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "to main");
  }
  EXPECT_EQ(ch.balance(), 0);  // main is no longer queued on the channel
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreScheduler, NestedRunCallerGetsTheException) {
  log_t log;
  weft::tasklet outer = weft::spawn([&] {
    weft::spawn([] { throw std::runtime_error("inner"); });
    try {
      weft::run();
    } catch (const std::runtime_error& e) {
      log.push_back(std::string("outer caught ") + e.what());
    }
  });
  weft::run();
  EXPECT_EQ(log, (log_t{"outer caught inner"}));
}

TEST(CoreScheduler, ErrorHandlerInterceptsAndReturnsPrevious) {
  std::vector<std::pair<std::uint64_t, std::string>> seen;
  weft::error_handler first = [&](weft::tasklet t, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      seen.emplace_back(t.id(), ex.what());
    }
  };
  handler_guard guard(first);
  weft::tasklet a = weft::spawn([] { throw std::runtime_error("a failed"); });
  weft::tasklet b = weft::spawn([] {});
  EXPECT_NO_THROW(weft::run());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, a.id());
  EXPECT_EQ(seen[0].second, "a failed");
  EXPECT_FALSE(a.alive());

  int second_calls = 0;
  weft::error_handler prev = weft::set_error_handler([&](weft::tasklet, std::exception_ptr) { ++second_calls; });
  ASSERT_TRUE(static_cast<bool>(prev));
  // The returned handler is the first one: calling it records into `seen`.
  prev(weft::tasklet(), std::make_exception_ptr(std::runtime_error("direct")));
  EXPECT_EQ(seen.size(), 2u);
  weft::spawn([] { throw std::runtime_error("x"); });
  weft::run();
  EXPECT_EQ(second_calls, 1);
  weft::error_handler back = weft::set_error_handler(nullptr);
  EXPECT_TRUE(static_cast<bool>(back));
  weft::error_handler none = weft::set_error_handler(nullptr);
  EXPECT_FALSE(static_cast<bool>(none));
  weft::spawn([] { throw std::runtime_error("no handler"); });
  EXPECT_THROW(weft::run(), std::runtime_error);
}

TEST(CoreScheduler, ErrorHandlerThatThrowsSendsToMain) {
  handler_guard guard([](weft::tasklet, std::exception_ptr) { throw std::logic_error("from handler"); });
  weft::spawn([] { throw std::runtime_error("orig"); });
  try {
    weft::run();
    ADD_FAILURE() << "run() did not throw";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "from handler");
  }
}

TEST(CoreScheduler, TaskletExitIsNotReportedToTheHandler) {
  int calls = 0;
  handler_guard guard([&](weft::tasklet, std::exception_ptr) { ++calls; });
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] { ch.receive(); });
  weft::run();
  t.kill();
  weft::spawn([] { throw weft::tasklet_exit{}; });
  weft::run();
  EXPECT_EQ(calls, 0);
}

TEST(CoreScheduler, MainReceiveOnEmptyChannelIsDeadlock) {
  weft::channel<int> ch;
  EXPECT_THROW(ch.receive(), weft::deadlock_error);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_THROW(ch.send(1), weft::deadlock_error);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_EQ(weft::run_count(), 1);
}

TEST(CoreScheduler, TaskletBlockingAloneWhileMainRunsIsNotDeadlock) {
  // Under run(), a tasklet that blocks with nothing else runnable revives main.
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] { ch.receive(); });
  EXPECT_NO_THROW(weft::run());
  EXPECT_EQ(t.blocked(), -1);
  t.kill();
}

TEST(CoreScheduler, MainBlockedWhenLastTaskletEndsIsDeadlock) {
  weft::channel<int> ch;
  log_t log;
  weft::spawn([&] {
    log.push_back("t");
    weft::schedule();
    log.push_back("t end");
  });
  try {
    ch.receive();
    ADD_FAILURE() << "receive returned";
  } catch (const weft::deadlock_error& e) {
    EXPECT_NE(std::string(e.what()).find("receiving without a sender"), std::string::npos) << e.what();
  }
  EXPECT_EQ(log, (log_t{"t", "t end"}));
  EXPECT_EQ(ch.balance(), 0);
}

TEST(CoreScheduler, MainSendingWhenLastTaskletEndsIsDeadlock) {
  weft::channel<int> ch;
  weft::spawn([] {});
  try {
    ch.send(3);
    ADD_FAILURE() << "send returned";
  } catch (const weft::deadlock_error& e) {
    EXPECT_NE(std::string(e.what()).find("sending without a receiver"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ch.balance(), 0);
}

TEST(CoreScheduler, RunForReturnsTheTaskletThatUsedUpTheBudget) {
  log_t log;
  weft::tasklet hog = weft::spawn([&] {
    log.push_back("hog start");
    busy_for(50ms);
    weft::schedule();
    log.push_back("hog resumed");
  });
  auto t0 = std::chrono::steady_clock::now();
  weft::tasklet expired = weft::run_for(10ms);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(static_cast<bool>(expired));
  EXPECT_EQ(expired, hog);
  EXPECT_TRUE(hog.alive());
  EXPECT_TRUE(hog.paused());  // removed from the run queue at its switch point
  EXPECT_FALSE(hog.scheduled());
  EXPECT_EQ(log, (log_t{"hog start"}));
  EXPECT_LT(took, 1s);
  hog.insert();
  EXPECT_FALSE(static_cast<bool>(weft::run_for(5s)));
  EXPECT_EQ(log, (log_t{"hog start", "hog resumed"}));
  EXPECT_FALSE(hog.alive());
}

TEST(CoreScheduler, RunForWithinBudgetReturnsEmpty) {
  int n = 0;
  for (int i = 0; i < 3; ++i)
    weft::spawn([&] {
      weft::schedule();
      ++n;
    });
  weft::tasklet t = weft::run_for(5s);
  EXPECT_FALSE(static_cast<bool>(t));
  EXPECT_EQ(n, 3);
}

TEST(CoreScheduler, RunForBudgetCoversIdleTime) {
  // "As run(), for at most `budget` in total": a sleeping tasklet must not hold run_for()
  // past its budget.
  bool woke = false;
  weft::tasklet sleeper = weft::spawn([&] {
    weft::sleep_for(1s);
    woke = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  weft::run_for(20ms);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 500ms) << "run_for(20ms) took "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  sleeper.kill();
  EXPECT_FALSE(woke);
}

TEST(CoreScheduler, DumpTaskletsListsNamedBlockedTasklet) {
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn(weft::spawn_options{.name = "the-reader"}, [&] { ch.receive(); });
  weft::run();
  std::ostringstream out;
  weft::dump_tasklets(out);
  std::string s = out.str();
  EXPECT_NE(s.find("the-reader"), std::string::npos) << s;
  EXPECT_NE(s.find("channel receive"), std::string::npos) << s;
  EXPECT_NE(s.find("main"), std::string::npos) << s;
  // The reader's line mentions both its name and what it waits on.
  auto line_start = s.rfind('\n', s.find("the-reader"));
  auto line_end = s.find('\n', s.find("the-reader"));
  std::string line = s.substr(line_start + 1, line_end - line_start - 1);
  EXPECT_NE(line.find("channel receive"), std::string::npos) << line;
  EXPECT_NE(line.find("blocked"), std::string::npos) << line;
  t.kill();
}

}  // namespace
