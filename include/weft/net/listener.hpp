// listener: a socket that accepts connections, and the usual ways to make one.
#pragma once

#include <string_view>
#include <system_error>

#include "weft/net/socket.hpp"

namespace weft::net {

// A listening socket. accept() has socket::accept's contract (blocks only the calling
// tasklet, honours the timeout, backs off on EMFILE rather than spinning or closing).
class listener {
 public:
  listener() noexcept = default;
  explicit listener(socket s) noexcept : sock_(std::move(s)) {}

  socket accept(address* peer = nullptr) { return sock_.accept(peer); }
  socket accept(address* peer, std::error_code& ec) { return sock_.accept(peer, ec); }

  address local_address() const { return sock_.local_address(); }
  bool is_open() const noexcept { return sock_.is_open(); }
  // Wakes every tasklet waiting in accept() (errc::operation_canceled), then closes.
  void close() noexcept { sock_.close(); }
  // For options and the timeout.
  socket& sock() noexcept { return sock_; }
  const socket& sock() const noexcept { return sock_; }

 private:
  socket sock_;
};

// socket + SO_REUSEADDR + bind + listen. Port 0 picks an ephemeral port: read it back with
// local_address(). Never blocks; throws std::system_error ("bind to 127.0.0.1:80: ...").
listener tcp_listen(const address& a, int backlog = SOMAXCONN);
// A Unix stream listener at `path` ("@name" for the abstract namespace). An existing file
// at `path` is not removed: bind fails with EADDRINUSE.
listener unix_listen(std::string_view path, int backlog = SOMAXCONN);

}  // namespace weft::net
