// The rest of Stackless that makes sense in C++: block_trap, atomic scopes, schedule and
// channel callbacks, thread_id, spawn_on, and dump_tasklets()/tasklet_snapshot() with a
// backtrace of every suspended tasklet.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "weft/atomic.hpp"
#include "weft/callbacks.hpp"
#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/spawn_on.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

// Outside the anonymous namespace and not inlined, so that -rdynamic exports the names the
// backtraces must show.
[[gnu::noinline]] void weft_extras_parked_receiver(weft::channel<int>& ch) {
  ch.receive();
  asm volatile("" ::: "memory");  // not a tail call: this frame stays on the stack
}
[[gnu::noinline]] void weft_extras_parked_sleeper() {
  weft::sleep_for(std::chrono::hours(1));
  asm volatile("" ::: "memory");
}

namespace {

using namespace std::chrono_literals;

TEST(CoreExtras, BlockTrapIsPublicAndRaisesWhereTheTaskletWouldBlock) {
  weft::channel<int> ch;
  std::vector<std::string> log;
  weft::tasklet t = weft::spawn([&] {
    EXPECT_TRUE(weft::current().block_trap());
    weft::schedule();  // yielding is not blocking
    try {
      ch.receive();
    } catch (const weft::scheduler_error&) {
      log.push_back("trapped");
    }
    EXPECT_EQ(ch.balance(), 0);
    weft::current().set_block_trap(false);
    log.push_back(std::to_string(ch.receive()));
  });
  EXPECT_FALSE(t.block_trap());
  t.set_block_trap(true);
  weft::run();
  ch.send(7);
  EXPECT_EQ(log, (std::vector<std::string>{"trapped", "7"}));
}

TEST(CoreExtras, AtomicScopeMakesEverySwitchAnErrorRaisedAtTheSwitch) {
  weft::channel<int> ch;
  weft::tasklet other = weft::spawn([] {});
  {
    weft::atomic a;
    EXPECT_TRUE(weft::current().atomic());
    EXPECT_THROW(weft::schedule(), weft::scheduler_error);
    EXPECT_THROW(ch.receive(), weft::scheduler_error);
    EXPECT_EQ(ch.balance(), 0);  // the wait was withdrawn
    EXPECT_THROW(weft::schedule_remove(), weft::scheduler_error);
    EXPECT_THROW(other.run(), weft::scheduler_error);
    EXPECT_THROW(weft::run(), weft::scheduler_error);
    {
      weft::atomic nested;
    }
    EXPECT_TRUE(weft::current().atomic());
    EXPECT_TRUE(other.alive());  // nothing else ran
    EXPECT_EQ(weft::run_count(), 2);
  }
  EXPECT_FALSE(weft::current().atomic());
  weft::run();
  EXPECT_FALSE(other.alive());
}

TEST(CoreExtras, AtomicSendToAWaitingReceiverCompletesWithoutSwitching) {
  weft::channel<int> ch;  // preference -1: the receiver would normally run at once
  int got = 0;
  weft::tasklet r = weft::spawn([&] { got = ch.receive(); });
  weft::run();
  {
    weft::atomic a;
    ch.send(5);
    EXPECT_EQ(got, 0);  // queued, not switched to
  }
  weft::run();
  EXPECT_EQ(got, 5);
}

TEST(CoreExtras, ScheduleCallbackSeesEverySwitchAndReturnsThePrevious) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  weft::schedule_callback prev =
      weft::set_schedule_callback([&](const weft::tasklet& from, const weft::tasklet& to) {
        seen.emplace_back(from.id(), to.id());
      });
  EXPECT_FALSE(static_cast<bool>(prev));
  std::uint64_t m = weft::current().id();
  weft::tasklet a = weft::spawn([] { weft::schedule(); });
  std::uint64_t aid = a.id();
  weft::run();
  weft::schedule_callback mine = weft::set_schedule_callback(nullptr);
  EXPECT_TRUE(static_cast<bool>(mine));
  // main -> a, a yields to itself (nothing else runnable: no switch), a ends -> main.
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{m, aid}, {aid, m}}));
}

TEST(CoreExtras, ChannelCallbackSeesEverySendAndReceive) {
  struct call {
    const void* ch;
    std::uint64_t task;
    bool sending;
    bool will_block;
    bool operator==(const call&) const = default;
  };
  std::vector<call> calls;
  weft::channel_callback prev = weft::set_channel_callback(
      [&](const void* ch, const weft::tasklet& t, bool sending, bool will_block) {
        calls.push_back({ch, t.id(), sending, will_block});
      });
  EXPECT_FALSE(static_cast<bool>(prev));
  weft::channel<int> ch;
  weft::tasklet r = weft::spawn([&] { ch.receive(); });
  weft::run();
  ch.send(1);
  weft::set_channel_callback(nullptr);
  weft::spawn([&] { ch.receive(); });
  weft::run();
  ch.send(2);  // not seen
  std::uint64_t m = weft::current().id();
  EXPECT_EQ(calls, (std::vector<call>{{&ch, r.id(), false, true}, {&ch, m, true, false}}));
}

