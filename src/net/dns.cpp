// resolve(): getaddrinfo on the worker pool. Chosen over an asynchronous resolver (c-ares)
// because getaddrinfo is the system's own answer: /etc/hosts, nsswitch.conf (mDNS, LDAP,
// systemd-resolved), resolv.conf options and RFC 6724 ordering, with nothing to keep in sync.
// The cost is one worker thread per lookup in flight.
#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "weft/net/dns.hpp"
#include "weft/run_blocking.hpp"

namespace weft::net {

namespace {

class dns_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "weft.dns"; }
  std::string message(int v) const override { return gai_strerror(v); }
};

struct lookup_result {
  int gai = 0;
  int sys_errno = 0;
  std::vector<address> addrs;
};

// Runs on a worker thread; owns all it reads.
lookup_result lookup(const std::string& host, std::uint16_t port, resolve_options opts) {
  addrinfo hints{};
  hints.ai_family = opts.family;
  hints.ai_socktype = opts.socktype;
  hints.ai_flags = AI_NUMERICSERV | (opts.numeric_only ? AI_NUMERICHOST : 0) | (opts.passive ? AI_PASSIVE : 0);
  std::string service = std::to_string(port);
  addrinfo* res = nullptr;
  lookup_result r;
  r.gai = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (r.gai == EAI_SYSTEM) r.sys_errno = errno;
  if (r.gai != 0) return r;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    address a = address::from_native(ai->ai_addr, ai->ai_addrlen);
    if (std::find(r.addrs.begin(), r.addrs.end(), a) == r.addrs.end()) r.addrs.push_back(a);
  }
  freeaddrinfo(res);
  return r;
}

}  // namespace

const std::error_category& dns_category() noexcept {
  static const dns_category_impl c;
  return c;
}

std::vector<address> resolve(std::string_view host, std::uint16_t port, const resolve_options& opts,
                             std::error_code& ec) {
  lookup_result r = run_blocking([h = std::string(host), port, opts] { return lookup(h, port, opts); });
  if (r.gai == EAI_SYSTEM)
    ec = {r.sys_errno, std::system_category()};
  else if (r.gai != 0)
    ec = {r.gai, dns_category()};
  else
    ec.clear();
  return std::move(r.addrs);
}

std::vector<address> resolve(std::string_view host, std::uint16_t port, const resolve_options& opts) {
  std::error_code ec;
  auto addrs = resolve(host, port, opts, ec);
  if (ec) throw std::system_error(ec, "resolve " + std::string(host));
  return addrs;
}

}  // namespace weft::net
