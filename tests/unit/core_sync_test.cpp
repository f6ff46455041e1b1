// mutex, condition_variable, semaphore, event and wait_group between tasklets.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace {

using namespace std::chrono_literals;
using log_t = std::vector<std::string>;

TEST(CoreSync, MutexExcludesAcrossYields) {
  weft::mutex m;
  int inside = 0, max_inside = 0, total = 0;
  for (int i = 0; i < 4; ++i)
    weft::spawn([&] {
      for (int k = 0; k < 5; ++k) {
        std::lock_guard<weft::mutex> g(m);
        ++inside;
        max_inside = std::max(max_inside, inside);
        weft::schedule();  // others run while we hold it
        ++total;
        --inside;
      }
    });
  weft::run();
  EXPECT_EQ(max_inside, 1);
  EXPECT_EQ(total, 20);
}

TEST(CoreSync, MutexHandsOverInFifoOrder) {
  weft::mutex m;
  log_t log;
  m.lock();  // main holds it
  for (const char* n : {"a", "b", "c"})
    weft::spawn([&, n] {
      m.lock();
      log.push_back(n);
      m.unlock();
    });
  weft::run();  // all three queue up behind main
  EXPECT_TRUE(log.empty());
  // A newcomer that arrives after the unlock must not barge ahead of the queue.
  weft::spawn([&] {
    EXPECT_FALSE(m.try_lock());
    m.lock();
    log.push_back("late");
    m.unlock();
  });
  m.unlock();
  weft::run();
  EXPECT_EQ(log, (log_t{"a", "b", "c", "late"}));
}

