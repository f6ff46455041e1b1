// connection: one accepted HTTP connection, served by its own tasklet: read a head, call
// the handler, finish the response, repeat (keep-alive, pipelining).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "parser.hpp"
#include "weft/http/server.hpp"
#include "weft/net/socket.hpp"
#include "weft/net/stream.hpp"
#include "weft/net/tls.hpp"
#include "weft/tasklet.hpp"

namespace weft::http::detail {

// The bytes of a connection: a plain socket or a TLS session; after an upgrade, bytes the
// server had read past the request are handed back first.
struct transport {
  net::socket sock;
  std::unique_ptr<net::tls_stream> tls;
  std::string prefix;
  std::size_t prefix_pos = 0;

  net::socket& raw() noexcept { return tls ? tls->sock() : sock; }
  std::size_t read_some(std::span<std::byte> b, std::error_code& ec);
  std::size_t write_some(std::span<const std::byte> b, std::error_code& ec);
  std::string describe() const;
  void close() noexcept;
};

// "Tue, 15 Nov 1994 08:12:31 GMT" for now; cached per thread for a second.
std::string_view http_date();
// "/a%20b" -> "/a b". False on a bad escape or an encoded NUL.
bool percent_decode(std::string_view in, std::string& out);

// A response that leaves at most this much of a request body unread keeps the connection:
// the rest is read and dropped. More, and the connection closes instead.
inline constexpr std::uint64_t drain_limit = 64 * 1024;

class connection {
 public:
  connection(server& srv, net::socket s, const net::address& peer);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // The tasklet's body: returns when the connection is done (it is closed by the destructor).
  void run();
  // shutdown(): closes the connection if it waits for a request; else it closes after the
  // response in flight.
  void stop_if_idle() noexcept;

  // For request.
  std::size_t read_body_some(std::span<std::byte> buf);
  // For response.
  void out(std::string_view bytes);
  void flush_or_throw();
  void send_file(int fd, std::uint64_t offset, std::uint64_t length);
  net::stream& upgrade();
  bool plain() const noexcept { return !io_.tls; }
  bool stopping() const noexcept;

  server& srv_;
  const server_options& opt_;
  transport io_;
  net::stream out_;
  parser p_;
  request req_;
  response res_;
  tasklet self_;
  std::size_t index_ = 0;     // in the server's list
  bool close_after_ = false;  // no further request on this connection
  bool expect_continue_ = false;
  bool upgraded_ = false;
  std::string head_;  // the response head being built (kept for its capacity)

 private:
  void serve_requests();
  bool read_head(bool first);
  void prepare_request();
  void call_handler();
  bool finish_request();
  std::size_t read_in(clock::duration timeout, std::error_code& ec);
  bool flush(std::error_code& ec);
  void answer_error(int status, std::string_view text);
  void linger_close() noexcept;

  std::vector<char> in_;
  std::size_t in_pos_ = 0, in_end_ = 0;
  std::size_t body_off_ = 0;  // taken from p_.body()
  bool idle_ = false;         // waiting for the first byte of a request
};

}  // namespace weft::http::detail
