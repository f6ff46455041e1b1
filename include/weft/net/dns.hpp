// Name resolution that never blocks the scheduler's thread: getaddrinfo on the worker pool.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

#include "weft/net/address.hpp"

namespace weft::net {

struct resolve_options {
  int family = AF_UNSPEC;      // AF_INET or AF_INET6 to restrict
  int socktype = SOCK_STREAM;  // one result per address for this socket type
  bool numeric_only = false;   // AI_NUMERICHOST: never consult /etc/hosts or DNS
  bool passive = false;        // AI_PASSIVE: an empty host means the wildcard address
};

// Resolves `host` (a name, or a numeric IPv4/IPv6 address; empty: loopback, or the
// wildcard with passive) exactly as getaddrinfo does: /etc/hosts and nsswitch.conf are
// honoured, addresses come in the resolver's order (RFC 6724), duplicates removed.
// Blocks only the calling tasklet while a worker thread runs getaddrinfo; there is no
// timeout beyond the resolver's own (resolv.conf). A killed tasklet unwinds at once; the
// lookup finishes on the worker and is dropped. Throws std::system_error of dns_category()
// ("resolve example.invalid: Name or service not known"); EAI_SYSTEM becomes its errno.
std::vector<address> resolve(std::string_view host, std::uint16_t port, const resolve_options& opts = {});
std::vector<address> resolve(std::string_view host, std::uint16_t port, const resolve_options& opts,
                             std::error_code& ec);

// getaddrinfo's EAI_* codes (negative values, as <netdb.h> defines them).
const std::error_category& dns_category() noexcept;

}  // namespace weft::net
