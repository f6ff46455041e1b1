// request: reading the body through the connection's parser.
#include "connection.hpp"

namespace weft::http {

std::size_t request::read_some(std::span<std::byte> buf) {
  if (buf.empty() || !conn_) return 0;
  return conn_->read_body_some(buf);
}

std::string request::read_body(std::size_t max) {
  if (max == static_cast<std::size_t>(-1)) max = conn_ ? conn_->opt_.max_body : max;
  std::string out;
  if (auto n = content_length(); n && *n > max) {
    if (conn_) conn_->close_after_ = true;
    throw status_error(413, "request body too large");
  }
  std::byte buf[16 * 1024];
  for (;;) {
    std::size_t n = read_some(buf);
    if (n == 0) return out;
    if (out.size() + n > max) {
      if (conn_) conn_->close_after_ = true;
      throw status_error(413, "request body too large");
    }
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

std::optional<std::uint64_t> request::content_length() const noexcept {
  return conn_ ? conn_->p_.content_length() : std::nullopt;
}

bool request::has_body() const noexcept {
  if (!conn_) return false;
  return conn_->p_.chunked() || conn_->p_.content_length().value_or(0) > 0;
}

}  // namespace weft::http
