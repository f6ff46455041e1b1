// url: parsing, percent-encoding, dot-segment removal and reference resolution (RFC 3986).
#include "weft/http/url.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

namespace weft::http {
namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw url_error("bad URL \"" + std::string(text) + "\": " + why);
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }
bool unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
bool sub_delim(char c) { return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos; }

void append_escape(std::string& out, unsigned char c) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += '%';
  out += digits[c >> 4];
  out += digits[c & 15];
}

// Keeps valid %XX escapes and the characters RFC 3986 allows raw in this component;
// encodes the rest (spaces, controls, non-ASCII bytes, a stray '%').
std::string normalize(std::string_view s, std::string_view extra) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.append(s.substr(i, 3));
      i += 2;
    } else if (unreserved(c) || sub_delim(c) || extra.find(c) != std::string_view::npos) {
      out += c;
    } else {
      append_escape(out, static_cast<unsigned char>(c));
    }
  }
  return out;
}

// RFC 3986 section 5.2.4, on a path that starts with '/'.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 1;
  bool trailing = false;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    trailing = false;
    if (seg == ".") {
      trailing = true;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = true;
    } else {
      out.push_back(seg);
    }
    i = j + 1;
  }
  std::string r;
  for (auto seg : out) {
    r += '/';
    r += seg;
  }
  if (trailing || r.empty()) r += '/';
  return r;
}

std::uint16_t parse_port(std::string_view text, std::string_view p) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc() || end != p.data() + p.size()) bad(text, "bad port \"" + std::string(p) + "\"");
  if (v == 0 || v > 65535) bad(text, "port " + std::string(p) + " out of range");
  return static_cast<std::uint16_t>(v);
}

// The scheme if `s` starts with one ("http:", "mailto:"), else "".
std::string_view scheme_of(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return {};
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return s.substr(0, i);
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

url url::parse(std::string_view text) {
  const std::string_view whole = text;
  text = trim(text);
  std::string_view scheme = scheme_of(text);
  if (scheme.empty()) bad(whole, "no scheme (expected http:// or https://)");
  url u;
  for (char c : scheme) u.scheme += lower(c);
  if (u.scheme != "http" && u.scheme != "https") bad(whole, "unsupported scheme \"" + u.scheme + "\"");
  text.remove_prefix(scheme.size() + 1);
  if (text.substr(0, 2) != "//") bad(whole, "expected \"//\" after the scheme");
  text.remove_prefix(2);

  std::size_t auth_end = text.find_first_of("/?#");
  std::string_view auth = text.substr(0, auth_end);
  text.remove_prefix(auth_end == std::string_view::npos ? text.size() : auth_end);

  if (std::size_t at = auth.rfind('@'); at != std::string_view::npos) {
    u.userinfo = normalize(auth.substr(0, at), ":");
    auth.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!auth.empty() && auth[0] == '[') {
    std::size_t close = auth.find(']');
    if (close == std::string_view::npos) bad(whole, "unterminated IPv6 literal");
    std::string literal(auth.substr(1, close - 1));
    in6_addr a6;
    if (inet_pton(AF_INET6, literal.c_str(), &a6) != 1) bad(whole, "bad IPv6 literal \"" + literal + "\"");
    for (char c : literal) u.host += lower(c);
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') bad(whole, "unexpected text after the IPv6 literal");
      port = rest.substr(1);
    }
  } else {
    std::size_t colon = auth.find(':');
    std::string_view host = auth.substr(0, colon);
    if (colon != std::string_view::npos) port = auth.substr(colon + 1);
    for (char c : host) {
      if (!unreserved(c) && !sub_delim(c)) bad(whole, std::string("bad character '") + c + "' in the host");
      u.host += lower(c);
    }
  }
  if (u.host.empty()) bad(whole, "no host");
  u.port = port.empty() ? (u.tls() ? 443 : 80) : parse_port(whole, port);

  std::size_t hash = text.find('#');
  if (hash != std::string_view::npos) text = text.substr(0, hash);
  std::size_t q = text.find('?');
  std::string_view path = text.substr(0, q);
  if (q != std::string_view::npos) {
    u.has_query = true;
    u.query = normalize(text.substr(q + 1), ":@/?");
  }
  u.path = path.empty() ? "/" : remove_dot_segments(normalize(path, ":@/"));
  return u;
}

std::string url::target() const { return has_query ? path + "?" + query : path; }

std::string url::authority() const {
  std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port()) a += ":" + std::to_string(port);
  return a;
}

std::string url::to_string() const { return scheme + "://" + authority() + target(); }

url url::resolve(std::string_view ref) const {
  ref = trim(ref);
  if (std::size_t hash = ref.find('#'); hash != std::string_view::npos) ref = ref.substr(0, hash);
  if (!scheme_of(ref).empty()) return parse(ref);
  std::string base = scheme + "://";
  if (ref.substr(0, 2) == "//") return parse(scheme + ":" + std::string(ref));
  if (!userinfo.empty()) base += userinfo + "@";
  base += authority();
  if (ref.empty()) return parse(base + target());
  if (ref[0] == '/') return parse(base + std::string(ref));
  if (ref[0] == '?') return parse(base + path + std::string(ref));
  // A relative path: merge with the base path's directory; parse() removes dot segments.
  return parse(base + path.substr(0, path.rfind('/') + 1) + std::string(ref));
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
    if (lo < 0) throw url_error("bad percent-escape in \"" + std::string(s) + "\"");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string percent_encode(std::string_view s, std::string_view keep) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (unreserved(c) || keep.find(c) != std::string_view::npos) out += c;
    else append_escape(out, static_cast<unsigned char>(c));
  }
  return out;
}

}  // namespace weft::http
