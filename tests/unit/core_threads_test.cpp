// One scheduler per thread: channels between threads, run_threadblock(), inserting, running
// and killing a tasklet from another thread, and thread exit unwinding tasklets.
//
// A thread's main tasklet that blocks on something only another thread can complete parks
// the thread until woken, so most tests here block main directly; others use
// run_threadblock().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace {


TEST(CoreThreads, ChannelBetweenTwoThreadsKeepsOrder) {
  constexpr int n = 10000;
  weft::channel<int> ch;
  std::vector<int> got;
  got.reserve(n);
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) ch.send(i);  // blocks until the other thread takes each
  });
  std::thread receiver([&] {
    for (int i = 0; i < n; ++i) got.push_back(ch.receive());
  });
  sender.join();
  receiver.join();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(got[i], i) << "at " << i;
}

TEST(CoreThreads, BufferedChannelBetweenThreadsWithClose) {
  constexpr int n = 10000;
  weft::channel<int> ch(64);
  long long sum = 0;
  int count = 0;
  bool in_order = true;
  std::thread receiver([&] {
    int expect = 0;
    for (int v : ch) {
      in_order = in_order && v == expect++;
      sum += v;
      ++count;
    }
  });
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) ch.send(i);
    ch.close();
  });
  sender.join();
  receiver.join();
  EXPECT_EQ(count, n);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sum, static_cast<long long>(n) * (n - 1) / 2);
}

TEST(CoreThreads, TaskletsOnBothSidesOfAThreadChannel) {
  // Several tasklets per thread share one cross-thread channel; each thread's main waits
  // on a wait_group.
  constexpr int per = 2000;
  weft::channel<int> ch;
  std::atomic<long long> sum{0};
  std::thread producer([&] {
    weft::wait_group wg;
    for (int t = 0; t < 4; ++t) {
      wg.add();
      weft::spawn([&, t] {
        for (int i = 0; i < per; ++i) ch.send(t * per + i);
        wg.done();
      });
    }
    wg.wait();
  });
  std::thread consumer([&] {
    weft::wait_group wg;
    for (int t = 0; t < 4; ++t) {
      wg.add();
      weft::spawn([&] {
        long long local = 0;
        for (int i = 0; i < per; ++i) local += ch.receive();
        sum += local;
        wg.done();
      });
    }
    wg.wait();
  });
  producer.join();
  consumer.join();
  const long long n = 4 * per;
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
}

TEST(CoreThreads, RunThreadblockWaitsForCrossThreadSend) {
  weft::channel<int> ch;
  std::atomic<bool> receiving{false};
  int got = 0;
  bool returned = false;
  std::thread a([&] {
    weft::spawn([&] {
      receiving.store(true);
      got = ch.receive();
    });
    weft::run_threadblock();  // sleeps until the other thread sends, then returns
    returned = true;
  });
  std::thread b([&] {
    while (!receiving.load()) std::this_thread::yield();
    ch.send(77);
  });
  b.join();
  a.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(got, 77);
}

TEST(CoreThreads, RunThreadblockReturnsWhenAllTaskletsFinished) {
  bool ran = false, returned = false;
  std::thread a([&] {
    weft::spawn([&] { ran = true; });
    weft::run_threadblock();
    returned = true;
  });
  a.join();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(returned);
}

TEST(CoreThreads, CrossThreadInsertPickedUpByRunThreadblock) {
  std::promise<weft::tasklet> bound;
  std::thread::id ran_on;
  std::thread::id a_id;
  bool ran = false;
  std::thread a([&] {
    a_id = std::this_thread::get_id();
    weft::tasklet t = weft::tasklet::bind([&] {
      ran = true;
      ran_on = std::this_thread::get_id();
    });
    EXPECT_TRUE(t.paused());
    bound.set_value(t);
    weft::run_threadblock();  // picks t up once the other thread inserts it
    EXPECT_FALSE(t.alive());
  });
  std::thread b([&] {
    weft::tasklet t = bound.get_future().get();
    t.insert();
  });
  b.join();
  a.join();
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, a_id);
}

TEST(CoreThreads, CrossThreadInsertWakesABlockedThread) {
  std::promise<weft::tasklet> bound;
  std::thread::id ran_on;
  std::thread::id a_id;
  int got = 0;
  std::thread a([&] {
    a_id = std::this_thread::get_id();
    weft::channel<int> done;
    weft::tasklet t = weft::tasklet::bind([&] {
      ran_on = std::this_thread::get_id();
      done.send(5);
    });
    EXPECT_TRUE(t.paused());
    EXPECT_FALSE(t.scheduled());
    bound.set_value(t);
    got = done.receive();  // only the other thread's insert can make t runnable
    weft::run();
    EXPECT_FALSE(t.alive());
  });
  std::thread b([&] {
    weft::tasklet t = bound.get_future().get();
    t.insert();
  });
  b.join();
  a.join();
  EXPECT_EQ(got, 5);
  EXPECT_EQ(ran_on, a_id);
}

TEST(CoreThreads, CrossThreadRunOnlyInserts) {
  std::promise<weft::tasklet> bound;
  std::atomic<bool> ran{false};
  std::thread a([&] {
    weft::channel<int> done;
    weft::tasklet t = weft::tasklet::bind([&] {
      ran.store(true);
      done.send(1);
    });
    bound.set_value(t);
    done.receive();
    weft::run();
  });
  std::thread b([&] {
    weft::tasklet t = bound.get_future().get();
    t.run();  // on a foreign tasklet: inserts it there and returns
    EXPECT_THROW(t.switch_to(), weft::scheduler_error);
    EXPECT_THROW(t.remove(), weft::scheduler_error);
  });
  b.join();
  a.join();
  EXPECT_TRUE(ran.load());
}

