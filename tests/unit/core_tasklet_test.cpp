// Tasklet life cycle and the Stackless tasklet operations: spawn, bind, insert, remove, run,
// switch_to, kill, throw_exception/raise, and the state queries.
#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

using log_t = std::vector<std::string>;

// Sets *flag when destroyed: proves a tasklet's stack was unwound.
struct raii_flag {
  bool* flag;
  ~raii_flag() { *flag = true; }
};

TEST(CoreTasklet, SpawnRunsInFifoOrder) {
  log_t log;
  for (const char* n : {"a", "b", "c", "d"}) weft::spawn([&log, n] { log.push_back(n); });
  EXPECT_TRUE(log.empty());  // spawn only queues
  weft::run();
  EXPECT_EQ(log, (log_t{"a", "b", "c", "d"}));
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreTasklet, SpawnPassesArguments) {
  int sum = 0;
  std::string s;
  weft::spawn([&](int a, int b, std::string c) { sum = a + b; s = c; }, 2, 40, std::string("x"));
  weft::run();
  EXPECT_EQ(sum, 42);
  EXPECT_EQ(s, "x");
}

TEST(CoreTasklet, YieldingTaskletsInterleaveRoundRobin) {
  log_t log;
  for (const char* n : {"a", "b", "c"})
    weft::spawn([&log, n] {
      for (int i = 0; i < 3; ++i) {
        log.push_back(std::string(n) + std::to_string(i));
        weft::schedule();
      }
    });
  weft::run();
  EXPECT_EQ(log, (log_t{"a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"}));
}

TEST(CoreTasklet, BindIsPausedAliveNotScheduledUntilInsert) {
  log_t log;
  weft::tasklet t = weft::tasklet::bind([&](int x) { log.push_back("t" + std::to_string(x)); }, 7);
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(t.blocked(), 0);
  EXPECT_FALSE(t.is_current());
  EXPECT_FALSE(t.is_main());
  EXPECT_EQ(weft::run_count(), 1);
  weft::run();  // a bound tasklet is not runnable
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(t.alive());

  t.insert();
  EXPECT_TRUE(t.scheduled());
  EXPECT_FALSE(t.paused());
  EXPECT_EQ(weft::run_count(), 2);
  weft::run();
  EXPECT_EQ(log, (log_t{"t7"}));
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.scheduled());
  EXPECT_FALSE(t.paused());
}

TEST(CoreTasklet, BoundTaskletRunSwitchesAtOnce) {
  log_t log;
  weft::tasklet t = weft::tasklet::bind([&] { log.push_back("t"); });
  log.push_back("before");
  t.run();
  log.push_back("after");
  EXPECT_EQ(log, (log_t{"before", "t", "after"}));
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, InsertIsAppendedAtTheEnd) {
  log_t log;
  weft::tasklet b = weft::tasklet::bind([&] { log.push_back("b"); });
  weft::spawn([&] { log.push_back("a"); });
  b.insert();
  weft::spawn([&] { log.push_back("c"); });
  b.insert();  // already runnable: no effect
  weft::run();
  EXPECT_EQ(log, (log_t{"a", "b", "c"}));
}

TEST(CoreTasklet, RemoveTakesARunnableTaskletOut) {
  log_t log;
  weft::tasklet a = weft::spawn([&] { log.push_back("a"); });
  weft::spawn([&] { log.push_back("b"); });
  a.remove();
  EXPECT_TRUE(a.paused());
  EXPECT_FALSE(a.scheduled());
  EXPECT_TRUE(a.alive());
  weft::run();
  EXPECT_EQ(log, (log_t{"b"}));
  EXPECT_TRUE(a.alive());
  a.insert();
  weft::run();
  EXPECT_EQ(log, (log_t{"b", "a"}));
  EXPECT_FALSE(a.alive());
}

