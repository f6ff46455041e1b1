// client: one request = take or open a connection, send, parse the response, give the
// connection back; redirects and the error message are handled around that.
#include "weft/http/client.hpp"

#include <array>

#include "client_connection.hpp"
#include "net/throw.hpp"
#include "response_parser.hpp"

namespace weft::http {

struct client::impl {
  client_options opts;
  net::tls_context tls;
  detail::connection_pool pool;
};

namespace {

bool idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// RFC 9110 token characters, for methods and header names.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= 32 || c >= 127 || std::string_view("\"(),/:;<=>?@[\\]{}").find(char(c)) != std::string_view::npos)
      return false;
  return true;
}

bool is_field_value(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += abc[(v >> s) & 63];
  }
  if (std::size_t rest = in.size() - i) {
    unsigned v = (unsigned char)in[i] << 16 | (rest == 2 ? (unsigned char)in[i + 1] << 8 : 0);
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += rest == 2 ? abc[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string pool_key(const url& u) { return u.scheme + "://" + u.host + ":" + std::to_string(u.port); }

std::string request_head(std::string_view method, const url& u, const headers& fields, std::string_view body,
                         bool streamed, const std::string& user_agent) {
  std::string req;
  req.append(method).append(" ").append(u.target()).append(" HTTP/1.1\r\n");
  auto ours = [&](std::string_view name, const std::string& value) {
    if (!fields.contains(name)) req.append(name).append(": ").append(value).append("\r\n");
  };
  ours("Host", u.authority());
  ours("User-Agent", user_agent);
  ours("Accept", "*/*");
  if (!u.userinfo.empty()) ours("Authorization", "Basic " + base64(percent_decode(u.userinfo)));
  if (streamed && !fields.contains("Content-Length")) ours("Transfer-Encoding", "chunked");
  else if ((!body.empty() || method == "POST" || method == "PUT") && !fields.contains("Transfer-Encoding"))
    ours("Content-Length", std::to_string(body.size()));
  for (const auto& [name, value] : fields) req.append(name).append(": ").append(value).append("\r\n");
  req += "\r\n";
  return req;
}

// What one exchange learnt: the response, and whether it is a redirect to follow.
struct outcome {
  reply r;
  bool redirect = false;
};

}  // namespace

client::client(client_options opts) : impl_(std::make_unique<impl>()) {
  impl_->tls = opts.tls ? opts.tls : net::tls_context::client();
  impl_->opts = std::move(opts);
}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

std::size_t client::idle_connections() const noexcept { return impl_->pool.size(); }
void client::close_idle() noexcept { impl_->pool.clear(); }

reply client::post(std::string_view url, std::string body, std::string_view content_type, request_options opts) {
  opts.body = std::move(body);
  if (!opts.fields.contains("Content-Type")) opts.fields.set("Content-Type", content_type);
  return request("POST", url, std::move(opts));
}

reply client::put(std::string_view url, std::string body, std::string_view content_type, request_options opts) {
  opts.body = std::move(body);
  if (!opts.fields.contains("Content-Type")) opts.fields.set("Content-Type", content_type);
  return request("PUT", url, std::move(opts));
}

namespace {

// The body_source's pieces, as chunks (RFC 9112 section 7.1) or raw, then the last chunk.
void send_streamed_body(detail::client_connection& conn, const std::function<std::size_t(std::span<char>)>& source,
                        bool chunked) {
  std::array<char, 16384> buf;
  static constexpr char hex[] = "0123456789abcdef";
  for (;;) {
    std::size_t n = source(buf);
    if (n > buf.size()) throw std::length_error("body_source returned more than the buffer holds");
    if (!chunked) {
      if (n == 0) return;
      conn.write_all(std::string_view(buf.data(), n));
      continue;
    }
    std::string frame;
    for (int shift = 12; shift >= 0; shift -= 4)
      if (n >> shift || shift == 0) frame += hex[(n >> shift) & 15];
    frame += "\r\n";
    frame.append(buf.data(), n);
    frame += "\r\n";
    conn.write_all(frame);
    if (n == 0) return;
  }
}

// Sends one request on a pooled or new connection and reads its response. A reused
// connection the server had already closed (nothing came back) is replaced once, if the
// method may be repeated.
outcome exchange(client::impl& c, std::string_view method, const url& u, const std::string& req,
                 std::optional<clock::time_point> deadline, bool follow, bool streamed, bool chunked,
                 const request_options& opts) {
  const std::string key = pool_key(u);
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<detail::client_connection> conn = c.pool.take(key, c.opts.idle_timeout);
    const bool reused = conn != nullptr;
    if (reused) conn->set_deadline(deadline);
    else conn = detail::client_connection::open(u.host, u.port, u.tls(), c.tls, deadline);

    outcome out;
    detail::response_parser p(method == "HEAD");
    p.on_headers = [&] {
      out.r.status = p.status();
      out.r.reason = p.reason();
      out.r.fields = p.fields();
      // A streamed body cannot be sent again: 307 and 308, which would need it, end here.
      const int s = p.status();
      out.redirect = follow && is_redirect(s) && p.fields().contains("Location") && !(streamed && s >= 307);
      if (!out.redirect && opts.on_headers) opts.on_headers(out.r);
    };
    p.on_body = [&](std::string_view piece) {
      if (out.redirect) return;  // drained so the connection can be reused
      if (opts.on_body) return opts.on_body(piece);
      if (out.r.body.size() + piece.size() > c.opts.max_body)
        detail::fail(client_errc::body_too_large, "body larger than " + std::to_string(c.opts.max_body) + " bytes");
      out.r.body.append(piece);
    };

    bool answered = false;
    bool leftover = false;
    bool source_read = false;
    try {
      conn->write_all(req);
      if (streamed) {
        source_read = true;
        send_streamed_body(*conn, opts.body_source, chunked);
      }
      std::array<std::byte, 16384> buf;
      while (!p.done()) {
        std::error_code ec;
        std::size_t n = conn->read_some(buf, ec);
        if (ec) net::detail::throw_error(ec, "recv from", conn->describe());
        if (n == 0) {
          p.feed_eof();
          break;
        }
        answered = true;
        std::size_t used = p.feed(std::string_view(reinterpret_cast<const char*>(buf.data()), n));
        leftover = used < n;
      }
    } catch (const std::system_error& e) {
      if (reused && !answered && !source_read && attempt == 0 && idempotent(method) &&
          e.code() != std::errc::timed_out)
        continue;
      throw;
    }
    if (p.keep_alive() && !leftover && p.status() != 101)
      c.pool.give(key, std::move(conn), c.opts.max_idle_per_host);
    return out;
  }
}

}  // namespace

reply client::request(std::string_view method_in, std::string_view url_text, request_options opts) {
  std::string method(method_in);
  std::optional<clock::time_point> deadline;
  if (auto t = opts.timeout ? opts.timeout : impl_->opts.timeout) deadline = clock::now() + *t;
  const int max_redirects = opts.max_redirects.value_or(impl_->opts.max_redirects);

  url u;
  try {
    u = url::parse(url_text);
  } catch (const url_error& e) {
    throw error(client_errc::bad_url, method, std::string(url_text), e.what());
  }
  if (!is_token(method)) throw error(client_errc::bad_request, method, u.to_string(), "bad method");
  for (const auto& [name, value] : opts.fields)
    if (!is_token(name) || !is_field_value(value))
      throw error(client_errc::bad_request, method, u.to_string(), "bad header \"" + name + "\"");

  headers fields = std::move(opts.fields);
  std::string body = std::move(opts.body);
  bool streamed = bool(opts.body_source);
  for (int redirects = 0;; ++redirects) {
    outcome out;
    try {
      std::string req = request_head(method, u, fields, body, streamed, impl_->opts.user_agent) + body;
      out = exchange(*impl_, method, u, req, deadline, max_redirects > 0, streamed, !fields.contains("Content-Length"),
                     opts);
    } catch (const std::system_error& e) {
      throw error(e.code(), method, u.to_string(), e.what());
    }
    if (!out.redirect) {
      out.r.url = u.to_string();
      out.r.redirects = redirects;
      return std::move(out.r);
    }
    if (redirects == max_redirects)
      throw error(client_errc::too_many_redirects, method, u.to_string(),
                  "more than " + std::to_string(max_redirects) + " redirects");
    url next;
    std::string location(*out.r.fields.get("Location"));
    try {
      next = u.resolve(location);
    } catch (const url_error& e) {
      throw error(client_errc::bad_response, method, u.to_string(), std::string("redirect to ") + e.what());
    }
    const int s = out.r.status;
    if ((s == 301 || s == 302 || s == 303) && method != "HEAD") {
      method = "GET";
      body.clear();
      streamed = false;
      fields.remove("Content-Type");
      fields.remove("Content-Length");
      fields.remove("Transfer-Encoding");
    }
    if (next.scheme != u.scheme || next.host != u.host || next.port != u.port) {
      fields.remove("Authorization");
      fields.remove("Cookie");
    }
    u = std::move(next);
  }
}

client& default_client() {
  thread_local client c;
  return c;
}

}  // namespace weft::http
