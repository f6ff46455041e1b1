// Helpers for the weft::hook tests: plain POSIX calls (interposed), real sockets on 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "weft/hook.hpp"

namespace hook_test {

using clock = std::chrono::steady_clock;

inline long long ms_since(clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
}

// How many calls of `name` weft handled since the last reset_counts().
inline std::uint64_t handled(const char* name) {
  for (const auto& c : weft::hook::counts())
    if (std::string(c.name) == name) return c.interposed;
  ADD_FAILURE() << "no counter named " << name;
  return 0;
}

// A listening TCP socket on 127.0.0.1, ephemeral port, made with the plain calls.
struct listener {
  int fd = -1;
  std::uint16_t port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() { ::close(fd); }
  sockaddr_in address() const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }
};

inline int connect_to(const sockaddr_in& a) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A safety net: if interposition failed, a blocking call ends after 5 s instead of hanging.
inline void safety_timeout(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace hook_test