TEST(CoreTasklet, RemoveErrors) {
  weft::channel<int> ch;
  weft::tasklet blocked = weft::spawn([&] { ch.receive(); });
  weft::run();
  ASSERT_EQ(blocked.blocked(), -1);
  EXPECT_THROW(blocked.remove(), weft::scheduler_error);
  EXPECT_THROW(weft::current().remove(), weft::scheduler_error);
  ch.send(1);
  weft::run();
  EXPECT_FALSE(blocked.alive());
  EXPECT_THROW(blocked.insert(), weft::scheduler_error);  // dead
  EXPECT_THROW(blocked.run(), weft::scheduler_error);
}

TEST(CoreTasklet, InsertOrRunOfBlockedTaskletThrows) {
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] { ch.receive(); });
  weft::run();
  EXPECT_THROW(t.insert(), weft::scheduler_error);
  EXPECT_THROW(t.run(), weft::scheduler_error);
  EXPECT_THROW(t.switch_to(), weft::scheduler_error);
  t.kill();
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, RunOfBoundTaskletRunsTheCallerRightAfterIt) {
  log_t log;
  weft::spawn([&] { log.push_back("a"); });
  weft::spawn([&] { log.push_back("b"); });
  weft::tasklet t = weft::tasklet::bind([&] {
    log.push_back("t1");
    weft::schedule();
    log.push_back("t2");
  });
  t.run();  // t runs now, inserted just before main, which resumes when t yields
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"t1", "main", "a", "b", "t2"}));
}

TEST(CoreTasklet, RunOfRunnableTaskletKeepsItsPlaceBehindMain) {
  log_t log;
  weft::spawn([&] { log.push_back("a"); });
  weft::tasklet b = weft::spawn([&] { log.push_back("b"); });
  b.run();  // b keeps its place after a, so main (after b in the ring) is next
  log.push_back("main");
  weft::run();
  EXPECT_EQ(log, (log_t{"b", "main", "a"}));
}

TEST(CoreTasklet, SwitchToPausesTheCaller) {
  log_t log;
  weft::tasklet a, b;
  b = weft::tasklet::bind([&] {
    log.push_back("b");
    EXPECT_TRUE(a.paused());
    EXPECT_FALSE(a.scheduled());
    a.insert();
  });
  a = weft::spawn([&] {
    log.push_back("a1");
    b.switch_to();
    log.push_back("a2");
  });
  weft::run();
  EXPECT_EQ(log, (log_t{"a1", "b", "a2"}));
  EXPECT_FALSE(a.alive());
  EXPECT_FALSE(b.alive());
}

TEST(CoreTasklet, SwitchToWithoutReinsertLeavesCallerPaused) {
  log_t log;
  weft::tasklet b = weft::tasklet::bind([&] { log.push_back("b"); });
  weft::tasklet a = weft::spawn([&] {
    log.push_back("a1");
    b.switch_to();
    log.push_back("a2");
  });
  weft::run();
  EXPECT_EQ(log, (log_t{"a1", "b"}));
  EXPECT_TRUE(a.alive());
  EXPECT_TRUE(a.paused());
  a.insert();
  weft::run();
  EXPECT_EQ(log, (log_t{"a1", "b", "a2"}));
}

TEST(CoreTasklet, KillBlockedTaskletRunsItsDestructors) {
  weft::channel<int> ch;
  bool destroyed = false;
  bool after_receive = false;
  weft::tasklet t = weft::spawn([&] {
    raii_flag f{&destroyed};
    ch.receive();
    after_receive = true;
  });
  weft::run();
  ASSERT_EQ(t.blocked(), -1);
  EXPECT_EQ(ch.balance(), -1);
  t.kill();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(after_receive);
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreTasklet, KillNotPendingRunsTheVictimAtOnce) {
  log_t log;
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] {
    try {
      ch.receive();
    } catch (const weft::tasklet_exit&) {
      log.push_back("t exit");
      throw;
    }
  });
  weft::run();
  log.push_back("kill");
  t.kill();
  log.push_back("after kill");
  EXPECT_EQ(log, (log_t{"kill", "t exit", "after kill"}));
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, KillPendingOnlyMakesItRunnable) {
  log_t log;
  weft::channel<int> ch;
  bool destroyed = false;
  weft::tasklet t = weft::spawn([&] {
    raii_flag f{&destroyed};
    try {
      ch.receive();
    } catch (const weft::tasklet_exit&) {
      log.push_back("t exit");
      throw;
    }
  });
  weft::run();
  t.kill(true);
  log.push_back("after kill");
  EXPECT_FALSE(destroyed);
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.scheduled());
  EXPECT_EQ(t.blocked(), 0);
  EXPECT_EQ(ch.balance(), 0);  // taken off the channel already
  weft::run();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(log, (log_t{"after kill", "t exit"}));
}

