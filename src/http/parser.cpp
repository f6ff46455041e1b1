// parser: libhttp-parser driven one message at a time (it pauses after the head and after
// the message, so pipelined bytes stay with the caller), plus the framing rules of RFC 9112
// section 6 that stop request smuggling.
#include "parser.hpp"

#include <climits>
#include <mutex>
#include <vector>

namespace weft::http::detail {

namespace {

parser* self(http_parser* p) { return static_cast<parser*>(p->data); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The comma-separated tokens of every field named `name`, in order.
std::vector<std::string_view> tokens(const headers& h, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : h) {
    if (!iequals(k, name)) continue;
    std::string_view rest = v;
    for (;;) {
      std::size_t comma = rest.find(',');
      std::string_view t = trim(rest.substr(0, comma));
      if (!t.empty()) out.push_back(t);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace

parser::parser(kind k, parse_limits lim) : kind_(k), lim_(lim) {
  // libhttp-parser's own header cap is process-wide; ours are per server and checked in the
  // callbacks, so lift its cap out of their way once.
  static std::once_flag once;
  std::call_once(once, [] { http_parser_set_max_header_size(UINT32_MAX / 2); });
  reset();
}

void parser::reset() {
  http_parser_init(&p_, kind_ == kind::request ? HTTP_REQUEST : HTTP_RESPONSE);
  p_.data = this;
  started_ = head_done_ = message_done_ = false;
  keep_alive_ = upgrade_ = chunked_ = in_value_ = false;
  content_length_.reset();
  header_bytes_ = head_bytes_ = 0;
  body_total_ = 0;
  method.clear();
  url.clear();
  status = 0;
  status_text.clear();
  version_major = version_minor = 1;
  fields.clear();
  field_.clear();
  value_.clear();
  body_.clear();
  error_status_ = 0;
  error_text_.clear();
}

int parser::fail(int st, std::string text) {
  if (error_status_ == 0) {
    error_status_ = st;
    error_text_ = std::move(text);
  }
  return -1;
}

parser::step parser::feed(const char* data, std::size_t n) {
  static const http_parser_settings cb = [] {
    http_parser_settings s{};
    s.on_message_begin = &parser::on_message_begin;
    s.on_url = &parser::on_url;
    s.on_status = &parser::on_status;
    s.on_header_field = &parser::on_header_field;
    s.on_header_value = &parser::on_header_value;
    s.on_headers_complete = &parser::on_headers_complete;
    s.on_body = &parser::on_body;
    s.on_message_complete = &parser::on_message_complete;
    return s;
  }();
  if (error_status_ != 0) return {0, parse_event::error};
  if (message_done_) return {0, parse_event::done};
  const bool had_head = head_done_;
  // The head's byte budget is enforced where it is crossed, not after a large feed: so the
  // outcome (431 here, or a syntax error further on) does not depend on how input is split.
  const std::size_t head_budget = lim_.max_request_line + lim_.max_header_bytes + 4 * lim_.max_headers + 64;
  if (!head_done_ && n > head_budget - head_bytes_ + 1) n = head_budget - head_bytes_ + 1;
  std::size_t used = http_parser_execute(&p_, &cb, data, n);
  http_errno e = HTTP_PARSER_ERRNO(&p_);
  if (e == HPE_PAUSED) {
    http_parser_pause(&p_, 0);
  } else if (e != HPE_OK || error_status_ != 0) {
    if (error_status_ == 0) {
      if (e == HPE_HEADER_OVERFLOW)
        fail(431, "header section too large");
      else
        fail(400, std::string("malformed message: ") + http_errno_description(e));
    }
    return {used, parse_event::error};
  }
  if (n == 0) {  // end of input
    if (message_done_) return {0, parse_event::done};
    if (!started_) return {0, parse_event::need_more};
    fail(400, "connection closed in the middle of a message");
    return {0, parse_event::error};
  }
  if (!head_done_) {
    head_bytes_ += used;
    // Whitespace and line ends the callbacks never see still count against the head.
    if (head_bytes_ > head_budget) {
      fail(url.size() >= lim_.max_request_line ? 414 : 431, "header section too large");
      return {used, parse_event::error};
    }
  }
  if (message_done_ && had_head) return {used, parse_event::done};
  if (head_done_ && !had_head) return {used, parse_event::head};
  if (message_done_) return {used, parse_event::done};
  return {used, parse_event::need_more};
}

int parser::on_message_begin(http_parser* p) {
  self(p)->started_ = true;
  return 0;
}

int parser::on_url(http_parser* p, const char* at, std::size_t n) {
  parser& s = *self(p);
  s.started_ = true;
  if (s.url.size() + n > s.lim_.max_request_line) return s.fail(414, "request target too long");
  s.url.append(at, n);
  return 0;
}

int parser::on_status(http_parser* p, const char* at, std::size_t n) {
  parser& s = *self(p);
  if (s.status_text.size() + n > s.lim_.max_request_line) return s.fail(400, "status line too long");
  s.status_text.append(at, n);
  return 0;
}

int parser::on_header_field(http_parser* p, const char* at, std::size_t n) {
  parser& s = *self(p);
  if (s.in_value_) {
    if (!s.head_done_) s.fields.add(s.field_, s.value_);
    s.field_.clear();
    s.value_.clear();
    s.in_value_ = false;
  }
  s.header_bytes_ += n;
  if (s.header_bytes_ > s.lim_.max_header_bytes) return s.fail(431, "header fields too large");
  if (s.field_.empty() && s.fields.size() >= s.lim_.max_headers) return s.fail(431, "too many header fields");
  if (!s.head_done_) s.field_.append(at, n);
  else if (s.field_.empty()) s.field_.push_back('t');  // a trailer: counted, not kept
  return 0;
}

int parser::on_header_value(http_parser* p, const char* at, std::size_t n) {
  parser& s = *self(p);
  s.in_value_ = true;
  s.header_bytes_ += n;
  if (s.header_bytes_ > s.lim_.max_header_bytes) return s.fail(431, "header fields too large");
  if (!s.head_done_) s.value_.append(at, n);
  return 0;
}

namespace {
// RFC 9110 5.6.2: a field name is a token.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}
}  // namespace

bool parser::check_framing() {
  for (const auto& f : fields)
    if (!is_token(f.first)) return fail(400, "bad field name"), false;
  // RFC 9112 6.1-6.3: a request whose length is ambiguous must be refused, never guessed.
  if (fields.count("content-length") > 1) return fail(400, "more than one Content-Length"), false;
  auto te = tokens(fields, "transfer-encoding");
  if (fields.contains("transfer-encoding")) {
    if (fields.contains("content-length"))
      return fail(400, "both Transfer-Encoding and Content-Length"), false;
    if (kind_ == kind::request) {
      if (version_major == 1 && version_minor == 0)
        return fail(400, "Transfer-Encoding in an HTTP/1.0 request"), false;
      if (te.empty() || !iequals(te.back(), "chunked"))
        return fail(400, "Transfer-Encoding does not end in chunked"), false;
      for (std::size_t i = 0; i + 1 < te.size(); ++i) {
        if (iequals(te[i], "chunked")) return fail(400, "chunked applied twice"), false;
        return fail(501, "unsupported transfer coding"), false;
      }
    }
  }
  if (kind_ == kind::request) {
    std::size_t hosts = fields.count("host");
    if (hosts > 1) return fail(400, "more than one Host"), false;
    if (hosts == 0 && version_major == 1 && version_minor >= 1) return fail(400, "no Host field"), false;
  }
  return true;
}

int parser::on_headers_complete(http_parser* p) {
  parser& s = *self(p);
  if (s.in_value_ || !s.field_.empty()) {
    s.fields.add(s.field_, s.value_);
    s.field_.clear();
    s.value_.clear();
    s.in_value_ = false;
  }
  s.head_done_ = true;
  s.version_major = p->http_major;
  s.version_minor = p->http_minor;
  if (s.kind_ == kind::request)
    s.method = http_method_str(static_cast<http_method>(p->method));
  else
    s.status = p->status_code;
  s.keep_alive_ = http_should_keep_alive(p) != 0;
  s.upgrade_ = p->upgrade != 0;
  s.chunked_ = (p->flags & F_CHUNKED) != 0;
  if ((p->flags & F_CONTENTLENGTH) && !s.chunked_) s.content_length_ = p->content_length;
  if (!s.check_framing()) return -1;
  if (s.content_length_ && *s.content_length_ > s.lim_.max_body) return s.fail(413, "request body too large");
  http_parser_pause(p, 1);
  return (s.kind_ == kind::response && s.head_response_) ? 1 : 0;
}

int parser::on_body(http_parser* p, const char* at, std::size_t n) {
  parser& s = *self(p);
  s.body_total_ += n;
  if (s.body_total_ > s.lim_.max_body) return s.fail(413, "body too large");
  s.body_.append(at, n);
  return 0;
}

int parser::on_message_complete(http_parser* p) {
  parser& s = *self(p);
  s.message_done_ = true;
  s.started_ = true;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace weft::http::detail
