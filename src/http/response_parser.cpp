// response_parser: libhttp-parser's callbacks gathered into one response.
#include "response_parser.hpp"

#include <utility>

#include <http_parser.h>

#include "weft/http/client_error.hpp"

namespace weft::http::detail {

void fail(client_errc e, std::string what) {
  struct failure : std::system_error {
    failure(client_errc e, std::string w) : std::system_error(make_error_code(e)), what_(std::move(w)) {}
    const char* what() const noexcept override { return what_.c_str(); }
    std::string what_;
  };
  throw failure(e, std::move(what));
}

// The C callbacks. Each returns 0 to go on; a callback that fails keeps the exception in
// failure_ and pauses the parser, so no exception ever unwinds through http_parser's frames.
struct response_parser::c_api {
  static response_parser& self(http_parser* p) { return *static_cast<response_parser*>(p->data); }

  template <class F>
  static int guarded(http_parser* p, F&& f) {
    response_parser& r = self(p);
    try {
      return f(r);
    } catch (...) {
      r.failure_ = std::current_exception();
      http_parser_pause(p, 1);
      return 0;
    }
  }

  static int on_message_begin(http_parser* p) {
    response_parser& r = self(p);
    r.fields_ = headers{};
    r.name_.clear();
    r.value_.clear();
    r.reason_.clear();
    r.in_value_ = false;
    return 0;
  }
  static int on_status(http_parser* p, const char* at, std::size_t n) {
    self(p).reason_.append(at, n);
    return 0;
  }
  static int on_header_field(http_parser* p, const char* at, std::size_t n) {
    return guarded(p, [&](response_parser& r) {
      if (r.in_value_) r.flush_header();
      r.name_.append(at, n);
      return 0;
    });
  }
  static int on_header_value(http_parser* p, const char* at, std::size_t n) {
    response_parser& r = self(p);
    r.in_value_ = true;
    r.value_.append(at, n);
    return 0;
  }
  static int on_headers_complete(http_parser* p) {
    return guarded(p, [&](response_parser& r) {
      if (r.in_value_ || !r.name_.empty()) r.flush_header();
      r.status_ = p->status_code;
      r.version_minor_ = p->http_minor;
      // RFC 9110 section 6.4.1: the answer to HEAD, 1xx, 204 and 304 have no body whatever
      // Content-Length says (http_parser would read one); returning 1 tells it so.
      const bool interim = r.status_ / 100 == 1 && r.status_ != 101;
      const bool no_body = r.head_ || interim || r.status_ == 204 || r.status_ == 304;
      if (interim) return 1;  // skipped: the final response follows
      r.headers_done_ = true;
      if ((p->flags & F_CONTENTLENGTH) && !no_body) r.length_ = p->content_length;
      if (r.on_headers) r.on_headers();
      return no_body ? 1 : 0;
    });
  }
  static int on_body(http_parser* p, const char* at, std::size_t n) {
    return guarded(p, [&](response_parser& r) {
      if (r.on_body) r.on_body(std::string_view(at, n));
      return 0;
    });
  }
  static int on_message_complete(http_parser* p) {
    response_parser& r = self(p);
    if (!r.headers_done_) return 0;  // an interim 1xx response ended; the real one follows
    r.done_ = true;
    r.keep_alive_ = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1);  // stop here: what follows belongs to the next response
    return 0;
  }

  static const http_parser_settings& settings() {
    static const http_parser_settings s = [] {
      http_parser_settings s;
      http_parser_settings_init(&s);
      s.on_message_begin = on_message_begin;
      s.on_status = on_status;
      s.on_header_field = on_header_field;
      s.on_header_value = on_header_value;
      s.on_headers_complete = on_headers_complete;
      s.on_body = on_body;
      s.on_message_complete = on_message_complete;
      return s;
    }();
    return s;
  }
};

response_parser::response_parser(bool head_request) : parser_(std::make_unique<http_parser>()), head_(head_request) {
  http_parser_init(parser_.get(), HTTP_RESPONSE);
  parser_->data = this;
}

response_parser::~response_parser() = default;

void response_parser::flush_header() {
  fields_.add(name_, value_);
  name_.clear();
  value_.clear();
  in_value_ = false;
}

std::size_t response_parser::feed(std::string_view data) {
  if (done_) return 0;
  std::size_t n = http_parser_execute(parser_.get(), &c_api::settings(), data.data(), data.size());
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  auto err = static_cast<http_errno>(parser_->http_errno);
  if (err == HPE_PAUSED && done_) return n;
  if (err != HPE_OK)
    fail(client_errc::bad_response, std::string("malformed response: ") + http_errno_description(err));
  if (parser_->upgrade && !done_) done_ = true;  // 101: the rest belongs to the new protocol
  return n;
}

void response_parser::feed_eof() {
  if (done_) return;
  http_parser_execute(parser_.get(), &c_api::settings(), nullptr, 0);
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  if (!done_) {
    fail(client_errc::closed, headers_done_ ? "connection closed in the middle of the body"
                                            : "connection closed before a complete response");
  }
  keep_alive_ = false;
}

}  // namespace weft::http::detail
