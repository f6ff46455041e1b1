// One scheduler per thread: channels between threads, run_threadblock(), and inserting a
// tasklet from another thread.
#include <gtest/gtest.h>

#include <atomic>
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
    // The thread's main tasklet sends directly: it blocks until the other thread takes each.
    for (int i = 0; i < n; ++i) ch.send(i);
  });
  std::thread receiver([&] {
    weft::spawn([&] {
      for (int i = 0; i < n; ++i) got.push_back(ch.receive());
    });
    weft::run_threadblock();
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
    weft::spawn([&] {
      int expect = 0;
      for (int v : ch) {
        in_order = in_order && v == expect++;
        sum += v;
        ++count;
      }
    });
    weft::run_threadblock();
  });
  std::thread sender([&] {
    weft::spawn([&] {
      for (int i = 0; i < n; ++i) ch.send(i);
      ch.close();
    });
    weft::run_threadblock();
  });
  sender.join();
  receiver.join();
  EXPECT_EQ(count, n);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(sum, static_cast<long long>(n) * (n - 1) / 2);
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

TEST(CoreThreads, CrossThreadInsert) {
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

TEST(CoreThreads, CrossThreadRunOnlyInserts) {
  std::promise<weft::tasklet> bound;
  std::atomic<bool> ran{false};
  std::thread a([&] {
    weft::tasklet t = weft::tasklet::bind([&] { ran.store(true); });
    bound.set_value(t);
    weft::run_threadblock();
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

TEST(CoreThreads, CrossThreadKill) {
  std::promise<weft::tasklet> started;
  bool destroyed = false;
  std::thread a([&] {
    weft::channel<int> never;
    weft::spawn([&] {
      struct flag {
        bool* f;
        ~flag() { *f = true; }
      } g{&destroyed};
      started.set_value(weft::current());
      never.receive();
    });
    weft::run_threadblock();
  });
  std::thread b([&] {
    weft::tasklet t = started.get_future().get();
    t.kill();
  });
  b.join();
  a.join();
  EXPECT_TRUE(destroyed);
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
    for (int t = 0; t < 4; ++t)
      weft::spawn([&] {
        for (int i = 0; i < 2000; ++i) {
          std::lock_guard<weft::mutex> g(m);
          ++counter;
          if (i % 64 == 0) weft::schedule();
        }
      });
    weft::run_threadblock();
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
