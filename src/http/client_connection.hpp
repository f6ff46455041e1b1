// client_connection: one client connection, plain TCP or TLS, whose reads and writes obey
// the current request's deadline; and the per-host pool of idle ones.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "weft/net/socket.hpp"
#include "weft/net/tls.hpp"
#include "weft/time.hpp"

namespace weft::http::detail {

class client_connection {
 public:
  // Connects (and for TLS, handshakes, verifying `host` as the context says) before
  // `deadline`. Throws what net::tcp_connect / tls_stream::connect throw.
  static std::unique_ptr<client_connection> open(const std::string& host, std::uint16_t port, bool tls,
                                                 const net::tls_context& ctx,
                                                 std::optional<clock::time_point> deadline);

  // The byte-stream pair; each call fails with errc::timed_out once the deadline passed.
  std::size_t read_some(std::span<std::byte> buf, std::error_code& ec);
  std::size_t write_some(std::span<const std::byte> data, std::error_code& ec);
  void write_all(std::string_view data);  // throws std::system_error naming the peer
  void set_deadline(std::optional<clock::time_point> d) noexcept;
  std::string describe() const;

  // For the pool: an idle connection is still good if the server neither closed it nor
  // sent anything unasked (a non-blocking peek finds nothing to read).
  bool still_idle() const noexcept;
  clock::time_point idle_since;

 private:
  int fd() const noexcept;
  // Plain socket: its timeout becomes what is left of the deadline; false if none is.
  bool arm(std::error_code& ec);
  net::socket plain_;
  std::optional<net::tls_stream> tls_;
  std::optional<clock::time_point> deadline_;
};

// Idle connections by "scheme://host:port". Newest last, handed out newest first.
class connection_pool {
 public:
  std::unique_ptr<client_connection> take(const std::string& key, clock::duration idle_timeout);
  void give(const std::string& key, std::unique_ptr<client_connection> c, std::size_t max_per_host);
  std::size_t size() const noexcept;
  void clear() noexcept { idle_.clear(); }

 private:
  std::map<std::string, std::vector<std::unique_ptr<client_connection>>, std::less<>> idle_;
};

}  // namespace weft::http::detail
