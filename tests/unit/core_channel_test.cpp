// channel<T>: rendezvous and buffered channels, the preference table, schedule_all,
// exceptions through channels, close/open, iteration, timeouts and move-only values.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

using log_t = std::vector<std::string>;
using namespace std::chrono_literals;

// --- the preference table --------------------------------------------------------------------
//
// Send to a waiting receiver: R blocks receiving first, then S sends while X is runnable.
using configure_t = std::function<void(weft::channel<int>&)>;

log_t send_to_waiting_receiver(const configure_t& configure) {
  log_t log;
  weft::channel<int> ch;
  configure(ch);
  weft::spawn([&] {
    log.push_back("R recv");
    int v = ch.receive();
    log.push_back("R got " + std::to_string(v));
  });
  weft::spawn([&] {
    log.push_back("S send");
    ch.send(1);
    log.push_back("S after");
  });
  weft::spawn([&] { log.push_back("X"); });
  weft::run();
  return log;
}

// Receive from a waiting sender: S blocks sending first, then R receives while X is runnable.
log_t receive_from_waiting_sender(const configure_t& configure) {
  log_t log;
  weft::channel<int> ch;
  configure(ch);
  weft::spawn([&] {
    log.push_back("S send");
    ch.send(1);
    log.push_back("S after");
  });
  weft::spawn([&] {
    log.push_back("R recv");
    int v = ch.receive();
    log.push_back("R got " + std::to_string(v));
  });
  weft::spawn([&] { log.push_back("X"); });
  weft::run();
  return log;
}

configure_t both(int preference, bool schedule_all) {
  return [=](weft::channel<int>& ch) {
    ch.set_preference(preference);
    ch.set_schedule_all(schedule_all);
  };
}
log_t send_to_waiting_receiver(int preference, bool schedule_all) {
  return send_to_waiting_receiver(both(preference, schedule_all));
}
log_t receive_from_waiting_sender(int preference, bool schedule_all) {
  return receive_from_waiting_sender(both(preference, schedule_all));
}

TEST(CoreChannel, DefaultPreferenceIsMinusOne) {
  weft::channel<int> ch;
  EXPECT_EQ(ch.preference(), -1);
  EXPECT_FALSE(ch.schedule_all());
  ch.set_preference(5);
  EXPECT_EQ(ch.preference(), 1);
  ch.set_preference(-7);
  EXPECT_EQ(ch.preference(), -1);
  ch.set_preference(0);
  EXPECT_EQ(ch.preference(), 0);
}

TEST(CoreChannel, PreferenceMinusOneSendSwitchesToReceiver) {
  EXPECT_EQ(send_to_waiting_receiver(-1, false),
            (log_t{"R recv", "S send", "R got 1", "X", "S after"}));
}
TEST(CoreChannel, PreferencePlusOneSendContinuesSender) {
  EXPECT_EQ(send_to_waiting_receiver(1, false),
            (log_t{"R recv", "S send", "S after", "X", "R got 1"}));
}
TEST(CoreChannel, PreferenceZeroSendContinuesSender) {
  EXPECT_EQ(send_to_waiting_receiver(0, false),
            (log_t{"R recv", "S send", "S after", "X", "R got 1"}));
}
TEST(CoreChannel, ScheduleAllSendAppendsReceiverAndYields) {
  for (int pref : {-1, 0, 1})
    EXPECT_EQ(send_to_waiting_receiver(pref, true),
              (log_t{"R recv", "S send", "X", "R got 1", "S after"}))
        << "preference " << pref;
}
TEST(CoreChannel, PreferenceMinusOneReceiveContinuesReceiver) {
  EXPECT_EQ(receive_from_waiting_sender(-1, false),
            (log_t{"S send", "R recv", "R got 1", "X", "S after"}));
}
TEST(CoreChannel, PreferencePlusOneReceiveSwitchesToSender) {
  EXPECT_EQ(receive_from_waiting_sender(1, false),
            (log_t{"S send", "R recv", "S after", "X", "R got 1"}));
}
TEST(CoreChannel, PreferenceZeroReceiveContinuesReceiver) {
  EXPECT_EQ(receive_from_waiting_sender(0, false),
            (log_t{"S send", "R recv", "R got 1", "X", "S after"}));
}
TEST(CoreChannel, ScheduleAllReceiveAppendsSenderAndYields) {
  for (int pref : {-1, 0, 1})
    EXPECT_EQ(receive_from_waiting_sender(pref, true),
              (log_t{"S send", "R recv", "X", "S after", "R got 1"}))
        << "preference " << pref;
}

