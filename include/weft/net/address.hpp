// address: a socket address (IPv4, IPv6 or Unix), parsed from and printed as text.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::net {

// A value type holding one sockaddr. Text forms (parse and to_string agree):
//   "127.0.0.1:80"   "[::1]:80"   "[fe80::1%eth0]:80"   "unix:/run/x.sock"   "unix:@abstract"
// parse() is numeric only and never touches DNS; see resolve() in dns.hpp for names.
class address {
 public:
  address() noexcept;  // empty: family() == AF_UNSPEC

  static address v4(std::uint32_t host_order_ip, std::uint16_t port) noexcept;
  static address loopback_v4(std::uint16_t port = 0) noexcept;  // 127.0.0.1
  static address any_v4(std::uint16_t port = 0) noexcept;       // 0.0.0.0
  static address loopback_v6(std::uint16_t port = 0) noexcept;  // ::1
  static address any_v6(std::uint16_t port = 0) noexcept;       // ::
  // A leading '@' names a Linux abstract socket. Throws std::invalid_argument if too long.
  static address unix_path(std::string_view path);
  // Throws std::invalid_argument naming the text if it is not one of the forms above.
  static address parse(std::string_view text);
  static std::optional<address> try_parse(std::string_view text) noexcept;
  // Copies a sockaddr the OS filled in (accept, recvfrom, getsockname, getaddrinfo).
  static address from_native(const sockaddr* a, socklen_t n) noexcept;

  int family() const noexcept { return storage_.ss_family; }
  bool empty() const noexcept { return family() == AF_UNSPEC; }
  bool is_v4() const noexcept { return family() == AF_INET; }
  bool is_v6() const noexcept { return family() == AF_INET6; }
  bool is_unix() const noexcept { return family() == AF_UNIX; }

  std::uint16_t port() const noexcept;  // 0 for Unix and empty addresses
  address with_port(std::uint16_t port) const noexcept;
  std::string host() const;       // "127.0.0.1", "::1", "/run/x.sock", "@abstract"
  std::string to_string() const;  // the parse() form; "" if empty

  const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* native() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t native_size() const noexcept { return size_; }
  static constexpr socklen_t native_capacity() noexcept { return sizeof(sockaddr_storage); }
  void set_native_size(socklen_t n) noexcept { size_ = n; }

  friend bool operator==(const address& a, const address& b) noexcept;

 private:
  sockaddr_storage storage_;
  socklen_t size_;
};

}  // namespace weft::net