TEST(CoreTasklet, KillRunnableTaskletUnwindsAtItsYield) {
  log_t log;
  bool destroyed = false;
  weft::tasklet t = weft::spawn([&] {
    raii_flag f{&destroyed};
    log.push_back("t1");
    weft::schedule();
    log.push_back("t2");
  });
  weft::schedule();  // t runs until its schedule()
  EXPECT_EQ(log, (log_t{"t1"}));
  t.kill();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(t.alive());
  weft::run();
  EXPECT_EQ(log, (log_t{"t1"}));
}

TEST(CoreTasklet, KillBeforeStartNeverRuns) {
  bool ran = false;
  weft::tasklet t = weft::spawn([&] { ran = true; });
  EXPECT_EQ(weft::tasklet_count(), 2u);
  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(weft::run_count(), 1);
  EXPECT_EQ(weft::tasklet_count(), 1u);
  weft::run();
  EXPECT_FALSE(ran);

  weft::tasklet b = weft::tasklet::bind([&] { ran = true; });
  b.kill(true);
  EXPECT_FALSE(b.alive());
  weft::run();
  EXPECT_FALSE(ran);
}

TEST(CoreTasklet, KillOfCurrentThrowsTaskletExitInPlace) {
  log_t log;
  bool destroyed = false;
  weft::tasklet t = weft::spawn([&] {
    raii_flag f{&destroyed};
    try {
      weft::current().kill();
      log.push_back("not reached");
    } catch (const weft::tasklet_exit&) {
      log.push_back("caught");
      throw;
    }
  });
  weft::run();  // tasklet_exit reaching the top ends the tasklet silently
  EXPECT_EQ(log, (log_t{"caught"}));
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, TaskletExitIsNotAStdException) {
  bool caught_as_std = false;
  bool caught_exit = false;
  weft::tasklet t = weft::spawn([&] {
    try {
      try {
        weft::current().kill();
      } catch (const std::exception&) {
        caught_as_std = true;
      }
    } catch (const weft::tasklet_exit&) {
      caught_exit = true;
      throw;
    }
  });
  weft::run();
  EXPECT_FALSE(caught_as_std);
  EXPECT_TRUE(caught_exit);
}

TEST(CoreTasklet, KillDeadTaskletIsANoOp) {
  weft::tasklet t = weft::spawn([] {});
  weft::run();
  ASSERT_FALSE(t.alive());
  EXPECT_NO_THROW(t.kill());
  EXPECT_NO_THROW(t.kill(true));
  EXPECT_NO_THROW(t.throw_exception(std::make_exception_ptr(weft::tasklet_exit{})));
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, ThrowToDeadTaskletIsSchedulerError) {
  weft::tasklet t = weft::spawn([] {});
  weft::run();
  EXPECT_THROW(t.raise(std::runtime_error("x")), weft::scheduler_error);
  EXPECT_THROW(t.throw_exception(std::make_exception_ptr(std::runtime_error("x")), true),
               weft::scheduler_error);
}

TEST(CoreTasklet, RaiseIntoTaskletBlockedOnChannel) {
  log_t log;
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] {
    try {
      ch.receive();
      log.push_back("received");
    } catch (const std::runtime_error& e) {
      log.push_back(std::string("caught ") + e.what());
    }
    log.push_back("t end");
  });
  weft::run();
  ASSERT_EQ(t.blocked(), -1);
  t.raise(std::runtime_error("boom"));  // not pending: runs t at once
  log.push_back("main");
  EXPECT_EQ(log, (log_t{"caught boom", "t end", "main"}));
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(ch.balance(), 0);
}

