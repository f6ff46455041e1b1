// select, try_select and select_for over channel cases.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/select.hpp"
#include "weft/tasklet.hpp"

namespace {

using namespace std::chrono_literals;
using log_t = std::vector<std::string>;

TEST(CoreSelect, ReadyReceiveCaseIsPicked) {
  weft::channel<int> a, b(1);
  b.send(7);
  std::optional<int> ga, gb;
  EXPECT_EQ(weft::select(weft::on_receive(a, ga), weft::on_receive(b, gb)), 1);
  EXPECT_FALSE(ga.has_value());
  ASSERT_TRUE(gb.has_value());
  EXPECT_EQ(*gb, 7);
}

TEST(CoreSelect, FirstReadyCaseWinsWhenSeveralAre) {
  weft::channel<int> a(1), b(1);
  a.send(1);
  b.send(2);
  std::optional<int> ga, gb;
  EXPECT_EQ(weft::select(weft::on_receive(a, ga), weft::on_receive(b, gb)), 0);
  EXPECT_EQ(ga, std::optional<int>(1));
  EXPECT_FALSE(gb.has_value());
  EXPECT_EQ(b.size(), 1u);
}

TEST(CoreSelect, ReadySendCaseIsPicked) {
  weft::channel<int> full(1), room(1);
  full.send(0);
  EXPECT_EQ(weft::select(weft::on_send(full, 1), weft::on_send(room, 2)), 1);
  EXPECT_EQ(room.receive(), 2);
  EXPECT_EQ(full.receive(), 0);
  EXPECT_EQ(full.size(), 0u);
}

TEST(CoreSelect, SendCaseToWaitingReceiver) {
  weft::channel<int> ch;
  int got = 0;
  weft::spawn([&] { got = ch.receive(); });
  weft::run();
  weft::channel<int> other;
  EXPECT_EQ(weft::select(weft::on_send(other, 1), weft::on_send(ch, 5)), 1);
  weft::run();
  EXPECT_EQ(got, 5);
  EXPECT_EQ(other.balance(), 0);
}

TEST(CoreSelect, BlockingSelectIsWokenByLaterSend) {
  weft::channel<int> a, b;
  std::optional<int> ga, gb;
  int which = -2;
  weft::tasklet t = weft::spawn([&] { which = weft::select(weft::on_receive(a, ga), weft::on_receive(b, gb)); });
  weft::run();
  EXPECT_EQ(which, -2);
  EXPECT_EQ(a.balance(), -1);
  EXPECT_EQ(b.balance(), -1);
  EXPECT_EQ(t.waiting_on(), "select");
  b.send(42);
  weft::run();
  EXPECT_EQ(which, 1);
  EXPECT_EQ(gb, std::optional<int>(42));
  EXPECT_FALSE(ga.has_value());
  EXPECT_EQ(a.balance(), 0);  // the losing case was withdrawn
  EXPECT_EQ(b.balance(), 0);
  EXPECT_FALSE(t.alive());
  int v = 1;
  EXPECT_FALSE(a.try_send(v));  // nobody left on a
}

TEST(CoreSelect, BlockingSendSelectIsWokenByLaterReceive) {
  weft::channel<std::string> a, b;
  int which = -2;
  weft::spawn([&] { which = weft::select(weft::on_send(a, "to a"), weft::on_send(b, "to b")); });
  weft::run();
  EXPECT_EQ(a.balance(), 1);
  EXPECT_EQ(b.balance(), 1);
  EXPECT_EQ(a.receive(), "to a");
  weft::run();
  EXPECT_EQ(which, 0);
  EXPECT_EQ(b.balance(), 0);
  EXPECT_FALSE(b.try_receive().has_value());
}

TEST(CoreSelect, TwoSelectsCompeteForOneSend) {
  weft::channel<int> ch;
  std::optional<int> g1, g2;
  int w1 = -2, w2 = -2;
  weft::spawn([&] { w1 = weft::select_for(200ms, weft::on_receive(ch, g1)); });
  weft::spawn([&] { w2 = weft::select_for(200ms, weft::on_receive(ch, g2)); });
  weft::schedule();  // both run and block; main is still runnable and resumes
  EXPECT_EQ(ch.balance(), -2);
  ch.send(3);
  weft::run();
  EXPECT_EQ(w1, 0);
  EXPECT_EQ(g1, std::optional<int>(3));
  EXPECT_EQ(w2, -1);
  EXPECT_FALSE(g2.has_value());
  EXPECT_EQ(ch.balance(), 0);
}

TEST(CoreSelect, TrySelectDefaultReturnsMinusOne) {
  weft::channel<int> a, b;
  std::optional<int> ga;
  EXPECT_EQ(weft::try_select(weft::on_receive(a, ga), weft::on_send(b, 1)), -1);
  EXPECT_EQ(a.balance(), 0);
  EXPECT_EQ(b.balance(), 0);
  EXPECT_FALSE(ga.has_value());
  weft::channel<int> c(1);
  EXPECT_EQ(weft::try_select(weft::on_receive(a, ga), weft::on_send(c, 4)), 1);
  EXPECT_EQ(c.receive(), 4);
}

TEST(CoreSelect, SelectForTimesOut) {
  weft::channel<int> a;
  std::optional<int> ga;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(weft::select_for(20ms, weft::on_receive(a, ga)), -1);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 20ms);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(a.balance(), 0);
  EXPECT_FALSE(ga.has_value());
}

