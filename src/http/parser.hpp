// parser: the HTTP/1.x message parser (Debian's libhttp-parser, Node.js's parser for a
// decade) wrapped as a pure state machine, with weft's limits and RFC 9112 framing checks.
// No I/O: feed() bytes, get events. The server, the client and the fuzzers all use it.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weft/http/headers.hpp"

namespace weft::http::detail {

struct parse_limits {
  std::size_t max_request_line = 8192;   // URL (or status text) bytes
  std::size_t max_header_bytes = 65536;  // names + values
  std::size_t max_headers = 100;
  std::uint64_t max_body = UINT64_MAX;
};

enum class parse_event {
  need_more,  // all input consumed, the message goes on
  head,       // the header section is complete (fields below are valid)
  done,       // the message is complete (body() may still hold its last bytes)
  error,      // error_status() / error_text(); the connection must close
};

// Invariants: after `head`, the head fields stay unchanged until reset(); body bytes
// accumulate in body() (the caller takes them) and trailer fields are dropped; after `done`
// feed() parses nothing until reset(); after `error` nothing until reset().
class parser {
 public:
  enum class kind { request, response };
  explicit parser(kind k, parse_limits lim = {});
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  // Prepares for the next message on the same connection (keep-alive).
  void reset();
  // For responses: the request was HEAD (no body follows whatever the fields say).
  void set_head_response(bool on) noexcept { head_response_ = on; }

  struct step {
    std::size_t consumed;
    parse_event ev;
  };
  // Parses data[0..n). Stops after the head and after the end of the message, so pipelined
  // bytes after it are not consumed. n == 0 means the input ended (EOF): a response
  // delimited by close completes, anything else partial is an error.
  step feed(const char* data, std::size_t n);

  // The head.
  std::string method;        // requests
  std::string url;           // requests
  int status = 0;            // responses
  std::string status_text;   // responses
  int version_major = 1, version_minor = 1;
  headers fields;
  bool keep_alive() const noexcept { return keep_alive_; }
  bool upgrade() const noexcept { return upgrade_; }
  bool chunked() const noexcept { return chunked_; }
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  bool started() const noexcept { return started_; }  // some byte of a message arrived
  bool head_done() const noexcept { return head_done_; }
  bool message_done() const noexcept { return message_done_; }
  std::uint64_t body_total() const noexcept { return body_total_; }

  std::string& body() noexcept { return body_; }

  int error_status() const noexcept { return error_status_; }
  const std::string& error_text() const noexcept { return error_text_; }

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, std::size_t n);
  static int on_status(http_parser* p, const char* at, std::size_t n);
  static int on_header_field(http_parser* p, const char* at, std::size_t n);
  static int on_header_value(http_parser* p, const char* at, std::size_t n);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, std::size_t n);
  static int on_message_complete(http_parser* p);
  int fail(int status, std::string text);
  bool check_framing();

  http_parser p_;
  kind kind_;
  parse_limits lim_;
  bool head_response_ = false;
  bool started_ = false, head_done_ = false, message_done_ = false;
  bool keep_alive_ = false, upgrade_ = false, chunked_ = false;
  bool in_value_ = false;  // the last header callback was a value
  bool after_lf_ = false;  // the last head byte seen was '\n' (obs-fold detection)
  std::optional<std::uint64_t> content_length_;
  std::size_t header_bytes_ = 0;
  std::size_t head_bytes_ = 0;  // bytes consumed before the head completed
  std::uint64_t body_total_ = 0;
  std::string field_, value_;
  std::string body_;
  int error_status_ = 0;
  std::string error_text_;
};

}  // namespace weft::http::detail
