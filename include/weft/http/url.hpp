// url: absolute http/https URLs as the client needs them (RFC 3986, the parts HTTP uses),
// and resolving a redirect's Location against the URL it came from.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weft::http {

// A malformed or unsupported URL; what() quotes it and says what is wrong
// ("bad URL \"http://[::1/\": unterminated IPv6 literal").
class url_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Parsed http:// or https:// URL. Invariants after parse(): scheme is "http" or "https"
// (lower case); host is non-empty, lower case, and an IPv6 literal is kept without its
// brackets; port is the explicit port or the scheme's default; path starts with '/' and,
// like query, is percent-encoded (bytes that may not appear raw were encoded, existing
// %XX escapes kept); the fragment is dropped (it is never sent).
struct url {
  std::string scheme;
  std::string userinfo;  // "user:password" still percent-encoded; "" if none
  std::string host;
  std::uint16_t port = 0;
  std::string path = "/";
  std::string query;     // without the '?'; "" if none
  bool has_query = false;

  // Throws url_error. Accepts only absolute http/https URLs ("example.com/x" is refused:
  // there is no scheme to guess).
  static url parse(std::string_view text);

  bool tls() const noexcept { return scheme == "https"; }
  bool default_port() const noexcept { return port == (tls() ? 443 : 80); }
  // The request target: path plus "?query".
  std::string target() const;
  // The Host header: host (bracketed if IPv6) plus ":port" unless the default.
  std::string authority() const;
  // scheme://authority/target, without userinfo: what error messages and logs show.
  std::string to_string() const;
  // The target of a redirect: `ref` (a Location value, absolute or relative) resolved
  // against this URL as RFC 3986 section 5.2 says. Throws url_error.
  url resolve(std::string_view ref) const;
};

// %XX-decodes `s` ('+' is left alone: that is a form convention, not a URL one). Throws
// url_error on a '%' not followed by two hex digits.
std::string percent_decode(std::string_view s);
// Encodes every byte outside RFC 3986's unreserved set and `keep`, as %XX (upper case).
std::string percent_encode(std::string_view s, std::string_view keep = "");

}  // namespace weft::http
