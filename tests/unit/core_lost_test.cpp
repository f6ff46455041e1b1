// Nothing handed over is ever lost: select on dense stacks, kills racing a completed
// handoff (same thread and across threads), destruction of a channel under a select,
// channels and mutexes with static storage duration, the cross-thread deadlock check, and
// waits on descriptors epoll cannot watch.
//
// The cross-thread tests use bounded counts so that each runs in a few seconds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "weft/channel.hpp"
#include "weft/detail/io_wait.hpp"
#include "weft/error.hpp"
#include "weft/scheduler.hpp"
#include "weft/select.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace {

using namespace std::chrono_literals;

const weft::spawn_options dense{weft::stack_kind::dense, 0, {}};

// Uses enough of the shared stack to overwrite whatever a switched-out dense tasklet left
// there.
[[gnu::noinline]] int scribble(int depth) {
  volatile char buf[2048];
  for (auto& c : buf) c = static_cast<char>(depth);
  return depth == 0 ? buf[7] : scribble(depth - 1) + buf[depth % 2048];
}

// --- 1. select on a dense stack --------------------------------------------------------

TEST(CoreLost, DenseSelectReceiveCaseGetsTheValue) {
  weft::channel<int> ch;
  std::optional<int> seen;
  int picked = -2;
  weft::spawn(dense, [&] {
    std::optional<int> got;
    picked = weft::select(weft::on_receive(ch, got));
    seen = got;
  });
  weft::spawn(dense, [&] {
    scribble(8);
    ch.send(42);
  });
  weft::run();
  EXPECT_EQ(picked, 0);
  EXPECT_EQ(seen, std::optional<int>(42));
}

TEST(CoreLost, DenseSelectSendCaseDeliversTheValue) {
  weft::channel<std::string> ch;
  std::string got;
  weft::spawn(dense, [&] {
    EXPECT_EQ(weft::select(weft::on_send(ch, std::string(100, 'x'))), 0);
  });
  weft::spawn(dense, [&] {
    scribble(8);
    got = ch.receive();
  });
  weft::run();
  EXPECT_EQ(got, std::string(100, 'x'));
}

TEST(CoreLost, DenseSelectForTimesOutWhileAnotherDenseTaskletOwnsTheStack) {
  weft::channel<int> ch;
  int picked = -2;
  weft::spawn(dense, [&] {
    std::optional<int> got;
    picked = weft::select_for(5ms, weft::on_receive(ch, got));
  });
  weft::spawn(dense, [&] {
    scribble(8);
    weft::sleep_for(20ms);  // the select's timer fires on this tasklet's stack
  });
  weft::run();
  EXPECT_EQ(picked, -1);
}

// --- 3. a completed operation returns its result; the kill lands at the next switch -----

// `receiver` takes from a sender that is blocked; the sender, run at once by the channel's
// settings, kills the receiver (pending) before it resumes.
std::vector<int> receive_then_killed(weft::channel<int>& ch) {
  std::vector<int> got;
  weft::tasklet r;
  weft::spawn([&] {
    ch.send(42);
    r.kill(true);
  });
  r = weft::spawn([&] { got.push_back(ch.receive()); });
  weft::run();
  return got;
}

TEST(CoreLost, KillDuringReceiveWithPreferSenderKeepsTheValue) {
  weft::channel<int> ch;
  ch.set_preference(1);
  EXPECT_EQ(receive_then_killed(ch), std::vector<int>{42});
}

TEST(CoreLost, KillDuringReceiveWithScheduleAllKeepsTheValue) {
  weft::channel<int> ch;
  ch.set_schedule_all(true);
  EXPECT_EQ(receive_then_killed(ch), std::vector<int>{42});
}

