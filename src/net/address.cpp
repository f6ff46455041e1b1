// address: sockaddr storage plus the numeric text forms.
#include "weft/net/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace weft::net {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) noexcept {
  unsigned v = 0;
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || err != std::errc{} || end != s.data() + s.size() || v > 65535) return {};
  return static_cast<std::uint16_t>(v);
}

}  // namespace

address::address() noexcept : size_(0) {
  std::memset(&storage_, 0, sizeof storage_);
  storage_.ss_family = AF_UNSPEC;
}

address address::v4(std::uint32_t ip, std::uint16_t port) noexcept {
  address a;
  auto* s = reinterpret_cast<sockaddr_in*>(&a.storage_);
  s->sin_family = AF_INET;
  s->sin_port = htons(port);
  s->sin_addr.s_addr = htonl(ip);
  a.size_ = sizeof(sockaddr_in);
  return a;
}

address address::loopback_v4(std::uint16_t port) noexcept { return v4(INADDR_LOOPBACK, port); }
address address::any_v4(std::uint16_t port) noexcept { return v4(INADDR_ANY, port); }

address address::loopback_v6(std::uint16_t port) noexcept {
  address a = any_v6(port);
  reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_addr = in6addr_loopback;
  return a;
}

address address::any_v6(std::uint16_t port) noexcept {
  address a;
  auto* s = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  s->sin6_addr = in6addr_any;
  a.size_ = sizeof(sockaddr_in6);
  return a;
}

address address::unix_path(std::string_view path) {
  address a;
  auto* s = reinterpret_cast<sockaddr_un*>(&a.storage_);
  // A pathname needs room for its terminating NUL; an abstract name does not.
  bool abstract = !path.empty() && path[0] == '@';
  if (path.empty() || path.size() + (abstract ? 0 : 1) > sizeof s->sun_path)
    throw std::invalid_argument("unix socket path empty or too long: " + std::string(path));
  s->sun_family = AF_UNIX;
  std::memcpy(s->sun_path, path.data(), path.size());
  if (abstract) s->sun_path[0] = '\0';
  a.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return a;
}

std::optional<address> address::try_parse(std::string_view text) noexcept {
  if (text.starts_with("unix:")) {
    auto path = text.substr(5);
    if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) return {};
    return unix_path(path);
  }
  std::string host;
  std::string_view port_text;
  bool bracketed = text.starts_with('[');
  if (bracketed) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return {};
    host.assign(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return {};
    host.assign(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  auto port = parse_port(port_text);
  if (!port) return {};
  if (!bracketed) {
    in_addr ip4;
    if (inet_pton(AF_INET, host.c_str(), &ip4) != 1) return {};
    return v4(ntohl(ip4.s_addr), *port);
  }
  std::string zone;
  if (auto pct = host.find('%'); pct != std::string::npos) {
    zone = host.substr(pct + 1);
    host.resize(pct);
  }
  address a = any_v6(*port);
  auto* s = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, host.c_str(), &s->sin6_addr) != 1) return {};
  if (!zone.empty()) {
    unsigned idx = if_nametoindex(zone.c_str());
    if (idx == 0) {
      auto n = parse_port(zone);  // a numeric zone is an interface index
      if (!n) return {};
      idx = *n;
    }
    s->sin6_scope_id = idx;
  }
  return a;
}

address address::parse(std::string_view text) {
  if (auto a = try_parse(text)) return *a;
  throw std::invalid_argument("not a numeric socket address: \"" + std::string(text) + "\"");
}

address address::from_native(const sockaddr* sa, socklen_t n) noexcept {
  address a;
  if (n > sizeof a.storage_) n = sizeof a.storage_;
  std::memcpy(&a.storage_, sa, n);
  a.size_ = n;
  return a;
}

std::uint16_t address::port() const noexcept {
  if (is_v4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_v6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

address address::with_port(std::uint16_t port) const noexcept {
  address a = *this;
  if (is_v4()) reinterpret_cast<sockaddr_in*>(&a.storage_)->sin_port = htons(port);
  if (is_v6()) reinterpret_cast<sockaddr_in6*>(&a.storage_)->sin6_port = htons(port);
  return a;
}

std::string address::host() const {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (is_v6()) {
    auto* s = reinterpret_cast<const sockaddr_in6*>(&storage_);
    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    std::string h = buf;
    if (s->sin6_scope_id != 0) {
      char name[IF_NAMESIZE] = {};
      h += '%';
      h += if_indextoname(s->sin6_scope_id, name) ? std::string(name)
                                                   : std::to_string(s->sin6_scope_id);
    }
    return h;
  }
  if (is_unix()) {
    auto* s = reinterpret_cast<const sockaddr_un*>(&storage_);
    std::size_t len = size_ > offsetof(sockaddr_un, sun_path) ? size_ - offsetof(sockaddr_un, sun_path) : 0;
    if (len == 0) return {};  // unnamed (a socketpair or an unbound client)
    if (s->sun_path[0] == '\0') {  // abstract: shown with a leading '@'
      std::string name(1, '@');
      name.append(s->sun_path + 1, len - 1);
      return name;
    }
    return std::string(s->sun_path, strnlen(s->sun_path, len));
  }
  return {};
}

std::string address::to_string() const {
  if (is_v4()) return host() + ':' + std::to_string(port());
  if (is_v6()) return '[' + host() + "]:" + std::to_string(port());
  if (is_unix()) return "unix:" + host();
  return {};
}

bool operator==(const address& a, const address& b) noexcept {
  if (a.family() != b.family()) return false;
  if (a.is_v4() || a.is_v6() || a.is_unix()) return a.to_string() == b.to_string();
  return a.size_ == b.size_;
}

}  // namespace weft::net
