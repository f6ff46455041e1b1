// select over channels and socket readiness together.
#include <gtest/gtest.h>
#include <weft/net/net.hpp>
#include <weft/weft.hpp>

#include <string>

namespace net = weft::net;
using namespace std::chrono_literals;

TEST(NetSelect, SocketReadinessWinsOverAnIdleChannel) {
  auto sockets = net::socket::pair();
  net::socket& a = sockets.first;
  net::socket& b = sockets.second;
  weft::channel<int> ch;
  std::optional<int> got;
  int picked = -2;
  weft::spawn([&] {
    picked = weft::select(weft::on_receive(ch, got), weft::on_readable(a.native_handle()));
  });
  weft::spawn([&] {
    weft::sleep_for(10ms);
    b.sendall(std::string("x"));
  });
  weft::run();
  EXPECT_EQ(picked, 1);
  EXPECT_EQ(a.recv(16), "x");
  EXPECT_EQ(ch.balance(), 0);  // the channel case was withdrawn
}

TEST(NetSelect, ChannelWinsWhileTheSocketStaysQuiet) {
  auto sockets = net::socket::pair();
  net::socket& a = sockets.first;
  net::socket& b = sockets.second;
  weft::channel<int> ch;
  std::optional<int> got;
  int picked = -2;
  weft::spawn([&] {
    picked = weft::select(weft::on_readable(a.native_handle()), weft::on_receive(ch, got));
  });
  weft::spawn([&] { ch.send(5); });
  weft::run();
  EXPECT_EQ(picked, 1);
  EXPECT_EQ(got, 5);
  // The readiness wait was withdrawn: data arriving now wakes nobody and is still readable.
  b.sendall(std::string("later"));
  EXPECT_EQ(a.recv(16), "later");
}

TEST(NetSelect, ReadyAtOnceAndTimeout) {
  auto sockets = net::socket::pair();
  net::socket& a = sockets.first;
  net::socket& b = sockets.second;
  EXPECT_EQ(weft::try_select(weft::on_readable(a.native_handle())), -1);
  EXPECT_EQ(weft::select_for(20ms, weft::on_readable(a.native_handle())), -1);
  EXPECT_EQ(weft::try_select(weft::on_writable(a.native_handle())), 0);
  b.sendall(std::string("y"));
  EXPECT_EQ(weft::try_select(weft::on_readable(a.native_handle())), 0);
}

TEST(NetSelect, CloseWakesTheSelectWithClosed) {
  auto sockets = net::socket::pair();
  net::socket& a = sockets.first;
  bool closed = false;
  int picked = -2;
  weft::spawn([&] { picked = weft::select(weft::on_readable(a.native_handle(), &closed)); });
  weft::spawn([&] { a.close(); });
  weft::run();
  EXPECT_EQ(picked, 0);
  EXPECT_TRUE(closed);
}
