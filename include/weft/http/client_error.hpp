// The HTTP client's errors: the exception every failed request raises, and the outcomes
// HTTP adds to errno, TLS and DNS codes.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>

namespace weft::http {

enum class client_errc {
  bad_url = 1,         // not an absolute http:// or https:// URL
  bad_request,         // a header name or value the client refuses to send (CR, LF, ...)
  bad_response,        // the server's answer is not HTTP/1.x
  closed,              // the connection ended before the response did
  too_many_redirects,  // more than max_redirects redirects
  body_too_large,      // the body exceeds client_options::max_body
};
const std::error_category& client_category() noexcept;
inline std::error_code make_error_code(client_errc e) noexcept { return {static_cast<int>(e), client_category()}; }

// A request that failed. what() names the method, the URL (without user info) and the
// failure: "GET http://127.0.0.1:1/: connect to 127.0.0.1:1: Connection refused". code()
// is the underlying one: an errno code (connection_refused), std::errc::timed_out for the
// request's deadline, dns_category(), tls_verify_category() (an untrusted certificate),
// openssl_category(), or client_errc. A status such as 404 or 500 is not an error: it is
// a reply.
class error : public std::system_error {
 public:
  error(std::error_code ec, std::string method, std::string url, const std::string& detail)
      : std::system_error(ec), what_(method + " " + url + ": " + detail), method_(std::move(method)),
        url_(std::move(url)) {}
  // The detail already ends with the code's message; std::system_error would add it again.
  const char* what() const noexcept override { return what_.c_str(); }
  const std::string& method() const noexcept { return method_; }
  const std::string& url() const noexcept { return url_; }

 private:
  std::string what_;
  std::string method_;
  std::string url_;
};

}  // namespace weft::http

template <>
struct std::is_error_code_enum<weft::http::client_errc> : std::true_type {};