TEST(CoreTasklet, ThrowExceptionPendingIntoBlockedSender) {
  log_t log;
  weft::channel<int> ch;
  weft::tasklet t = weft::spawn([&] {
    try {
      ch.send(5);
    } catch (const std::logic_error& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  });
  weft::run();
  ASSERT_EQ(t.blocked(), 1);
  EXPECT_EQ(ch.balance(), 1);
  t.throw_exception(std::make_exception_ptr(std::logic_error("pending")), true);
  log.push_back("main");
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_TRUE(t.scheduled());
  weft::run();
  EXPECT_EQ(log, (log_t{"main", "caught pending"}));
  EXPECT_FALSE(ch.try_receive().has_value());  // the value was not delivered
}

TEST(CoreTasklet, ThrowToUnstartedTaskletRaisesAtStartAndReachesMain) {
  bool body_ran = false;
  weft::tasklet t = weft::spawn([&] { body_ran = true; });
  t.throw_exception(std::make_exception_ptr(std::runtime_error("early")), true);
  EXPECT_THROW(weft::run(), std::runtime_error);
  EXPECT_FALSE(body_ran);
  EXPECT_FALSE(t.alive());
}

TEST(CoreTasklet, StateQueries) {
  weft::channel<int> rx, tx;
  weft::tasklet main = weft::main_tasklet();
  EXPECT_TRUE(main.is_main());
  EXPECT_TRUE(main.is_current());
  EXPECT_TRUE(main.alive());
  EXPECT_TRUE(main.scheduled());
  EXPECT_FALSE(main.paused());
  EXPECT_EQ(main.name(), "main");
  EXPECT_EQ(weft::current(), main);

  weft::tasklet seen_current;
  bool self_is_current = false;
  weft::tasklet r = weft::spawn(weft::spawn_options{.name = "reader"}, [&] {
    seen_current = weft::current();
    self_is_current = weft::current().is_current();
    rx.receive();
  });
  weft::tasklet w = weft::spawn([&] { tx.send(1); });
  EXPECT_TRUE(r.scheduled());
  EXPECT_EQ(r.blocked(), 0);
  EXPECT_EQ(r.waiting_on(), "");
  weft::run();
  EXPECT_EQ(seen_current, r);
  EXPECT_TRUE(self_is_current);
  EXPECT_FALSE(r.is_current());
  EXPECT_FALSE(r.is_main());
  EXPECT_EQ(r.name(), "reader");
  EXPECT_NE(r.id(), w.id());
  EXPECT_NE(r.id(), main.id());
  EXPECT_NE(r.id(), 0u);

  EXPECT_TRUE(r.alive());
  EXPECT_TRUE(r.scheduled());
  EXPECT_FALSE(r.paused());
  EXPECT_EQ(r.blocked(), -1);
  EXPECT_EQ(r.waiting_on(), "channel receive");
  EXPECT_EQ(w.blocked(), 1);
  EXPECT_EQ(w.waiting_on(), "channel send");

  r.set_name("renamed");
  EXPECT_EQ(r.name(), "renamed");

  rx.send(1);
  EXPECT_EQ(tx.receive(), 1);
  weft::run();
  EXPECT_FALSE(r.alive());
  EXPECT_FALSE(r.scheduled());
  EXPECT_EQ(r.blocked(), 0);
  EXPECT_EQ(r.waiting_on(), "");
  EXPECT_FALSE(w.alive());

  weft::tasklet empty;
  EXPECT_FALSE(empty);
  EXPECT_FALSE(empty.alive());
  EXPECT_EQ(empty.id(), 0u);
}

TEST(CoreTasklet, HandleOutlivesTaskletAndCopiesCompareEqual) {
  weft::tasklet t = weft::spawn([] {});
  weft::tasklet copy = t;
  EXPECT_EQ(copy, t);
  weft::run();
  EXPECT_FALSE(copy.alive());
  EXPECT_EQ(copy.id(), t.id());
}

TEST(CoreTasklet, DroppedHandleDoesNotStopTasklet) {
  int n = 0;
  {
    weft::tasklet t = weft::spawn([&] {
      weft::schedule();
      ++n;
    });
  }
  weft::run();
  EXPECT_EQ(n, 1);
}

TEST(CoreTasklet, RethrowInCatchAfterSwitchRethrowsOwnException) {
  // Each tasklet's "currently handled" exception must survive switches: `throw;` inside a
  // catch block after a schedule() rethrows this tasklet's exception, not another's.
  std::string a_got, b_got;
  weft::spawn([&] {
    try {
      try {
        throw std::runtime_error("A");
      } catch (...) {
        weft::schedule();
        throw;
      }
    } catch (const std::exception& e) {
      a_got = e.what();
    }
  });
  weft::spawn([&] {
    try {
      try {
        throw std::logic_error("B");
      } catch (...) {
        weft::schedule();
        weft::schedule();
        throw;
      }
    } catch (const std::exception& e) {
      b_got = e.what();
    }
  });
  weft::run();
  EXPECT_EQ(a_got, "A");
  EXPECT_EQ(b_got, "B");
}

TEST(CoreTasklet, ExceptionStateStaysWithItsTasklet) {
  // A switch hands the thread's exception bookkeeping over only when one side has some: a
  // tasklet unwinding (uncaught count 1) or inside a catch block switches to tasklets that
  // have none, and must find its own state again when it resumes. Dense tasklets take the
  // stack switcher's path, which hands it over too.
  const weft::spawn_options guarded{}, dense{.stack = weft::stack_kind::dense};
  for (const weft::spawn_options& o : {guarded, dense}) {
    SCOPED_TRACE(o.stack == weft::stack_kind::dense ? "dense" : "guarded");
    int unwinding_before = -1, unwinding_after = -1;
    int other_uncaught = -1;
    bool other_saw_exception = false;
    std::string caught;
    struct switches_while_unwinding {
      int& before;
      int& after;
      ~switches_while_unwinding() {
        before = std::uncaught_exceptions();
        weft::schedule();
        after = std::uncaught_exceptions();
      }
    };
    weft::spawn(o, [&] {
      try {
        switches_while_unwinding s{unwinding_before, unwinding_after};
        throw std::runtime_error("unwinding");
      } catch (const std::exception& e) {
        weft::schedule();
        caught = std::current_exception() ? e.what() : "lost";
      }
    });
    weft::spawn(o, [&] {
      for (int i = 0; i < 3; ++i) {
        other_uncaught = std::max(other_uncaught, std::uncaught_exceptions());
        if (std::current_exception()) other_saw_exception = true;
        weft::schedule();
      }
    });
    weft::run();
    EXPECT_EQ(unwinding_before, 1);
    EXPECT_EQ(unwinding_after, 1);
    EXPECT_EQ(caught, "unwinding");
    EXPECT_EQ(other_uncaught, 0);
    EXPECT_FALSE(other_saw_exception);
    EXPECT_EQ(std::uncaught_exceptions(), 0);
    EXPECT_EQ(std::current_exception(), nullptr);
  }
}

TEST(CoreTasklet, CurrentExceptionInCatchAfterSwitch) {
  std::string seen;
  weft::spawn([&] {
    try {
      throw std::runtime_error("mine");
    } catch (...) {
      weft::schedule();
      try {
        std::rethrow_exception(std::current_exception());
      } catch (const std::exception& e) {
        seen = e.what();
      } catch (...) {
        seen = "?";
      }
    }
  });
  weft::spawn([&] {
    try {
      throw std::logic_error("other");
    } catch (...) {
      weft::schedule();
    }
  });
  weft::run();
  EXPECT_EQ(seen, "mine");
}

}  // namespace