// Each setter alone decides who runs next, whatever was set before, in either order.
TEST(CoreChannel, EachSetterAloneTakesEffect) {
  for (int pref : {-1, 0, 1}) {
    auto preference_only = [=](weft::channel<int>& ch) { ch.set_preference(pref); };
    EXPECT_EQ(send_to_waiting_receiver(preference_only), send_to_waiting_receiver(pref, false))
        << "preference " << pref;
    EXPECT_EQ(receive_from_waiting_sender(preference_only), receive_from_waiting_sender(pref, false))
        << "preference " << pref;
    auto all_then_preference = [=](weft::channel<int>& ch) {
      ch.set_schedule_all(true);
      ch.set_preference(pref);
    };
    EXPECT_EQ(send_to_waiting_receiver(all_then_preference), send_to_waiting_receiver(pref, true))
        << "preference " << pref;
    auto all_on_then_off = [=](weft::channel<int>& ch) {
      ch.set_preference(pref);
      ch.set_schedule_all(true);
      ch.set_schedule_all(false);
    };
    EXPECT_EQ(receive_from_waiting_sender(all_on_then_off), receive_from_waiting_sender(pref, false))
        << "preference " << pref;
  }
}

TEST(CoreChannel, MainSendSwitchesToReceiverWithDefaultPreference) {
  log_t log;
  weft::channel<int> ch;
  weft::spawn([&] { log.push_back("got " + std::to_string(ch.receive())); });
  weft::run();
  log.push_back("main send");
  ch.send(9);
  log.push_back("main after");
  EXPECT_EQ(log, (log_t{"main send", "got 9", "main after"}));
}

// --- basic rendezvous ----------------------------------------------------------------------

TEST(CoreChannel, BalanceAndQueue) {
  weft::channel<int> ch;
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(static_cast<bool>(ch.queue()));
  weft::tasklet s1 = weft::spawn([&] { ch.send(1); });
  weft::tasklet s2 = weft::spawn([&] { ch.send(2); });
  weft::run();
  EXPECT_EQ(ch.balance(), 2);
  EXPECT_EQ(ch.queue(), s1);
  EXPECT_EQ(s1.blocked(), 1);
  EXPECT_EQ(ch.receive(), 1);  // FIFO
  EXPECT_EQ(ch.queue(), s2);
  EXPECT_EQ(ch.receive(), 2);
  EXPECT_EQ(ch.balance(), 0);
  weft::run();

  weft::tasklet r1 = weft::spawn([&] { ch.receive(); });
  weft::tasklet r2 = weft::spawn([&] { ch.receive(); });
  weft::tasklet r3 = weft::spawn([&] { ch.receive(); });
  weft::run();
  EXPECT_EQ(ch.balance(), -3);
  EXPECT_EQ(ch.queue(), r1);
  EXPECT_EQ(r1.blocked(), -1);
  ch.send(0);
  EXPECT_EQ(ch.queue(), r2);
  r2.kill();
  EXPECT_EQ(ch.balance(), -1);
  EXPECT_EQ(ch.queue(), r3);
  ch.send(0);
  weft::run();
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreChannel, ReceiversAreServedInFifoOrder) {
  log_t log;
  weft::channel<int> ch;
  for (const char* n : {"a", "b", "c"})
    weft::spawn([&, n] { log.push_back(std::string(n) + std::to_string(ch.receive())); });
  weft::run();
  ch.send(1);
  ch.send(2);
  ch.send(3);
  weft::run();
  EXPECT_EQ(log, (log_t{"a1", "b2", "c3"}));
}