// Sets a flag and, through a buffered channel, tells the thread's main when it is destroyed.
struct unwind_flag {
  bool* flag;
  weft::channel<int>* gone;
  ~unwind_flag() {
    *flag = true;
    int v = 1;
    gone->try_send(v);
  }
};

TEST(CoreThreads, CrossThreadKillOfBlockedTasklet) {
  std::promise<weft::tasklet> blocked;
  bool destroyed = false;
  bool returned = false;
  std::thread a([&] {
    weft::channel<int> never;
    weft::channel<int> gone(1);
    weft::tasklet t = weft::spawn([&] {
      unwind_flag g{&destroyed, &gone};
      never.receive();
      returned = true;
    });
    weft::schedule();  // t runs until it blocks on `never`
    EXPECT_EQ(t.blocked(), -1);
    blocked.set_value(t);
    gone.receive();  // main waits for t's unwinding
    weft::run();
  });
  std::thread b([&] {
    weft::tasklet t = blocked.get_future().get();
    t.kill();  // posted to a's scheduler
  });
  b.join();
  a.join();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(returned);
}

TEST(CoreThreads, CrossThreadKillArrivingWhileTargetRunsThenBlocks) {
  // The kill is posted while the target is the running tasklet; it then blocks (with a
  // deadline, so a lost kill fails the test instead of hanging it).
  std::promise<weft::tasklet> running;
  std::atomic<bool> posted{false};
  bool destroyed = false;
  bool timed_out = false;
  std::thread a([&] {
    weft::channel<int> never;
    weft::channel<int> gone(1);
    weft::spawn([&] {
      unwind_flag g{&destroyed, &gone};
      running.set_value(weft::current());
      while (!posted.load()) std::this_thread::yield();
      try {
        never.receive_for(std::chrono::seconds(2));
      } catch (const weft::timeout_error&) {
        timed_out = true;
      }
    });
    gone.receive();
    weft::run();
  });
  std::thread b([&] {
    weft::tasklet t = running.get_future().get();
    t.kill();
    posted.store(true);
  });
  b.join();
  a.join();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(timed_out) << "the kill was lost; the tasklet blocked until its deadline";
}

TEST(CoreThreads, CrossThreadKillArrivingWhileTargetRunsThenYields) {
  std::promise<weft::tasklet> running;
  std::atomic<bool> posted{false};
  bool destroyed = false;
  bool survived = false;
  std::thread a([&] {
    weft::channel<int> gone(1);
    weft::spawn([&] {
      unwind_flag g{&destroyed, &gone};
      running.set_value(weft::current());
      while (!posted.load()) std::this_thread::yield();
      for (int i = 0; i < 100; ++i) weft::schedule();  // switch points: the kill lands here
      survived = true;
    });
    gone.receive();
    weft::run();
  });
  std::thread b([&] {
    weft::tasklet t = running.get_future().get();
    t.kill();
    posted.store(true);
  });
  b.join();
  a.join();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(survived) << "the kill was lost";
}

TEST(CoreThreads, EachThreadHasItsOwnMainAndScheduler) {
  weft::tasklet main_here = weft::main_tasklet();
  weft::tasklet main_there;
  int count_there = 0;
  std::thread t([&] {
    main_there = weft::main_tasklet();
    weft::spawn([] {});
    count_there = weft::run_count();
    weft::run();
  });
  t.join();
  EXPECT_NE(main_here, main_there);
  EXPECT_TRUE(main_there.is_main());
  EXPECT_FALSE(main_there.is_current());  // not current on *this* thread
  EXPECT_EQ(count_there, 2);
  EXPECT_EQ(weft::run_count(), 1);
}

TEST(CoreThreads, MutexAcrossThreads) {
  weft::mutex m;
  long long counter = 0;
  auto work = [&] {
    weft::wait_group wg;
    for (int t = 0; t < 4; ++t) {
      wg.add();
      weft::spawn([&] {
        for (int i = 0; i < 2000; ++i) {
          std::lock_guard<weft::mutex> g(m);
          ++counter;
          if (i % 64 == 0) weft::schedule();
        }
        wg.done();
      });
    }
    wg.wait();
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(counter, 2 * 4 * 2000);
}

TEST(CoreThreads, TaskletsAreUnwoundWhenTheirThreadExits) {
  bool destroyed = false;
  std::thread t([&] {
    weft::spawn([&] {
      struct flag {
        bool* f;
        ~flag() { *f = true; }
      } g{&destroyed};
      weft::schedule_remove();  // paused forever
    });
    weft::run();
  });
  t.join();
  EXPECT_TRUE(destroyed);
}

}  // namespace

TEST(CoreThreads, PlainThreadFeedsABufferedChannelWithoutFalseDeadlock) {
  // A thread that is not a weft scheduler until it first sends: its sends block on the full
  // buffer while main is parked waiting for it. Neither may be reported as a deadlock, and
  // nothing may stall (the bias of the channel's lock moves to a shared lock on first use).
  weft::channel<int> ch(1);
  std::thread feeder([&] {
    for (int i = 0; i < 2000; ++i) ch.send(i);
  });
  long sum = 0;
  for (int i = 0; i < 2000; ++i) sum += ch.receive();
  feeder.join();
  EXPECT_EQ(sum, 1999L * 2000 / 2);
}