TEST(CoreLost, KillDuringBufferedReceiveWithPreferSenderKeepsTheValue) {
  weft::channel<int> ch(1);
  ch.set_preference(1);
  ch.send(7);
  std::vector<int> got;
  weft::tasklet r;
  weft::spawn([&] {
    ch.send(42);  // blocks: the buffer is full
    r.kill(true);
  });
  r = weft::spawn([&] { got.push_back(ch.receive()); });
  weft::run();
  EXPECT_EQ(got, std::vector<int>{7});
  EXPECT_EQ(ch.try_receive(), std::optional<int>(42));
}

TEST(CoreLost, KillDuringSelectReceiveWithPreferSenderKeepsTheValue) {
  weft::channel<int> ch;
  ch.set_preference(1);
  std::optional<int> got;
  int picked = -2;
  weft::tasklet r;
  weft::spawn([&] {
    ch.send(42);
    r.kill(true);
  });
  r = weft::spawn([&] { picked = weft::select(weft::on_receive(ch, got)); });
  weft::run();
  EXPECT_EQ(picked, 0);
  EXPECT_EQ(got, std::optional<int>(42));
}

TEST(CoreLost, KilledSenderWhoseValueWasTakenReturnsNormally) {
  weft::channel<int> ch;  // preference -1: the receiver runs at once
  weft::tasklet s;
  bool returned = false;
  bool exited = false;
  std::vector<int> got;
  weft::spawn([&] {
    got.push_back(ch.receive());
    s.kill(true);
  });
  s = weft::spawn([&] {
    try {
      ch.send(42);
      returned = true;
      weft::schedule();  // the next switch point: the kill lands here
    } catch (const weft::tasklet_exit&) {
      exited = true;
      throw;
    }
  });
  weft::run();
  EXPECT_EQ(got, std::vector<int>{42});
  EXPECT_TRUE(returned);
  EXPECT_TRUE(exited);
}

TEST(CoreLost, PendingKillIsRaisedAtTheNextBlockingCall) {
  weft::channel<int> ch;
  weft::tasklet r;
  bool second_receive_threw = false;
  std::vector<int> got;
  weft::spawn([&] {
    ch.send(1);
    r.kill(true);
  });
  r = weft::spawn([&] {
    got.push_back(ch.receive());
    try {
      got.push_back(ch.receive());
    } catch (const weft::tasklet_exit&) {
      second_receive_threw = true;
    }
  });
  ch.set_preference(1);
  weft::run();
  EXPECT_EQ(got, std::vector<int>{1});
  EXPECT_TRUE(second_receive_threw);
  EXPECT_EQ(ch.balance(), 0);
}

// --- 2. kills from another thread racing a cross-thread handoff ------------------------