TEST(CoreSelect, SelectForSucceedsBeforeTimeout) {
  weft::channel<int> a;
  std::optional<int> ga;
  weft::spawn([&] { a.send(8); });
  EXPECT_EQ(weft::select_for(1s, weft::on_receive(a, ga)), 0);
  EXPECT_EQ(ga, std::optional<int>(8));
  weft::run();
}

TEST(CoreSelect, ReceiveFromClosedChannelGivesEmpty) {
  weft::channel<int> a, closed;
  closed.close();
  std::optional<int> ga, gc = 99;
  EXPECT_EQ(weft::select(weft::on_receive(a, ga), weft::on_receive(closed, gc)), 1);
  EXPECT_FALSE(gc.has_value());
  EXPECT_EQ(a.balance(), 0);
}

TEST(CoreSelect, BlockedSelectWokenByCloseGivesEmpty) {
  weft::channel<int> a;
  std::optional<int> ga = 5;
  int which = -2;
  weft::spawn([&] { which = weft::select(weft::on_receive(a, ga)); });
  weft::run();
  a.close();
  weft::run();
  EXPECT_EQ(which, 0);
  EXPECT_FALSE(ga.has_value());
}

TEST(CoreSelect, SendCaseOnClosedChannelThrows) {
  weft::channel<int> a;
  a.close();
  EXPECT_THROW(weft::select(weft::on_send(a, 1)), weft::channel_closed);
}

TEST(CoreSelect, SendExceptionReachesSelectReceiver) {
  weft::channel<int> a;
  std::optional<int> ga;
  std::string caught;
  weft::spawn([&] {
    try {
      weft::select(weft::on_receive(a, ga));
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  weft::run();
  a.send_exception<std::runtime_error>("via select");
  weft::run();
  EXPECT_EQ(caught, "via select");
}

TEST(CoreSelect, KillOfTaskletBlockedInSelectLeavesNoWaiter) {
  weft::channel<int> a, b;
  std::optional<int> ga;
  bool returned = false;
  weft::tasklet t = weft::spawn([&] {
    weft::select(weft::on_receive(a, ga), weft::on_send(b, 1));
    returned = true;
  });
  weft::run();
  EXPECT_EQ(a.balance(), -1);
  EXPECT_EQ(b.balance(), 1);
  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(returned);
  EXPECT_EQ(a.balance(), 0);
  EXPECT_EQ(b.balance(), 0);
  int v = 3;
  EXPECT_FALSE(a.try_send(v));
  EXPECT_FALSE(b.try_receive().has_value());
}

TEST(CoreSelect, MoveOnlyValuesThroughSelect) {
  weft::channel<std::unique_ptr<int>> ch;
  std::optional<std::unique_ptr<int>> got;
  weft::spawn([&] { weft::select(weft::on_receive(ch, got)); });
  weft::run();
  EXPECT_EQ(weft::select(weft::on_send(ch, std::make_unique<int>(6))), 0);
  weft::run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, 6);
}

TEST(CoreSelect, SelectInLoopServesBothChannels) {
  weft::channel<int> nums;
  weft::channel<std::string> words;
  log_t log;
  weft::spawn([&] {
    for (int i = 0; i < 3; ++i) nums.send(i);
    nums.close();
  });
  weft::spawn([&] {
    for (const char* w : {"x", "y"}) words.send(w);
    words.close();
  });
  bool nums_open = true, words_open = true;
  while (nums_open || words_open) {
    std::optional<int> n;
    std::optional<std::string> w;
    // A closed channel's case is always ready, so select over the open ones only.
    if (nums_open && words_open) {
      int i = weft::select(weft::on_receive(nums, n), weft::on_receive(words, w));
      if (i == 0) { if (n) log.push_back(std::to_string(*n)); else nums_open = false; }
      if (i == 1) { if (w) log.push_back(*w); else words_open = false; }
    } else if (nums_open) {
      weft::select(weft::on_receive(nums, n));
      if (n) log.push_back(std::to_string(*n)); else nums_open = false;
    } else {
      weft::select(weft::on_receive(words, w));
      if (w) log.push_back(*w); else words_open = false;
    }
  }
  weft::run();
  std::vector<std::string> ns, ws;
  for (auto& s : log) (s == "x" || s == "y" ? ws : ns).push_back(s);
  EXPECT_EQ(ns, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(ws, (std::vector<std::string>{"x", "y"}));
}

}  // namespace
