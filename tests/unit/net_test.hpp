// Helpers shared by the weft::net tests: loopback pairs, descriptor counting, timing.
#pragma once

#include <dirent.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>
#include <utility>

#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace net_test {

using namespace std::chrono_literals;
namespace net = weft::net;

// Open descriptors of this process (for leak checks).
inline int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

// A connected TCP pair over 127.0.0.1: {client, server side}. Call from a tasklet or main.
inline std::pair<net::socket, net::socket> tcp_pair() {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  net::socket c = net::socket::open(AF_INET, SOCK_STREAM);
  c.connect(l.local_address());  // completes from the backlog: no accept needed first
  net::socket s = l.accept();
  return {std::move(c), std::move(s)};
}

// Makes the thread's reactor exist (epoll and wake-up descriptors), so that descriptor
// counts taken afterwards see only what a test opens.
inline void warm_up_reactor() {
  auto [a, b] = tcp_pair();
  a.set_timeout(std::chrono::milliseconds(1));
  std::error_code ec;
  std::byte x[1];
  a.recv_into(x, 0, ec);  // waits in the reactor, then times out
}

inline std::string as_string(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// The error code a callable throws as std::system_error (or a default code if none).
template <class F>
std::error_code code_of(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e.code();
  }
  return {};
}

template <class F>
std::string what_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

inline double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace net_test
