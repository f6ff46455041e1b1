// tcp_connect, unix_connect, udp_bind: one-call client sockets.
#include "weft/net/connect.hpp"

#include <string>
#include <system_error>

#include "net/io_loop.hpp"
#include "net/throw.hpp"
#include "weft/net/dns.hpp"

namespace weft::net {

namespace {

socket connect_to(const address& a, std::optional<clock::duration> timeout) {
  socket s = socket::open(a.family(), SOCK_STREAM);
  s.set_timeout(timeout);
  s.connect(a);
  s.set_timeout(std::nullopt);
  return s;
}

}  // namespace

socket tcp_connect(const address& a, std::optional<clock::duration> timeout) {
  return connect_to(a, timeout);
}

socket tcp_connect(std::string_view host, std::uint16_t port, std::optional<clock::duration> timeout) {
  std::vector<address> addrs = resolve(host, port);
  const auto deadline = detail::deadline_after(timeout);
  std::error_code last;
  address last_addr;
  for (const address& a : addrs) {
    std::optional<clock::duration> left;
    if (timeout) {
      left = deadline - clock::now();
      if (*left <= clock::duration::zero()) {
        last = std::make_error_code(std::errc::timed_out);
        break;
      }
    }
    socket s = socket::open(a.family(), SOCK_STREAM, 0, last);
    if (last) {
      last_addr = a;
      continue;
    }
    s.set_timeout(left);
    s.connect(a, last);
    if (!last) {
      s.set_timeout(std::nullopt);
      return s;
    }
    last_addr = a;
  }
  if (!last) last = std::make_error_code(std::errc::host_unreachable);  // resolve gave nothing
  detail::throw_error(last, "connect to " + std::string(host), last_addr);
}

socket unix_connect(std::string_view path, std::optional<clock::duration> timeout) {
  return connect_to(address::unix_path(path), timeout);
}

socket udp_bind(const address& a) {
  socket s = socket::open(a.family(), SOCK_DGRAM);
  s.bind(a);
  return s;
}

}  // namespace weft::net
