// response: the status line and fields go out with the first body byte; the body is framed
// by Content-Length, by chunks (HTTP/1.1) or by closing the connection (HTTP/1.0).
#include <charconv>
#include <stdexcept>

#include "connection.hpp"

namespace weft::http {

namespace {
bool bodiless(int status) { return status < 200 || status == 204 || status == 304; }

void append_number(std::string& s, std::uint64_t v, int base = 10) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  s.append(buf, r.ptr);
}
}  // namespace

void response::reset() noexcept {
  fields_.clear();
  reason_.clear();
  status_ = 200;
  committed_ = finished_ = chunked_ = head_ = false;
  length_.reset();
  body_bytes_ = 0;
}

void response::status(int code, std::string_view reason) {
  if (committed_) throw std::logic_error("http::response::status: already committed");
  if (code < 100 || code > 999) throw std::invalid_argument("http::response::status: bad code");
  status_ = code;
  reason_.assign(reason);
}

void response::commit() {
  if (committed_) return;
  auto& c = *conn_;
  if (!length_) {
    if (auto v = fields_.get("content-length")) {
      std::uint64_t n = 0;
      auto r = std::from_chars(v->data(), v->data() + v->size(), n);
      if (r.ec != std::errc() || r.ptr != v->data() + v->size())
        throw std::invalid_argument("http::response: bad Content-Length field");
      length_ = n;
    }
  }
  if (!bodiless(status_)) {
    if (!length_) {
      if (c.req_.version_minor >= 1)
        chunked_ = true;
      else
        c.close_after_ = true;
    }
  }
  // A request body left unread cannot be skipped safely when the client still waits for
  // "100 Continue", or when it is long: then the connection ends after this response.
  if (!c.p_.message_done() && !c.close_after_) {
    auto cl = c.p_.content_length();
    if (c.expect_continue_ || !cl || *cl - c.p_.body_total() > detail::drain_limit) c.close_after_ = true;
  }
  if (c.stopping()) c.close_after_ = true;
  std::string& head = c.head_;
  head.clear();
  head.append(c.req_.version_minor >= 1 ? "HTTP/1.1 " : "HTTP/1.0 ");
  append_number(head, static_cast<std::uint64_t>(status_));
  head.push_back(' ');
  head.append(reason_.empty() ? reason_phrase(status_) : std::string_view(reason_));
  head.append("\r\nDate: ");
  head.append(detail::http_date());
  head.append("\r\n");
  for (const auto& [k, v] : fields_) {
    if (iequals(k, "content-length") || iequals(k, "transfer-encoding")) continue;
    if (iequals(k, "connection") && header_has_token(v, "close")) c.close_after_ = true;
    if (iequals(k, "connection")) continue;
    head.append(k).append(": ").append(v).append("\r\n");
  }
  if (!bodiless(status_)) {
    if (length_) {
      head.append("Content-Length: ");
      append_number(head, *length_);
      head.append("\r\n");
    } else if (chunked_) {
      head.append("Transfer-Encoding: chunked\r\n");
    }
  }
  if (c.close_after_)
    head.append("Connection: close\r\n");
  else if (c.req_.version_minor == 0)
    head.append("Connection: keep-alive\r\n");
  head.append("\r\n");
  committed_ = true;
  c.out(head);
}

void response::write(std::string_view data) {
  if (finished_) throw std::logic_error("http::response::write: the response has ended");
  commit();
  if (data.empty()) return;
  if (length_ && body_bytes_ + data.size() > *length_)
    throw std::logic_error("http::response::write: more bytes than Content-Length");
  body_bytes_ += data.size();
  if (head_ || bodiless(status_)) return;
  auto& c = *conn_;
  if (chunked_) {
    std::string size;
    append_number(size, data.size(), 16);
    size.append("\r\n");
    c.out(size);
    c.out(data);
    c.out("\r\n");
  } else {
    c.out(data);
  }
}

void response::flush() {
  commit();
  conn_->flush_or_throw();
}

void response::end() {
  if (finished_) return;
  if (!committed_ && !length_ && !fields_.contains("content-length")) length_ = 0;
  commit();
  finished_ = true;
  if (chunked_ && !head_) conn_->out("0\r\n\r\n");
  if (length_ && body_bytes_ < *length_ && !head_ && !bodiless(status_)) conn_->close_after_ = true;
}

void response::send(int code, std::string_view body, std::string_view content_type) {
  if (committed_) throw std::logic_error("http::response::send: already committed");
  status(code);
  if (!content_type.empty() && !bodiless(code)) fields_.set("Content-Type", content_type);
  fields_.remove("content-length");
  length_ = bodiless(code) ? 0 : body.size();
  write(body);
  end();
}

void response::send_file(int fd, std::uint64_t offset, std::uint64_t length) {
  if (!committed_ && !length_ && !fields_.contains("content-length")) length_ = length;
  commit();
  if (length_ && body_bytes_ + length > *length_)
    throw std::logic_error("http::response::send_file: more bytes than Content-Length");
  if (head_ || bodiless(status_)) {
    body_bytes_ += length;
    return;
  }
  if (chunked_) {
    std::string size;
    append_number(size, length, 16);
    size.append("\r\n");
    conn_->out(size);
    conn_->send_file(fd, offset, length);
    conn_->out("\r\n");
  } else {
    conn_->send_file(fd, offset, length);
  }
  body_bytes_ += length;
}

net::stream& response::upgrade(const headers& extra) {
  if (committed_) throw std::logic_error("http::response::upgrade: already committed");
  auto& c = *conn_;
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n";
  for (const auto& [k, v] : extra) {
    if (iequals(k, "connection")) continue;
    head.append(k).append(": ").append(v).append("\r\n");
  }
  head.append("\r\n");
  status_ = 101;
  committed_ = finished_ = true;
  c.out(head);
  c.flush_or_throw();
  return c.upgrade();
}

}  // namespace weft::http