TEST(CoreChannel, SendExceptionIsRethrownByReceiver) {
  weft::channel<int> ch;
  std::string caught;
  weft::tasklet r = weft::spawn([&] {
    try {
      ch.receive();
    } catch (const std::out_of_range& e) {
      caught = e.what();
    }
  });
  weft::run();
  ch.send_exception<std::out_of_range>("range!");
  weft::run();
  EXPECT_EQ(caught, "range!");
  EXPECT_FALSE(r.alive());

  // The exception_ptr form, with the sender blocking first.
  weft::spawn([&] { ch.send_exception(std::make_exception_ptr(std::runtime_error("rt"))); });
  weft::run();
  EXPECT_EQ(ch.balance(), 1);
  try {
    ch.receive();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "rt");
  }
  weft::run();
}

TEST(CoreChannel, SendSequenceReturnsCount) {
  weft::channel<int> ch;
  std::vector<int> got;
  weft::spawn([&] {
    for (int i = 0; i < 4; ++i) got.push_back(ch.receive());
  });
  std::size_t n = ch.send_sequence(std::vector<int>{5, 6, 7, 8});
  EXPECT_EQ(n, 4u);
  weft::run();
  EXPECT_EQ(got, (std::vector<int>{5, 6, 7, 8}));
}

TEST(CoreChannel, RangeForEndsAtClose) {
  weft::channel<int> ch;
  std::vector<int> got;
  bool ended = false;
  weft::spawn([&] {
    for (int v : ch) got.push_back(v);
    ended = true;
  });
  weft::spawn([&] {
    ch.send_sequence(std::vector<int>{1, 2, 3});
    ch.close();
  });
  weft::run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(ended);
  EXPECT_TRUE(ch.closed());
}

TEST(CoreChannel, CloseWakesBlockedReceiversWithChannelClosed) {
  weft::channel<int> ch;
  log_t log;
  for (const char* n : {"a", "b"})
    weft::spawn([&, n] {
      try {
        ch.receive();
        log.push_back(std::string(n) + " received");
      } catch (const weft::channel_closed&) {
        log.push_back(std::string(n) + " closed");
      }
    });
  weft::run();
  EXPECT_EQ(ch.balance(), -2);
  EXPECT_FALSE(ch.closing());
  ch.close();
  EXPECT_TRUE(ch.closing());
  EXPECT_TRUE(ch.closed());
  EXPECT_EQ(ch.balance(), 0);
  weft::run();
  EXPECT_EQ(log, (log_t{"a closed", "b closed"}));
}

TEST(CoreChannel, CloseWithBlockedSendersDrainsThenCloses) {
  weft::channel<int> ch;
  log_t log;
  weft::spawn([&] {
    ch.send(1);
    log.push_back("s1 done");
  });
  weft::spawn([&] {
    ch.send(2);
    log.push_back("s2 done");
  });
  weft::run();
  ch.close();
  EXPECT_TRUE(ch.closing());
  EXPECT_FALSE(ch.closed());  // two senders still hold values
  EXPECT_THROW(ch.send(3), weft::channel_closed);
  int a = 0, b = 0;
  ch.set_preference(0);
  a = ch.receive();
  EXPECT_FALSE(ch.closed());
  b = ch.receive();
  EXPECT_TRUE(ch.closed());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_THROW(ch.receive(), weft::channel_closed);
  EXPECT_THROW(ch.try_receive(), weft::channel_closed);
  weft::run();
  EXPECT_EQ(log, (log_t{"s1 done", "s2 done"}));
}

TEST(CoreChannel, OpenReopensAClosedChannel) {
  weft::channel<int> ch(1);
  ch.close();
  EXPECT_TRUE(ch.closed());
  EXPECT_THROW(ch.send(1), weft::channel_closed);
  int v = 1;
  EXPECT_THROW(ch.try_send(v), weft::channel_closed);
  ch.open();
  EXPECT_FALSE(ch.closing());
  EXPECT_FALSE(ch.closed());
  ch.send(4);
  EXPECT_EQ(ch.receive(), 4);
}

