// server: an HTTP/1.1 server whose handlers are plain functions that may block anywhere
// (a database call, an outgoing request, weft::sleep_for): each connection is a tasklet.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "weft/http/headers.hpp"
#include "weft/net/address.hpp"
#include "weft/net/listener.hpp"
#include "weft/net/stream.hpp"
#include "weft/net/tls.hpp"
#include "weft/time.hpp"

namespace weft::http {

namespace detail {
class connection;
}

// Thrown by a handler (or by request::read_body) to answer with `status` instead of 500: the
// server sends it with what() as a text body if the response is not committed yet, and closes
// the connection if status >= 400 and the request body was not read to its end.
class status_error : public std::runtime_error {
 public:
  status_error(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// The standard reason phrase ("Not Found"), or "" for an unknown code.
std::string_view reason_phrase(int status) noexcept;

// Limits and timeouts. Exceeding a limit answers with the status named and closes the
// connection (the rest of the request cannot be trusted to be framed right).
struct server_options {
  std::size_t max_request_line = 8192;  // the request target: 414 URI Too Long
  std::size_t max_header_bytes = 65536; // all field names and values: 431
  std::size_t max_headers = 100;        // field count: 431
  std::size_t max_body = 1 << 20;       // request body: 413 (Content-Length up front; chunked as it comes)
  // From the first byte of a request until its header section is complete (slowloris). The
  // first request of a connection counts from the accept. 408 if part of a request came.
  clock::duration header_timeout = std::chrono::seconds(10);
  // Waiting for the next request on a kept-alive connection, and each read of a request body.
  clock::duration idle_timeout = std::chrono::seconds(60);
  // Each send of the response (a client that never reads it is dropped after this).
  clock::duration write_timeout = std::chrono::seconds(60);
  // When set, every accepted connection is TLS (handshake bounded by header_timeout).
  net::tls_context tls;
  // Called after each response is complete (access logs). Must not throw.
  std::function<void(const class request&, const class response&)> on_complete;
};

// One request. Valid only during the handler call.
class request {
 public:
  std::string method;   // "GET" (as sent; methods are case-sensitive)
  std::string target;   // as sent: "/a%20b?x=1"
  std::string path;     // percent-decoded, without the query: "/a b"
  std::string query;    // raw, without '?': "x=1"
  int version_minor = 1;  // HTTP/1.<version_minor>
  headers fields;
  std::map<std::string, std::string, std::less<>> params;  // from the route pattern
  net::address peer;

  // The whole body (the rest of it, if some was read already). Throws status_error(413) if
  // it is longer than `max` (default: server_options::max_body); the connection then
  // closes after the response. Blocks only this tasklet; each read is bounded by
  // idle_timeout (weft::timeout_error); std::system_error if the connection fails;
  // status_error(400) if the body is malformed (bad chunk framing). A kill unwinds from the
  // read and the connection is closed.
  std::string read_body(std::size_t max = static_cast<std::size_t>(-1));
  // Streams the body: up to buf.size() bytes, waiting for at least one; 0 at its end.
  // Errors as read_body. The first read of a request with "Expect: 100-continue" sends
  // "100 Continue" first.
  std::size_t read_some(std::span<std::byte> buf);
  // Content-Length if the request declared one; nullopt for chunked or no body.
  std::optional<std::uint64_t> content_length() const noexcept;
  // Whether a body follows (Content-Length > 0 or chunked).
  bool has_body() const noexcept;

  request() = default;
  request(const request&) = delete;
  request& operator=(const request&) = delete;

 private:
  friend class detail::connection;
  detail::connection* conn_ = nullptr;
};

// The answer to one request. The status line and header fields go out ("commit") with the
// first body byte, send(), end() or flush(); afterwards status and fields are fixed.
// Writes block only this tasklet; each send is bounded by server_options::write_timeout
// (weft::timeout_error); a failed connection throws std::system_error. A kill unwinds from
// the write and the connection is closed.
class response {
 public:
  void status(int code, std::string_view reason = {});
  int status() const noexcept { return status_; }
  headers& fields() noexcept { return fields_; }
  void set(std::string_view name, std::string_view value) { fields_.set(name, value); }

  // Streams a piece of the body. Without a Content-Length field the body is chunked
  // (HTTP/1.1) or ends by closing the connection (HTTP/1.0). Bytes may stay buffered
  // until flush(), end() or the handler returns. For HEAD the bytes are counted, not sent.
  void write(std::string_view data);
  void flush();
  // Ends the body (the last chunk). Called by the server after the handler if not before.
  void end();
  // status + Content-Type + Content-Length + body, in one go.
  void send(int code, std::string_view body, std::string_view content_type = "text/plain; charset=utf-8");
  // The body is `length` bytes of the file `fd` from `offset` (Content-Length is set to
  // `length` unless set already). On a plain socket it goes out with sendfile(2); over TLS
  // it is read and written. The file is not closed. Throws std::system_error naming the
  // call if the file cannot be read.
  void send_file(int fd, std::uint64_t offset, std::uint64_t length);
  // Answers "101 Switching Protocols" with "Connection: Upgrade" and `extra` (Upgrade,
  // Sec-WebSocket-Accept, ...), flushes, and returns the connection as a buffered stream
  // (bytes the client sent after the request are in it). The server forgets the connection
  // when the handler returns and closes it then; until then the handler owns it. The
  // stream's socket has no timeout. Throws std::logic_error if already committed.
  net::stream& upgrade(const headers& extra = {});

  bool committed() const noexcept { return committed_; }
  bool finished() const noexcept { return finished_; }
  // Body bytes written so far (not counting chunk framing).
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

  response() = default;
  response(const response&) = delete;
  response& operator=(const response&) = delete;

 private:
  friend class detail::connection;
  void commit();
  void reset() noexcept;
  detail::connection* conn_ = nullptr;
  headers fields_;
  std::string reason_;
  int status_ = 200;
  bool committed_ = false;
  bool finished_ = false;
  bool chunked_ = false;
  bool head_ = false;  // answering HEAD: no body bytes go out
  std::optional<std::uint64_t> length_;
  std::uint64_t body_bytes_ = 0;
};

using handler = std::function<void(request&, response&)>;

// Routes by method and path pattern. Segments: literal ("/users"), ":name" (one segment,
// into request::params), "*name" (the rest of the path, possibly empty; last only).
// Routes are tried in the order added. HEAD falls back to GET routes. A path no route
// matches gets 404; a path that matches only routes of other methods gets 405 with Allow.
// Add routes before serving; afterwards it is read-only (safe to share between threads).
class router {
 public:
  void add(std::string_view method, std::string_view pattern, handler h);
  void get(std::string_view pattern, handler h) { add("GET", pattern, std::move(h)); }
  void post(std::string_view pattern, handler h) { add("POST", pattern, std::move(h)); }
  void put(std::string_view pattern, handler h) { add("PUT", pattern, std::move(h)); }
  void del(std::string_view pattern, handler h) { add("DELETE", pattern, std::move(h)); }
  // Dispatches (what the server calls).
  void operator()(request& req, response& res) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    handler fn;
  };
  static bool match(const route& r, std::string_view path, request* req);
  std::vector<route> routes_;
};

// Serves one router. Not thread-safe: one server per scheduler thread (see serve_threads).
class server {
 public:
  explicit server(const router& r, server_options opt = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Accepts connections until shutdown() or the listener is closed, a tasklet per
  // connection, then waits for those tasklets to finish and returns. Blocks only the
  // calling tasklet. Accept errors (EMFILE is backed off inside accept) are retried.
  void serve(net::listener& l);
  // Graceful stop, from another tasklet of the same thread: closes the listener, closes
  // connections waiting for a request, lets requests in flight finish (their responses carry
  // "Connection: close") for up to `grace`, then kills the handlers still running (each
  // unwinds with tasklet_exit from whatever it waits on; its connection is closed). Returns
  // when every connection is gone.
  void shutdown(clock::duration grace);

  const server_options& options() const noexcept { return opt_; }
  // Connections open now.
  std::size_t connections() const noexcept;

 private:
  friend class detail::connection;
  struct state;
  const router& router_;
  server_options opt_;
  std::unique_ptr<state> st_;
};

// A TCP listener with SO_REUSEPORT, so that several threads (or processes) may each listen
// on the same address; the kernel spreads new connections among them by a hash of the
// connection's addresses and ports. Throws std::system_error naming the address.
net::listener reuseport_listen(const net::address& a, int backlog = SOMAXCONN);

// Serves `r` on `a` with `threads` schedulers, one per thread, each with its own
// reuseport_listen() listener and its own server. Port 0 binds one ephemeral port for all.
// `on_listening` (if set) is called once with the bound address. Never returns (until the
// process ends); throws std::system_error if binding fails.
[[noreturn]] void serve_threads(const router& r, const net::address& a, int threads, server_options opt = {},
                                const std::function<void(const net::address&)>& on_listening = {});

}  // namespace weft::http