TEST(CoreExtras, ThreadIdNamesTheOwnerUntilItEnds) {
  EXPECT_EQ(weft::current().thread_id(), std::this_thread::get_id());
  EXPECT_EQ(weft::tasklet().thread_id(), std::thread::id());
  weft::tasklet foreign;
  std::thread::id tid;
  std::thread th([&] {
    foreign = weft::tasklet::bind([] {});
    tid = std::this_thread::get_id();
    EXPECT_EQ(foreign.thread_id(), tid);
  });
  th.join();
  EXPECT_NE(tid, std::thread::id());
  EXPECT_EQ(foreign.thread_id(), std::thread::id());  // its thread has ended
}

// A thread whose main tasklet sleeps in short steps until told to stop, so tasklets posted
// to it get their turn.
struct host_thread {
  std::promise<weft::tasklet> main_p;
  std::atomic<bool> stop{false};
  std::thread th;
  weft::tasklet main;
  host_thread() {
    th = std::thread([this] {
      main_p.set_value(weft::main_tasklet());
      while (!stop.load()) weft::sleep_for(1ms);
      weft::run();
    });
    main = main_p.get_future().get();
  }
  ~host_thread() {
    stop.store(true);
    th.join();
  }
};

TEST(CoreExtras, SpawnOnRunsTheTaskletOnTheOtherThreadByHandleAndById) {
  host_thread host;
  std::promise<std::pair<std::thread::id, std::string>> by_handle, by_id;
  weft::tasklet a = weft::spawn_on(host.main, weft::spawn_options{.name = "remote-a"}, [&](int x) {
    by_handle.set_value({std::this_thread::get_id(), weft::current().name() + std::to_string(x)});
  }, 7);
  weft::tasklet b = weft::spawn_on(host.th.get_id(), [&] {
    by_id.set_value({std::this_thread::get_id(), weft::current().name()});
  });
  auto fa = by_handle.get_future();
  auto fb = by_id.get_future();
  ASSERT_EQ(fa.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(fb.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(fa.get(), std::make_pair(host.th.get_id(), std::string("remote-a7")));
  EXPECT_EQ(fb.get().first, host.th.get_id());
  EXPECT_EQ(a.thread_id(), host.th.get_id());
  EXPECT_THROW(weft::spawn_on(std::thread::id(), [] {}), weft::scheduler_error);
}

TEST(CoreExtras, DumpTaskletsShowsABacktraceOfEverySuspendedTasklet) {
  weft::channel<int> ch;
  weft::tasklet g = weft::spawn(weft::spawn_options{.name = "guarded-waiter"},
                                [&] { weft_extras_parked_receiver(ch); });
  weft::tasklet d = weft::spawn(weft::spawn_options{.stack = weft::stack_kind::dense, .name = "dense-waiter"},
                                [] { weft_extras_parked_sleeper(); });
  weft::tasklet d2 = weft::spawn(weft::spawn_options{.stack = weft::stack_kind::dense, .name = "dense-two"},
                                 [&] { weft_extras_parked_receiver(ch); });
  weft::run_for(50ms);
  std::ostringstream out;
  weft::dump_tasklets(out);
  std::string s = out.str();
  auto section = [&](const std::string& name) {
    auto at = s.find(name);
    if (at == std::string::npos) return std::string();
    auto end = s.find("\n  #", at);
    return s.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  EXPECT_NE(section("guarded-waiter").find("weft_extras_parked_receiver"), std::string::npos) << s;
  EXPECT_NE(section("dense-waiter").find("weft_extras_parked_sleeper"), std::string::npos) << s;
  EXPECT_NE(section("dense-two").find("weft_extras_parked_receiver"), std::string::npos) << s;
  g.kill();
  d.kill();
  d2.kill();
}

TEST(CoreExtras, TaskletSnapshotDescribesEveryTasklet) {
  weft::channel<int> ch;
  weft::tasklet w = weft::spawn(weft::spawn_options{.name = "waiter"}, [&] { weft_extras_parked_receiver(ch); });
  weft::tasklet p = weft::tasklet::bind([] {});
  weft::run();
  std::vector<weft::tasklet_info> all = weft::tasklet_snapshot(true);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, weft::current().id());
  EXPECT_TRUE(all[0].is_main);
  EXPECT_EQ(all[0].state, "running");
  EXPECT_EQ(all[1].handle, w);
  EXPECT_EQ(all[1].name, "waiter");
  EXPECT_EQ(all[1].state, "blocked");
  EXPECT_EQ(all[1].waiting_on, "channel receive");
  bool found = false;
  for (const std::string& f : all[1].backtrace) found = found || f.find("weft_extras_parked_receiver") != std::string::npos;
  EXPECT_TRUE(found);
  EXPECT_EQ(all[2].id, p.id());
  EXPECT_EQ(all[2].state, "bound (not started)");
  EXPECT_TRUE(all[2].backtrace.empty());
  EXPECT_TRUE(weft::tasklet_snapshot().at(1).backtrace.empty());  // only on request
  w.kill();
  p.kill();
}

}  // namespace

namespace {

[[gnu::noinline]] int dive(int depth) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(depth);
  if (depth < 0) return 0;  // never: keeps the recursion from being folded
  return dive(depth + 1) + pad[0];
}

TEST(CoreExtrasDeathTest, OverflowOfAnUnnamedTaskletNamesItsId) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weft::tasklet t = weft::spawn(weft::spawn_options{.stack_size = 64 * 1024}, [] { dive(0); });
        (void)t;
        weft::run();
      },
      "weft: tasklet #[0-9]+ \\(unnamed\\) overflowed its");
}

}  // namespace