TEST(CoreChannel, BufferedSendDoesNotBlockUntilFull) {
  weft::channel<int> ch(3);
  EXPECT_EQ(ch.capacity(), 3u);
  ch.send(1);
  ch.send(2);
  ch.send(3);  // main alone: would deadlock if any of these blocked
  EXPECT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch.balance(), 0);
  log_t log;
  weft::tasklet s = weft::spawn([&] {
    ch.send(4);
    log.push_back("4 sent");
  });
  weft::run();
  EXPECT_EQ(s.blocked(), 1);
  EXPECT_EQ(ch.balance(), 1);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_EQ(ch.size(), 3u);  // the blocked sender's value moved into the buffer
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_EQ(ch.receive(), 2);
  EXPECT_EQ(ch.receive(), 3);
  EXPECT_EQ(ch.receive(), 4);
  EXPECT_EQ(ch.size(), 0u);
  weft::run();
  EXPECT_EQ(log, (log_t{"4 sent"}));
}

TEST(CoreChannel, BufferedReceiverBlocksOnEmpty) {
  weft::channel<std::string> ch(2);
  std::vector<std::string> got;
  weft::spawn([&] {
    for (int i = 0; i < 3; ++i) got.push_back(ch.receive());
  });
  weft::run();
  EXPECT_EQ(ch.balance(), -1);
  ch.send("a");
  ch.send("b");
  ch.send("c");
  weft::run();
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(CoreChannel, BufferedCloseDrainsBufferFirst) {
  weft::channel<int> ch(4);
  ch.send(1);
  ch.send(2);
  ch.close();
  EXPECT_TRUE(ch.closing());
  EXPECT_FALSE(ch.closed());
  std::vector<int> got;
  for (int v : ch) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  EXPECT_TRUE(ch.closed());
}

TEST(CoreChannel, TrySendTryReceive) {
  weft::channel<int> ch;
  int v = 5;
  EXPECT_FALSE(ch.try_send(v));  // nobody waiting
  EXPECT_EQ(v, 5);               // value is left with the caller
  EXPECT_FALSE(ch.try_receive().has_value());

  int got = 0;
  weft::spawn([&] { got = ch.receive(); });
  weft::run();
  EXPECT_TRUE(ch.try_send(v));
  weft::run();
  EXPECT_EQ(got, 5);

  weft::spawn([&] { ch.send(8); });
  weft::run();
  auto r = ch.try_receive();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 8);
  weft::run();

  weft::channel<int> buf(1);
  int x = 1, y = 2;
  EXPECT_TRUE(buf.try_send(x));
  EXPECT_FALSE(buf.try_send(y));
  EXPECT_EQ(y, 2);
  EXPECT_EQ(buf.try_receive(), std::optional<int>(1));
  EXPECT_EQ(buf.try_receive(), std::nullopt);
}

TEST(CoreChannel, ReceiveForTimesOut) {
  weft::channel<int> ch;
  auto t0 = std::chrono::steady_clock::now();
  try {
    ch.receive_for(20ms);
    ADD_FAILURE() << "no timeout";
  } catch (const weft::timeout_error& e) {
    EXPECT_EQ(e.code(), std::make_error_code(std::errc::timed_out));
  }
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 20ms);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(ch.balance(), 0);  // the timed-out waiter is gone
}

TEST(CoreChannel, SendForTimesOutAndValueIsNotDelivered) {
  weft::channel<int> ch;
  EXPECT_THROW(ch.send_for(1, 20ms), weft::timeout_error);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(ch.try_receive().has_value());
}

TEST(CoreChannel, ReceiveForSucceedsBeforeTimeout) {
  weft::channel<int> ch;
  weft::spawn([&] { ch.send(3); });
  EXPECT_EQ(ch.receive_for(1s), 3);
  int got = 0;
  weft::spawn([&] { got = ch.receive_for(1s); });
  weft::schedule();  // it blocks (run() would wait for its deadline)
  ch.send_for(4, 1s);
  weft::run();
  EXPECT_EQ(got, 4);
}

