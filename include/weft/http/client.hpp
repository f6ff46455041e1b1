// client: HTTP/1.1 requests as plain blocking calls (only the calling tasklet waits), with
// a keep-alive connection pool per host, redirects, TLS and a deadline per request.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "weft/http/client_error.hpp"
#include "weft/http/headers.hpp"
#include "weft/http/url.hpp"
#include "weft/net/tls.hpp"
#include "weft/time.hpp"

namespace weft::http {

// The final response (after redirects).
struct reply {
  int status = 0;
  std::string reason;   // "OK", as the server sent it
  headers fields;
  std::string body;     // empty when request_options::on_body took it
  std::string url;      // the URL that answered (differs from the request's after a redirect)
  int redirects = 0;    // how many were followed
};

struct request_options {
  headers fields;       // sent after Host, User-Agent, Accept, Content-Length (a name set here replaces ours)
  std::string body;     // sent with Content-Length (for POST and PUT also when empty)
  // A body of unknown length, sent after `body` with Transfer-Encoding: chunked (raw if
  // `fields` has a Content-Length): called with a buffer, returns how many bytes it put
  // there, 0 at the end. Runs on the requesting tasklet and may block. Such a request is
  // never repeated: a 307/308 redirect is returned instead of followed, and a pooled
  // connection found closed is not retried once the source was read.
  std::function<std::size_t(std::span<char>)> body_source;
  // The whole exchange, redirects included: connect, TLS, sending, the last body byte.
  // nullopt: client_options::timeout.
  std::optional<clock::duration> timeout;
  std::optional<int> max_redirects;  // nullopt: client_options::max_redirects; 0: return the 3xx
  // Streaming. on_headers sees the final response's status and headers before its body;
  // on_body then receives the body piece by piece (and reply::body stays empty, with no
  // size limit). Both run on the requesting tasklet and may block; what they throw ends
  // the request (the connection is closed) and propagates (a std::system_error wrapped in
  // http::error, naming the URL).
  std::function<void(const reply&)> on_headers;
  std::function<void(std::string_view)> on_body;
};

struct client_options {
  net::tls_context tls;  // empty: tls_context::client() (verification on, system trust store)
  std::optional<clock::duration> timeout = std::chrono::seconds(60);  // per request; nullopt: none
  int max_redirects = 10;
  std::size_t max_idle_per_host = 4;                 // idle keep-alive connections kept per host
  clock::duration idle_timeout = std::chrono::seconds(30);  // an idle connection older is closed
  std::size_t max_body = std::size_t(256) << 20;     // reply::body limit (not for on_body)
  std::string user_agent = "weft-http/0.1";
};

// A client owns a pool of idle connections keyed by scheme, host and port. Tasklets of one
// thread may share it (each request takes a connection of its own from the pool or opens
// one, and gives it back when the response ended cleanly and the server allows keep-alive);
// it is not thread-safe: use one per thread (default_client() is thread-local).
//
// request() blocks the calling tasklet until the whole response is in (or its headers,
// with on_body). Redirects 301, 302 and 303 are followed with GET and no body (HEAD stays
// HEAD), 307 and 308 with the same method and body; an Authorization header is dropped when
// a redirect leaves the host. A reused connection that the server closed before answering
// is replaced once, for idempotent methods. Throws http::error (client_error.hpp) naming
// the method, the URL and the cause; a deadline that passes is std::errc::timed_out. A
// killed tasklet unwinds with tasklet_exit; its connection is closed, never pooled.
class client {
 public:
  explicit client(client_options opts = {});
  ~client();
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;

  reply request(std::string_view method, std::string_view url, request_options opts = {});
  reply get(std::string_view url, request_options opts = {}) { return request("GET", url, std::move(opts)); }
  reply head(std::string_view url, request_options opts = {}) { return request("HEAD", url, std::move(opts)); }
  reply del(std::string_view url, request_options opts = {}) { return request("DELETE", url, std::move(opts)); }
  reply post(std::string_view url, std::string body, std::string_view content_type, request_options opts = {});
  reply put(std::string_view url, std::string body, std::string_view content_type, request_options opts = {});

  // Idle pooled connections, all hosts; close_idle() closes them (never blocks).
  std::size_t idle_connections() const noexcept;
  void close_idle() noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// This thread's shared client (default options), and shorthands that use it.
client& default_client();
inline reply get(std::string_view url, request_options opts = {}) { return default_client().get(url, std::move(opts)); }
inline reply head(std::string_view url, request_options opts = {}) { return default_client().head(url, std::move(opts)); }
inline reply del(std::string_view url, request_options opts = {}) { return default_client().del(url, std::move(opts)); }
inline reply post(std::string_view url, std::string body, std::string_view content_type, request_options opts = {}) {
  return default_client().post(url, std::move(body), content_type, std::move(opts));
}
inline reply put(std::string_view url, std::string body, std::string_view content_type, request_options opts = {}) {
  return default_client().put(url, std::move(body), content_type, std::move(opts));
}

}  // namespace weft::http
