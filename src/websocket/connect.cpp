// The client's opening handshake (RFC 6455 section 4.1). One watchdog bounds the whole of
// it, since a plain socket's timeout bounds only single calls.
#include "weft/websocket/client.hpp"

#include <charconv>
#include <memory>
#include <stdexcept>

#include "websocket/handshake.hpp"
#include "websocket/watchdog.hpp"
#include "weft/net/connect.hpp"
#include "weft/net/error.hpp"
#include "weft/net/stream.hpp"

namespace weft::websocket {

namespace {

struct url_parts {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string host_field;  // for Host: brackets kept, port only if not the default
  std::string target;      // path and query
};

url_parts parse_url(std::string_view url) {
  auto bad = [&](const char* why) { return std::invalid_argument("websocket connect " + std::string(url) + ": " + why); };
  url_parts u;
  auto colon = url.find("://");
  if (colon == std::string_view::npos) throw bad("not a ws:// or wss:// URL");
  std::string scheme(url.substr(0, colon));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (scheme == "wss")
    u.tls = true;
  else if (scheme != "ws")
    throw bad("not a ws:// or wss:// URL");
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) throw bad("a WebSocket URL has no fragment");
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target[0] == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) throw bad("user information is not supported");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw bad("junk after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    auto c = authority.rfind(':');
    u.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
  }
  if (u.host.empty()) throw bad("no host");
  std::uint16_t def = u.tls ? 443 : 80;
  u.port = def;
  if (!port.empty()) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port == 0) throw bad("bad port");
  }
  u.host_field = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (u.port != def) u.host_field += ":" + std::to_string(u.port);
  return u;
}

struct plain_transport final : connection::transport {
  explicit plain_transport(net::socket s) : sock(std::move(s)) {}
  net::stream& stream() noexcept override { return buffered; }
  void close() noexcept override { sock.close(); }
  net::socket sock;
  net::stream buffered{sock};
};

struct tls_transport final : connection::transport {
  tls_transport(net::socket s, const net::tls_context& ctx) : tls(std::move(s), ctx) {}
  net::stream& stream() noexcept override { return buffered; }
  void close() noexcept override { tls.close(); }
  net::tls_stream tls;
  net::stream buffered{tls};
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Status code and fields of the server's answer, or handshake_error(0) if it is not HTTP.
int parse_head(std::string_view head, http::headers& fields, const std::string& what) {
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 || status_line[8] != ' ')
    throw handshake_error(0, what + ": not an HTTP answer");
  int status = 0;
  auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12) throw handshake_error(0, what + ": bad status line");
  std::string_view rest = head.substr(eol + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw handshake_error(status, what + ": malformed header field");
    fields.add(line.substr(0, colon), trim(line.substr(colon + 1)));
  }
  return status;
}

connection handshake(std::unique_ptr<connection::transport> t, const url_parts& u, const connect_options& o,
                     const std::string& what) {
  std::string key = detail::new_key();
  std::string req = "GET " + u.target + " HTTP/1.1\r\nHost: " + u.host_field +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                    "\r\nSec-WebSocket-Version: 13\r\n";
  if (!o.origin.empty()) req += "Origin: " + o.origin + "\r\n";
  if (!o.subprotocols.empty()) {
    req += "Sec-WebSocket-Protocol: ";
    for (std::size_t i = 0; i < o.subprotocols.size(); ++i) req += (i ? ", " : "") + o.subprotocols[i];
    req += "\r\n";
  }
  for (const auto& [name, value] : o.headers) req += name + ": " + value + "\r\n";
  req += "\r\n";
  net::stream& s = t->stream();
  s.write(req);
  s.flush();

  std::string head;
  try {
    head = s.read_until("\r\n\r\n", 16384);
  } catch (const std::system_error& e) {
    if (e.code() == net::stream_errc::eof) throw handshake_error(0, what + ": connection closed before the answer");
    if (e.code() == net::stream_errc::too_long) throw handshake_error(0, what + ": answer header over 16 KiB");
    throw;
  }
  http::headers f;
  int status = parse_head(head, f, what);
  if (status != 101) {
    auto eol = head.find("\r\n");
    throw handshake_error(status, what + ": server answered \"" + head.substr(0, eol) + "\"");
  }
  auto fail = [&](const std::string& why) { return handshake_error(status, what + ": " + why); };
  if (!http::header_has_token(f.get("Upgrade").value_or(""), "websocket")) throw fail("no Upgrade: websocket");
  if (!http::header_has_token(f.get("Connection").value_or(""), "upgrade")) throw fail("no Connection: Upgrade");
  if (f.get("Sec-WebSocket-Accept").value_or("") != detail::accept_value(key))
    throw fail("wrong Sec-WebSocket-Accept");
  if (f.contains("Sec-WebSocket-Extensions")) throw fail("server chose an extension that was not offered");
  std::string chosen(f.get("Sec-WebSocket-Protocol").value_or(""));
  if (!chosen.empty() || f.count("Sec-WebSocket-Protocol") > 1) {
    bool offered = f.count("Sec-WebSocket-Protocol") == 1;
    if (offered) {
      offered = false;
      for (const auto& p : o.subprotocols) offered = offered || p == chosen;
    }
    if (!offered) throw fail("server chose subprotocol \"" + chosen + "\", which was not offered");
  }
  return connection(std::move(t), role::client, o.connection, chosen);
}

}  // namespace

connection connect(std::string_view url, const connect_options& o) {
  url_parts u = parse_url(url);
  std::string what = "websocket connect " + std::string(url);
  std::optional<detail::watchdog> guard;
  if (o.deadline) guard.emplace(*o.deadline);
  try {
    net::socket sock = net::tcp_connect(u.host, u.port);
    sock.set_no_delay(true);
    std::unique_ptr<connection::transport> t;
    if (u.tls) {
      net::tls_context fallback;
      if (!o.tls) fallback = net::tls_context::client();
      auto tt = std::make_unique<tls_transport>(std::move(sock), o.tls ? *o.tls : fallback);
      tt->tls.connect(u.host);
      t = std::move(tt);
    } else {
      t = std::make_unique<plain_transport>(std::move(sock));
    }
    return handshake(std::move(t), u, o, what);
  } catch (const detail::expired&) {
    throw timeout_error(what + ": timed out");
  }
}

}  // namespace weft::websocket
