// response_parser: an HTTP/1.x response decoder over Debian's libhttp-parser (status line,
// headers, Content-Length / chunked / read-until-close bodies), for the client.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "weft/http/client_error.hpp"
#include "weft/http/headers.hpp"

struct http_parser;  // <http_parser.h>, kept out of this header

namespace weft::http::detail {

// Throws a std::system_error of `e` whose what() is exactly `what` (the standard one would
// append the code's message to it).
[[noreturn]] void fail(client_errc e, std::string what);

// Feed it the bytes of one connection; it decodes exactly one final response (interim 1xx
// responses other than 101 are skipped) and stops after it: bytes past the end are not
// consumed. Callbacks run inside feed(); an exception they throw (a kill included) is
// carried out of http_parser's C frames and rethrown from feed().
class response_parser {
 public:
  // head_request: the response to HEAD has no body whatever its headers say.
  explicit response_parser(bool head_request);
  ~response_parser();
  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  // Called once the final response's headers are in (status(), fields() are valid).
  std::function<void()> on_headers;
  // Called with each piece of the body, chunked framing already removed.
  std::function<void(std::string_view)> on_body;

  // Consumes bytes up to the end of the response; returns how many. Throws
  // std::system_error (client_errc::bad_response, naming http_parser's reason) on a
  // malformed response.
  std::size_t feed(std::string_view data);
  // The connection reached its end: completes a read-until-close body, or throws
  // client_errc::closed if the response is incomplete.
  void feed_eof();

  bool headers_done() const noexcept { return headers_done_; }
  bool done() const noexcept { return done_; }
  int status() const noexcept { return status_; }
  int version_minor() const noexcept { return version_minor_; }
  const std::string& reason() const noexcept { return reason_; }
  headers& fields() noexcept { return fields_; }
  // From Content-Length, once the headers are in; nullopt for chunked or until-close bodies.
  std::optional<std::uint64_t> content_length() const noexcept { return length_; }
  // After done(): the connection may carry another request (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with keep-alive, and the body had a known end).
  bool keep_alive() const noexcept { return keep_alive_; }

 private:
  struct c_api;
  friend struct c_api;
  void flush_header();

  std::unique_ptr<::http_parser> parser_;
  bool head_;
  bool headers_done_ = false;
  bool done_ = false;
  bool keep_alive_ = false;
  bool in_value_ = false;
  int status_ = 0;
  int version_minor_ = 1;
  std::string reason_;
  std::string name_, value_;
  headers fields_;
  std::optional<std::uint64_t> length_;
  std::exception_ptr failure_;
};

}  // namespace weft::http::detail
