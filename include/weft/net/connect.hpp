// Opening client sockets in one call: by address, by host name, or by Unix path.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "weft/net/socket.hpp"

namespace weft::net {

// Opens a stream socket of a's family and connects it, waiting (only this tasklet) at most
// `timeout` (nullopt: as long as the OS takes). The returned socket is blocking: the
// timeout bounds only the connect. Throws std::system_error ("connect to 127.0.0.1:1:
// Connection refused") or weft::timeout_error; a killed tasklet closes the half-open socket.
socket tcp_connect(const address& a, std::optional<clock::duration> timeout = std::nullopt);

// Resolves `host` with resolve() (getaddrinfo on the worker pool, so /etc/hosts counts)
// and tries each address in the resolver's order until one connects; `timeout` bounds the
// connection attempts together (not the lookup). Throws the lookup's error, or the last
// connect error naming that address.
socket tcp_connect(std::string_view host, std::uint16_t port,
                   std::optional<clock::duration> timeout = std::nullopt);

// Connects a Unix stream socket to `path` ("@name": abstract). Throws as tcp_connect.
socket unix_connect(std::string_view path, std::optional<clock::duration> timeout = std::nullopt);

// A datagram socket bound to `a` (port 0: ephemeral). Never blocks.
socket udp_bind(const address& a);

}  // namespace weft::net