int env_count(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// A consumer tasklet on one thread receives every value; the producer thread kills it
// every few messages. A kill may cost a receive, never a value: every value whose send()
// returned is received exactly once.
void producer_consumer_with_kills(std::size_t capacity, bool spin) {
  const int n = env_count("WEFT_LOST_MESSAGES", 50000);
  weft::channel<int> ch(capacity);
  std::vector<std::atomic<int>> got(static_cast<std::size_t>(n));
  std::atomic<bool> published{false};
  weft::tasklet consumer;
  std::atomic<int> kills_caught{0};
  std::thread c([&] {
    consumer = weft::spawn([&] {
      for (;;) {
        try {
          int v = ch.receive();
          got[static_cast<std::size_t>(v)].fetch_add(1, std::memory_order_relaxed);
        } catch (const weft::tasklet_exit&) {
          kills_caught.fetch_add(1, std::memory_order_relaxed);
        } catch (const weft::channel_closed&) {
          return;
        }
      }
    });
    published.store(true);
    weft::run_threadblock();
  });
  while (!published.load()) std::this_thread::yield();
  weft::tasklet victim = consumer;
  const int every = env_count("WEFT_LOST_KILL_EVERY", 1);
  for (int i = 0; i < n; ++i) {
    // A burst of try_send keeps the channel's lock busy right after each kill, so a
    // handoff into the window between a waiter being queued and a pending kill withdrawing
    // it is likely, not rare. Then a plain send, so a preempted lock holder cannot stall us.
    int v = i;
    bool sent = false;
    auto until = std::chrono::steady_clock::now() + 500us;
    while (spin && !sent && std::chrono::steady_clock::now() < until) sent = ch.try_send(v);
    if (!sent) ch.send(v);
    if (i % every == 0) victim.kill(true);
  }
  // Let the last kills land before closing, so the consumer sees channel_closed last.
  std::this_thread::sleep_for(20ms);
  ch.close();
  c.join();
  int lost = 0, dup = 0;
  for (auto& g : got) {
    int k = g.load();
    if (k == 0) ++lost;
    if (k > 1) ++dup;
  }
  EXPECT_EQ(lost, 0) << "lost " << lost << "/" << n << " (kills caught " << kills_caught.load() << ")";
  EXPECT_EQ(dup, 0);
}

TEST(CoreLost, CrossThreadKillNeverLosesARendezvousValue) { producer_consumer_with_kills(0, true); }
TEST(CoreLost, CrossThreadKillNeverLosesABufferedValue) { producer_consumer_with_kills(4, false); }

// Tasklets on two threads take a mutex in turn while the other thread kills them. A lock
// whose ownership was handed over must be returned (RAII) even if the kill came at once.
// Runs `once` in a loop in a tasklet on each of two threads, while each thread's main kills
// the other thread's tasklet again and again, until `kills` kills were caught (or 3 s).
// `once` returns false to stop (a failure it has recorded). Returns the kills caught.
template <class Once>
int kill_each_other(Once once, int kills) {
  std::atomic<int> started{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<int> caught{0};
  std::atomic<int> published{0};
  weft::tasklet workers[2];
  auto body = [&](int side) {
    workers[side] = weft::spawn([&] {
      started.fetch_add(1);
      // A kill before the first run would end the tasklet without running it.
      for (bool waiting = true; waiting;) {
        try {
          while (!go.load()) weft::schedule();
          waiting = false;
        } catch (const weft::tasklet_exit&) {
        }
      }
      while (!stop.load()) {
        try {
          if (!once()) break;
        } catch (const weft::tasklet_exit&) {
          caught.fetch_add(1);
        }
      }
      stop.store(true);
    });
    published.fetch_add(1);
    while (started.load() < 2 || published.load() < 2) weft::schedule();
    go.store(true);
    weft::tasklet other = workers[1 - side];
    auto until = std::chrono::steady_clock::now() + 3s;
    while (!stop.load() && caught.load() < kills && std::chrono::steady_clock::now() < until) {
      other.kill(true);
      weft::schedule();
    }
    stop.store(true);
    weft::run_threadblock();
  };
  std::thread a(body, 0), b(body, 1);
  a.join();
  b.join();
  return caught.load();
}

// A mutex whose ownership was handed over must be given back (RAII) even if the kill came
// at once: else the other side times out, or finds it holds the mutex without knowing.
TEST(CoreLost, CrossThreadKillNeverLosesAMutexHandoff) {
  const int kills = env_count("WEFT_LOST_KILLS", 300);
  weft::mutex m;
  std::atomic<int> lost{0};
  int caught = kill_each_other(
      [&] {
        // Both threads call this one lambda: the counter is per thread.
        thread_local int n = 0;
        if (++n % 8 == 0) weft::schedule();  // lets this thread's main (and revocations) run
        try {
          if (!m.try_lock_for(2s)) {
            lost.fetch_add(1);
            return false;
          }
        } catch (const weft::scheduler_error&) {  // it owns the mutex without knowing
          lost.fetch_add(1);
          return false;
        }
        // No switch point while holding it: the next unlock() hands it to a waiter of the
        // other thread at once, likely while that waiter is still entering its wait.
        std::lock_guard<weft::mutex> g(m, std::adopt_lock);
        return true;
      },
      kills);
  EXPECT_EQ(lost.load(), 0) << "a handed-over mutex was never given back (kills caught " << caught << ")";
  EXPECT_GT(caught, 0);
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(CoreLost, CrossThreadKillNeverLosesASemaphorePermit) {
  const int kills = env_count("WEFT_LOST_KILLS", 300);
  weft::semaphore sem(1);
  std::atomic<int> lost{0};
  int caught = kill_each_other(
      [&] {
        thread_local int n = 0;  // per thread, as above
        if (++n % 8 == 0) weft::schedule();
        if (!sem.try_acquire_for(2s)) {
          lost.fetch_add(1);
          return false;
        }
        sem.release();
        return true;
      },
      kills);
  EXPECT_EQ(lost.load(), 0) << "a handed-over permit was never given back (kills caught " << caught << ")";
  EXPECT_GT(caught, 0);
  EXPECT_EQ(sem.available(), 1);
}

// --- 4. channels and mutexes with static storage duration -------------------------------

// Constructed before the library's own statics and so destroyed after them: the holders
// stay empty except in the child process of the death test below.
std::optional<weft::channel<int>> g_static_channel;
std::optional<weft::channel<int>> g_static_shared;
std::optional<weft::mutex> g_static_mutex;
struct lock_at_exit {
  ~lock_at_exit() {
    if (g_static_mutex) {
      g_static_mutex->lock();
      g_static_mutex->unlock();
    }
  }
} g_lock_at_exit;

TEST(CoreLostDeathTest, StaticChannelAndMutexOutliveTheScheduler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        g_static_channel.emplace(1);
        g_static_mutex.emplace();
        g_static_channel->send(1);  // biased to this thread's scheduler
        g_static_mutex->lock();
        g_static_mutex->unlock();
        // Biased to a thread that has exited; this thread's use makes it shared.
        g_static_shared.emplace(4);
        std::thread([] { g_static_shared->send(1); }).join();
        g_static_shared->send(2);
        std::fflush(nullptr);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// --- 5. destroying a channel a select waits on -----------------------------------------

TEST(CoreLost, DestroyingAChannelWakesASelectReceiveCase) {
  auto ch = std::make_unique<weft::channel<int>>();
  weft::channel<int> other;
  int picked = -2;
  bool empty = false;
  weft::spawn([&] {
    std::optional<int> a, b;
    picked = weft::select(weft::on_receive(*ch, a), weft::on_receive(other, b));
    empty = !a.has_value();
  });
  weft::schedule();
  ch.reset();
  weft::run();
  EXPECT_EQ(picked, 0);
  EXPECT_TRUE(empty);
  EXPECT_EQ(other.balance(), 0);
}

TEST(CoreLost, DestroyingAChannelWakesASelectSendCaseWithChannelClosed) {
  auto ch = std::make_unique<weft::channel<int>>();
  weft::channel<int> other;
  bool closed = false;
  weft::spawn([&] {
    std::optional<int> b;
    try {
      weft::select(weft::on_send(*ch, 5), weft::on_receive(other, b));
    } catch (const weft::channel_closed&) {
      closed = true;
    }
  });
  weft::schedule();
  ch.reset();
  weft::run();
  EXPECT_TRUE(closed);
  EXPECT_EQ(other.balance(), 0);
}

TEST(CoreLost, DestroyingAChannelAfterAnotherCaseWonLeavesTheSelectAlone) {
  auto ch = std::make_unique<weft::channel<int>>();
  weft::channel<int> other;
  other.set_preference(0);  // the sender continues; the select has not resumed yet
  int picked = -2;
  std::optional<int> seen;
  weft::spawn([&] {
    std::optional<int> a, b;
    picked = weft::select(weft::on_receive(*ch, a), weft::on_receive(other, b));
    seen = b;
  });
  weft::schedule();
  other.send(9);
  ch.reset();
  weft::run();
  EXPECT_EQ(picked, 1);
  EXPECT_EQ(seen, std::optional<int>(9));
}

// --- 6. no false deadlock while another thread will still send ---------------------------

// Two threads' main tasklets play ping-pong: each blocks while the other is about to
// answer, so neither may ever be told it is deadlocked.
TEST(CoreLost, PingPongBetweenTwoThreadsIsNeverADeadlock) {
  const int rounds = env_count("WEFT_LOST_ROUNDS", 10000);
  weft::channel<int> ping, pong;
  std::atomic<int> deadlocks{0};
  std::thread b([&] {
    try {
      for (int i = 0; i < rounds; ++i) pong.send(ping.receive() + 1);
    } catch (const weft::deadlock_error&) {
      deadlocks.fetch_add(1);
      ping.close();
      pong.close();
    } catch (const weft::channel_closed&) {
    }
  });
  int last = -1;
  try {
    for (int i = 0; i < rounds; ++i) {
      ping.send(i);
      last = pong.receive();
    }
  } catch (const weft::deadlock_error&) {
    deadlocks.fetch_add(1);
    ping.close();
    pong.close();
  } catch (const weft::channel_closed&) {
  }
  b.join();
  EXPECT_EQ(deadlocks.load(), 0);
  EXPECT_EQ(last, rounds);
}

TEST(CoreLost, MutexSharedByTwoThreadsIsNeverADeadlock) {
  const int rounds = env_count("WEFT_LOST_ROUNDS", 20000);
  weft::mutex m;
  std::atomic<int> deadlocks{0};
  long total = 0;
  weft::channel<int> finished(1);
  auto body = [&] {
    try {
      for (int i = 0; i < rounds; ++i) {
        std::lock_guard<weft::mutex> g(m);
        ++total;
        if (i % 16 == 0) weft::schedule();
      }
    } catch (const weft::deadlock_error&) {
      deadlocks.fetch_add(1);
    }
  };
  std::thread b([&] {
    body();
    finished.send(1);
  });
  body();
  // Wait through weft, not in join(): a bias revocation needs this thread at a switch point.
  try {
    finished.receive();
  } catch (const weft::deadlock_error&) {
    deadlocks.fetch_add(1);
  }
  b.join();
  EXPECT_EQ(deadlocks.load(), 0);
  EXPECT_EQ(total, 2L * rounds);
}

// --- 7. descriptors epoll cannot watch ---------------------------------------------------

TEST(CoreLost, WaitOnARegularFileCompletesAtOnce) {
  char path[] = "/tmp/weft_lost_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  using weft::detail::io_event;
  using weft::detail::io_status;
  auto soon = std::chrono::steady_clock::now() + 2s;
  EXPECT_EQ(weft::detail::wait_io(fd, io_event::readable, soon), io_status::ready);
  EXPECT_EQ(weft::detail::wait_io(fd, io_event::readable, soon), io_status::ready);
  EXPECT_EQ(weft::detail::wait_io(fd, io_event::writable, soon), io_status::ready);
  weft::detail::io_closing(fd);
  ::close(fd);
}

// --- 10. kill from another thread --------------------------------------------------------

// Kills tasklets of another thread while they finish: the kill must not race the
// tasklet's own state (ThreadSanitizer checks this; here it must simply never misbehave).
TEST(CoreLost, KillFromAnotherThreadWhileTheTaskletFinishes) {
  const int n = env_count("WEFT_LOST_ROUNDS", 20000) / 4;
  weft::channel<weft::tasklet> handles(64);
  std::atomic<int> ran{0};
  std::thread a([&] {
    for (int i = 0; i < n; ++i) {
      handles.send(weft::spawn([&] { ran.fetch_add(1); }));
      if (i % 8 == 0) weft::schedule();
    }
    handles.close();
    weft::run();
  });
  int killed = 0;
  for (weft::tasklet t : handles) {
    t.kill();
    ++killed;
  }
  a.join();
  EXPECT_EQ(killed, n);
  EXPECT_LE(ran.load(), n);
}

}  // namespace