TEST(CoreSync, MutexTryLockAndErrors) {
  weft::mutex m;
  EXPECT_TRUE(m.try_lock());
  EXPECT_THROW(m.lock(), weft::scheduler_error);  // not recursive
  bool other_got = true;
  bool unlock_threw = false;
  weft::spawn([&] {
    other_got = m.try_lock();
    try {
      m.unlock();
    } catch (const weft::scheduler_error&) {
      unlock_threw = true;
    }
  });
  weft::run();
  EXPECT_FALSE(other_got);
  EXPECT_TRUE(unlock_threw);
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(CoreSync, MutexTryLockForTimesOut) {
  weft::mutex m;
  m.lock();
  bool got = true;
  std::chrono::steady_clock::duration took{};
  weft::spawn([&] {
    auto t0 = std::chrono::steady_clock::now();
    got = m.try_lock_for(20ms);
    took = std::chrono::steady_clock::now() - t0;
  });
  weft::run();
  EXPECT_FALSE(got);
  EXPECT_GE(took, 20ms);
  EXPECT_LT(took, 1s);
  m.unlock();
  // Nobody is left waiting: the mutex is free.
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(CoreSync, MutexTryLockForSucceedsWhenReleased) {
  weft::mutex m;
  bool got = false;
  m.lock();
  weft::spawn([&] {
    got = m.try_lock_for(5s);
    if (got) m.unlock();
  });
  weft::schedule();  // the tasklet blocks on the mutex
  m.unlock();
  weft::run();
  EXPECT_TRUE(got);
}

TEST(CoreSync, KilledMutexWaiterHoldsNothing) {
  weft::mutex m;
  m.lock();
  bool got = false;
  weft::tasklet t = weft::spawn([&] {
    m.lock();
    got = true;
    m.unlock();
  });
  weft::run();
  EXPECT_EQ(t.waiting_on(), "mutex");
  t.kill();
  m.unlock();
  EXPECT_FALSE(got);
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(CoreSync, ConditionVariableNotifyOne) {
  weft::mutex m;
  weft::condition_variable cv;
  int ready = 0;
  log_t log;
  for (const char* n : {"a", "b"})
    weft::spawn([&, n] {
      std::unique_lock<weft::mutex> lk(m);
      cv.wait(lk, [&] { return ready > 0; });
      --ready;
      log.push_back(n);
    });
  weft::run();
  EXPECT_TRUE(log.empty());
  {
    std::unique_lock<weft::mutex> lk(m);
    ++ready;
  }
  cv.notify_one();
  weft::run();
  EXPECT_EQ(log, (log_t{"a"}));
  {
    std::unique_lock<weft::mutex> lk(m);
    ++ready;
  }
  cv.notify_one();
  weft::run();
  EXPECT_EQ(log, (log_t{"a", "b"}));
}

TEST(CoreSync, ConditionVariableNotifyAll) {
  weft::mutex m;
  weft::condition_variable cv;
  bool go = false;
  int woke = 0;
  for (int i = 0; i < 5; ++i)
    weft::spawn([&] {
      std::unique_lock<weft::mutex> lk(m);
      cv.wait(lk, [&] { return go; });
      ++woke;
    });
  weft::run();
  EXPECT_EQ(woke, 0);
  {
    std::lock_guard<weft::mutex> g(m);
    go = true;
  }
  cv.notify_all();
  weft::run();
  EXPECT_EQ(woke, 5);
}

TEST(CoreSync, ConditionVariableWaitForTimesOutAndRelocks) {
  weft::mutex m;
  weft::condition_variable cv;
  std::cv_status st = std::cv_status::no_timeout;
  bool owns_after = false;
  bool pred_result = true;
  weft::spawn([&] {
    std::unique_lock<weft::mutex> lk(m);
    st = cv.wait_for(lk, 20ms);
    owns_after = lk.owns_lock();
    pred_result = cv.wait_for(lk, 10ms, [] { return false; });
  });
  auto t0 = std::chrono::steady_clock::now();
  weft::run();
  EXPECT_EQ(st, std::cv_status::timeout);
  EXPECT_TRUE(owns_after);
  EXPECT_FALSE(pred_result);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  EXPECT_TRUE(m.try_lock());  // released when the tasklet ended
  m.unlock();
}

TEST(CoreSync, ConditionVariableNotifyBeforeTimeout) {
  weft::mutex m;
  weft::condition_variable cv;
  std::cv_status st = std::cv_status::timeout;
  weft::spawn([&] {
    std::unique_lock<weft::mutex> lk(m);
    st = cv.wait_for(lk, 5s);
  });
  weft::schedule();
  cv.notify_one();
  weft::run();
  EXPECT_EQ(st, std::cv_status::no_timeout);
}

TEST(CoreSync, SemaphoreCountsAndHandsOverFifo) {
  weft::semaphore sem(2);
  EXPECT_EQ(sem.available(), 2);
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_TRUE(sem.try_acquire());
  EXPECT_FALSE(sem.try_acquire());
  EXPECT_EQ(sem.available(), 0);
  log_t log;
  for (const char* n : {"a", "b", "c"})
    weft::spawn([&, n] {
      sem.acquire();
      log.push_back(n);
    });
  weft::run();
  EXPECT_TRUE(log.empty());
  sem.release();
  weft::run();
  EXPECT_EQ(log, (log_t{"a"}));
  sem.release(3);  // two waiters take two permits, one remains
  weft::run();
  EXPECT_EQ(log, (log_t{"a", "b", "c"}));
  EXPECT_EQ(sem.available(), 1);
  EXPECT_TRUE(sem.try_acquire_for(1s));
  EXPECT_FALSE(sem.try_acquire_for(10ms));
}

TEST(CoreSync, SemaphoreLimitsConcurrency) {
  weft::semaphore sem(3);
  int inside = 0, max_inside = 0;
  for (int i = 0; i < 10; ++i)
    weft::spawn([&] {
      sem.acquire();
      ++inside;
      max_inside = std::max(max_inside, inside);
      weft::schedule();
      weft::schedule();
      --inside;
      sem.release();
    });
  weft::run();
  EXPECT_EQ(max_inside, 3);
  EXPECT_EQ(sem.available(), 3);
}

TEST(CoreSync, EventSetClearWaitFor) {
  weft::event ev;
  EXPECT_FALSE(ev.is_set());
  EXPECT_FALSE(ev.wait_for(10ms));
  int woke = 0;
  for (int i = 0; i < 3; ++i)
    weft::spawn([&] {
      ev.wait();
      ++woke;
    });
  weft::run();
  EXPECT_EQ(woke, 0);
  ev.set();
  EXPECT_TRUE(ev.is_set());
  weft::run();
  EXPECT_EQ(woke, 3);
  ev.wait();  // set: passes at once
  EXPECT_TRUE(ev.wait_for(0ms));
  ev.clear();
  EXPECT_FALSE(ev.is_set());
  EXPECT_FALSE(ev.wait_for(10ms));
  bool got = false;
  weft::spawn([&] { got = ev.wait_for(5s); });
  weft::schedule();
  ev.set();
  weft::run();
  EXPECT_TRUE(got);
}

TEST(CoreSync, WaitGroupWaitsForAll) {
  weft::wait_group wg;
  log_t log;
  for (int i = 0; i < 3; ++i) {
    wg.add();
    weft::spawn([&, i] {
      for (int k = 0; k <= i; ++k) weft::schedule();
      log.push_back("w" + std::to_string(i));
      wg.done();
    });
  }
  EXPECT_EQ(wg.count(), 3);
  wg.wait();
  log.push_back("waited");
  EXPECT_EQ(log, (log_t{"w0", "w1", "w2", "waited"}));
  EXPECT_EQ(wg.count(), 0);
  wg.wait();  // zero: returns at once
  EXPECT_TRUE(wg.wait_for(0ms));
  EXPECT_THROW(wg.done(), weft::scheduler_error);
}

TEST(CoreSync, WaitGroupWaitForTimesOut) {
  weft::wait_group wg;
  wg.add(1);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(wg.wait_for(20ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  wg.done();
  EXPECT_TRUE(wg.wait_for(0ms));
}

}  // namespace

TEST(CoreSync, KillAfterMutexHandoffStillReleasesIt) {
  // unlock() hands the mutex to the waiter before it runs; the waiter is killed right
  // after. Its lock() must still return (it owns the mutex), the kill lands at its next
  // switch point, and RAII gives the mutex back: nobody is locked out for good.
  weft::mutex m;
  std::vector<std::string> log;
  m.lock();
  weft::tasklet waiter = weft::spawn([&] {
    std::unique_lock<weft::mutex> hold(m);
    log.push_back("waiter owns the mutex");
    weft::schedule();  // the kill lands here
    log.push_back("not reached");
  });
  weft::schedule();  // the waiter blocks in lock()
  m.unlock();        // ownership passes to the waiter, which is only appended
  waiter.kill(true);
  weft::run();
  EXPECT_EQ(log, (std::vector<std::string>{"waiter owns the mutex"}));
  EXPECT_FALSE(waiter.alive());
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}