TEST(CoreChannel, MoveOnlyValuesUnbuffered) {
  weft::channel<std::unique_ptr<int>> ch;
  std::vector<int> got;
  weft::spawn([&] {
    for (int i = 0; i < 3; ++i) got.push_back(*ch.receive());
  });
  ch.send(std::make_unique<int>(1));
  weft::spawn([&] { ch.send(std::make_unique<int>(2)); });
  weft::run();  // the sender blocks until the receiver comes
  auto p = std::make_unique<int>(3);
  EXPECT_TRUE(ch.try_send(p));
  EXPECT_EQ(p, nullptr);
  weft::run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(CoreChannel, MoveOnlyValuesBuffered) {
  weft::channel<std::unique_ptr<int>> ch(2);
  ch.send(std::make_unique<int>(10));
  auto p = std::make_unique<int>(11);
  EXPECT_TRUE(ch.try_send(p));
  auto q = std::make_unique<int>(12);
  EXPECT_FALSE(ch.try_send(q));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, 12);
  weft::spawn([&] { ch.send(std::move(q)); });
  weft::run();
  EXPECT_EQ(*ch.receive(), 10);
  EXPECT_EQ(*ch.receive(), 11);
  EXPECT_EQ(*ch.receive(), 12);
  weft::run();
}

TEST(CoreChannel, DestroyingChannelWakesBlockedTaskletsWithChannelClosed) {
  log_t log;
  auto ch = std::make_unique<weft::channel<int>>();
  auto* raw = ch.get();
  weft::spawn([&log, raw] {
    try {
      raw->receive();
    } catch (const weft::channel_closed&) {
      log.push_back("receiver closed");
    }
  });
  weft::run();
  auto out = std::make_unique<weft::channel<int>>();
  auto* raw_out = out.get();
  weft::spawn([&log, raw_out] {
    try {
      raw_out->send(1);
    } catch (const weft::channel_closed&) {
      log.push_back("sender closed");
    }
  });
  weft::run();
  ch.reset();
  out.reset();
  weft::run();
  EXPECT_EQ(log, (log_t{"receiver closed", "sender closed"}));
  EXPECT_EQ(weft::tasklet_count(), 1u);
}

TEST(CoreChannel, SendOnClosingChannelThrows) {
  weft::channel<int> ch;
  ch.close();
  EXPECT_THROW(ch.send(1), weft::channel_closed);
  EXPECT_THROW(ch.send_for(1, 10ms), weft::channel_closed);
  EXPECT_THROW(ch.receive(), weft::channel_closed);
  EXPECT_THROW(ch.receive_for(10ms), weft::channel_closed);
}

TEST(CoreChannel, KilledSenderDoesNotDeliver) {
  weft::channel<int> ch;
  weft::tasklet s = weft::spawn([&] { ch.send(1); });
  weft::run();
  s.kill();
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(ch.try_receive().has_value());
}

TEST(CoreChannel, PingPongManyRounds) {
  weft::channel<int> a, b;
  int last = 0;
  weft::spawn([&] {
    for (int i = 0; i < 1000; ++i) b.send(a.receive() + 1);
  });
  weft::spawn([&] {
    int v = 0;
    for (int i = 0; i < 1000; ++i) {
      a.send(v);
      v = b.receive();
    }
    last = v;
  });
  weft::run();
  EXPECT_EQ(last, 1000);
}

}  // namespace

TEST(CoreChannel, KillAfterHandoffKeepsTheReceivedValue) {
  // With preference 0 the receiver is only appended when the value is handed over; a kill
  // that comes before it runs must not lose the value: receive() returns it, and the kill
  // lands at the receiver's next switch point.
  weft::channel<int> ch;
  ch.set_preference(0);
  std::vector<int> got;
  weft::tasklet receiver = weft::spawn([&] {
    got.push_back(ch.receive());
    weft::schedule();  // the kill lands here
    got.push_back(-1);
  });
  weft::schedule();  // the receiver blocks
  ch.send(42);       // handed over; the receiver is appended, the sender continues
  receiver.kill(true);
  weft::run();
  EXPECT_EQ(got, (std::vector<int>{42}));
  EXPECT_FALSE(receiver.alive());
}
