// Dense tasklets share one stack whose shadow memory (ASan) outlives the frames copied off
// it. These tests switch dense tasklets in and out at very different depths, around sleeps
// and socket I/O, so that a tasklet's frames land where another one's redzones were: under
// ASan any stale poison shows up as a false stack-buffer-overflow. They run in every build;
// the ASan build also runs them compiled at -O1 (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "net_test.hpp"
#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace {

using namespace std::chrono_literals;

constexpr weft::spawn_options dense{.stack = weft::stack_kind::dense};

// Recurses `depth` frames, each with a local array that ASan surrounds with redzones, runs
// `at_bottom` there, then checks every frame's array on the way back. Returns the number of
// bad bytes.
[[gnu::noinline]] int descend(int depth, int seed, const std::function<void()>& at_bottom) {
  char pad[160];
  std::memset(pad, seed + depth, sizeof pad);
  int bad = 0;
  if (depth == 0) {
    at_bottom();
  } else {
    bad += descend(depth - 1, seed, at_bottom);
  }
  for (char c : pad)
    if (c != static_cast<char>(seed + depth)) ++bad;
  return bad;
}

// Work after a wake-up that uses fresh stack below the caller: library code (clock, string
// formatting) whose buffers the sanitizer's interceptors check.
[[gnu::noinline]] std::size_t after_wake(int i) {
  char note[96];
  auto now = std::chrono::steady_clock::now();
  std::string s = "tasklet " + std::to_string(i) + " at " +
                  std::to_string(now.time_since_epoch().count());
  std::memcpy(note, s.data(), std::min(s.size(), sizeof note));
  return s.size() + static_cast<unsigned char>(note[0]);
}

TEST(CoreDenseStack, SleepingAtVaryingDepthsKeepsFramesIntact) {
  constexpr int n = 40, rounds = 4;
  int bad = 0, finished = 0;
  std::size_t sink = 0;
  for (int i = 0; i < n; ++i)
    weft::spawn(dense, [&, i] {
      for (int r = 0; r < rounds; ++r) {
        int depth = (i * 13 + r * 7) % 24;
        bad += descend(depth, i, [&] {
          weft::sleep_for(std::chrono::microseconds(100 * ((i + r) % 5)));
          sink += after_wake(i);
        });
        sink += after_wake(-i);
      }
      ++finished;
    });
  weft::run();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(finished, n);
  EXPECT_GT(sink, 0u);
}

TEST(CoreDenseStack, SocketIoAtVaryingDepthsKeepsFramesIntact) {
  constexpr int pairs = 12, rounds = 6;
  int bad = 0, received = 0;
  std::vector<std::pair<weft::net::socket, weft::net::socket>> socks;
  for (int p = 0; p < pairs; ++p) socks.push_back(net_test::tcp_pair());
  for (int p = 0; p < pairs; ++p) {
    weft::spawn(dense, [&, p] {
      for (int r = 0; r < rounds; ++r)
        bad += descend((p * 5 + r * 11) % 20, p, [&] {
          weft::sleep_for(std::chrono::microseconds(50 * (r % 3)));
          std::string msg = "round " + std::to_string(r) + " pair " + std::to_string(p) + ";";
          socks[p].first.sendall(msg);
        });
    });
    weft::spawn(dense, [&, p] {
      std::string got;
      std::string want;
      for (int r = 0; r < rounds; ++r) want += "round " + std::to_string(r) + " pair " + std::to_string(p) + ";";
      while (got.size() < want.size())
        bad += descend((p * 3 + static_cast<int>(got.size())) % 22, p + 100, [&] {
          got += socks[p].second.recv(64);
          (void)after_wake(p);
        });
      if (got == want) ++received;
    });
  }
  weft::run();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(received, pairs);
}

TEST(CoreDenseStack, DyingAtDepthThenFreshTaskletsOnTheSameStack) {
  // A dense tasklet that finishes leaves its last frames' shadow behind; fresh tasklets laid
  // out at the top of the shared stack and guarded ones in between must not trip over it.
  int bad = 0, done = 0, sum = 0;
  weft::channel<int> ch;
  for (int i = 0; i < 60; ++i) {
    weft::spawn(dense, [&, i] {
      bad += descend(i % 25, i, [&] {
        if (i % 3 == 0) weft::sleep_for(200us);
        weft::schedule();
      });
      ++done;
    });
    weft::spawn(i % 2 ? dense : weft::spawn_options{}, [&, i] {
      ch.send(i);
      bad += descend((i * 7) % 25, i + 1, [] { weft::schedule(); });
    });
    weft::spawn(dense, [&, i] {
      sum += ch.receive();
      (void)after_wake(i);
    });
  }
  weft::run();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(done, 60);
  EXPECT_EQ(sum, 59 * 60 / 2);
}

}  // namespace
