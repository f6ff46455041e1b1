// The server's opening handshake (RFC 6455 section 4.2).
#include "weft/websocket/server.hpp"

#include "websocket/handshake.hpp"

namespace weft::websocket {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a comma list of subprotocols holds `p` exactly (subprotocol names are
// case-sensitive, unlike header tokens).
bool offers(std::string_view list, std::string_view p) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (trim(list.substr(0, comma)) == p) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// "host:port" without the port when it is the scheme's default.
std::string_view without_default_port(std::string_view authority, std::string_view port) {
  if (authority.size() > port.size() && authority.substr(authority.size() - port.size()) == port)
    authority.remove_suffix(port.size());
  return authority;
}

bool origin_allowed(std::string_view origin, const http::request& req, const accept_options& o) {
  if (!o.allowed_origins.empty()) {
    for (const auto& a : o.allowed_origins)
      if (a == "*" || http::iequals(a, origin)) return true;
    return false;
  }
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;  // "null" and the like
  std::string_view scheme = origin.substr(0, scheme_end);
  std::string_view port = http::iequals(scheme, "https") ? ":443" : ":80";
  std::string_view host = req.fields.get("Host").value_or("");
  return !host.empty() && http::iequals(without_default_port(origin.substr(scheme_end + 3), port),
                                        without_default_port(host, port));
}

[[noreturn]] void refuse(http::response& res, int status, const std::string& why) {
  if (status == 405) res.set("Allow", "GET");
  if (status == 426) {
    res.set("Sec-WebSocket-Version", "13");
    res.set("Upgrade", "websocket");
  }
  if (!res.committed()) res.send(status, why + "\n");
  throw handshake_error(status, "websocket accept: " + why);
}

}  // namespace

connection accept(http::request& req, http::response& res, const accept_options& o) {
  if (req.method != "GET") refuse(res, 405, "a WebSocket handshake is a GET");
  if (req.version_minor < 1) refuse(res, 400, "a WebSocket handshake needs HTTP/1.1");
  if (!http::header_has_token(req.fields.get("Upgrade").value_or(""), "websocket"))
    refuse(res, 400, "no Upgrade: websocket");
  if (!http::header_has_token(req.fields.get("Connection").value_or(""), "upgrade"))
    refuse(res, 400, "no Connection: Upgrade");
  if (trim(req.fields.get("Sec-WebSocket-Version").value_or("")) != "13")
    refuse(res, 426, "unsupported Sec-WebSocket-Version (13 is)");
  std::string_view key = trim(req.fields.get("Sec-WebSocket-Key").value_or(""));
  if (req.fields.count("Sec-WebSocket-Key") != 1 || !detail::valid_key(key))
    refuse(res, 400, "bad Sec-WebSocket-Key");
  if (auto origin = req.fields.get("Origin"); origin && !origin_allowed(*origin, req, o))
    refuse(res, 403, "origin " + std::string(*origin) + " not allowed");

  std::string chosen;
  for (const auto& mine : o.subprotocols) {
    for (const auto& [name, value] : req.fields)
      if (http::iequals(name, "Sec-WebSocket-Protocol") && offers(value, mine)) chosen = mine;
    if (!chosen.empty()) break;
  }

  http::headers extra;
  extra.add("Upgrade", "websocket");
  extra.add("Sec-WebSocket-Accept", detail::accept_value(key));
  if (!chosen.empty()) extra.add("Sec-WebSocket-Protocol", chosen);
  net::stream& s = res.upgrade(extra);
  return connection(s, role::server, {o.max_message, o.close_timeout, o.on_pong}, chosen);
}

}  // namespace weft::websocket
