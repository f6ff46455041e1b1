// stream: the read buffer is one vector refilled at its tail and compacted only when full;
// the write buffer is flushed when it reaches the buffer size.
#include "weft/net/stream.hpp"

#include <algorithm>
#include <cstring>

#include "net/throw.hpp"
#include "net/whole_transfer.hpp"
#include "weft/net/error.hpp"

namespace weft::net {

void stream::fail(const std::error_code& ec, const char* op) const {
  detail::throw_error(ec, op, describe_(obj_));
}

std::size_t stream::fill(std::error_code& ec) {
  if (rpos_ == rend_) rpos_ = rend_ = 0;
  if (rbuf_.empty()) rbuf_.resize(capacity_);
  if (rend_ == rbuf_.size()) {
    if (rpos_ > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rend_ - rpos_);
      rend_ -= rpos_;
      rpos_ = 0;
    } else {
      rbuf_.resize(rbuf_.size() * 2);
    }
  }
  std::size_t n = read_(obj_, std::span(rbuf_.data() + rend_, rbuf_.size() - rend_), ec);
  if (ec) return 0;
  rend_ += n;
  return n;
}

std::string stream::take(std::size_t n) {
  std::string s(reinterpret_cast<const char*>(rbuf_.data()) + rpos_, n);
  rpos_ += n;
  return s;
}

// Returns how many buffered bytes make up the answer; 0 with ec set on failure.
std::size_t stream::find_delim(std::string_view delim, std::size_t max, bool lenient, std::error_code& ec) {
  ec.clear();
  std::size_t from = 0;  // bytes before this offset cannot start the delimiter
  for (;;) {
    std::string_view have(reinterpret_cast<const char*>(rbuf_.data()) + rpos_, rend_ - rpos_);
    std::string_view window = have.substr(0, std::min(have.size(), max));
    if (auto i = window.find(delim, from); i != std::string_view::npos) return i + delim.size();
    if (window.size() >= delim.size()) from = window.size() - delim.size() + 1;
    if (have.size() >= max) {
      if (lenient) return max;
      ec = stream_errc::too_long;
      return 0;
    }
    if (fill(ec) == 0) {
      if (ec) return 0;
      if (lenient) return have.size();
      ec = stream_errc::eof;
      return 0;
    }
  }
}

std::size_t stream::read_some(std::span<std::byte> buf, std::error_code& ec) {
  ec.clear();
  if (buf.empty()) return 0;
  if (buffered() == 0) {
    if (buf.size() >= capacity_) return read_(obj_, buf, ec);  // large reads bypass the buffer
    if (fill(ec) == 0) return 0;
  }
  std::size_t n = std::min(buf.size(), buffered());
  std::memcpy(buf.data(), rbuf_.data() + rpos_, n);
  rpos_ += n;
  return n;
}

std::size_t stream::read_some(std::span<std::byte> buf) {
  std::error_code ec;
  std::size_t n = read_some(buf, ec);
  if (ec) fail(ec, "read from");
  return n;
}

std::string stream::read_line(std::size_t max, std::error_code& ec) {
  std::size_t n = find_delim("\n", max == 0 ? 1 : max, true, ec);
  return ec ? std::string() : take(n);
}

std::string stream::read_line(std::size_t max) {
  std::error_code ec;
  std::string s = read_line(max, ec);
  if (ec) fail(ec, "read_line from");
  return s;
}

std::string stream::read_until(std::string_view delim, std::size_t max, std::error_code& ec) {
  std::size_t n = find_delim(delim, max, false, ec);
  return ec ? std::string() : take(n);
}

std::string stream::read_until(std::string_view delim, std::size_t max) {
  std::error_code ec;
  std::string s = read_until(delim, max, ec);
  if (ec) fail(ec, "read_until from");
  return s;
}

std::size_t stream::read_exact(std::span<std::byte> buf, std::error_code& ec) {
  return detail::read_exact(buf, ec, [&](std::span<std::byte> rest, std::error_code& e) {
    return read_some(rest, e);
  });
}

void stream::read_exact(std::span<std::byte> buf) {
  std::error_code ec;
  read_exact(buf, ec);
  if (ec) fail(ec, "read_exact from");
}

std::string stream::read_exact(std::size_t n) {
  std::string s(n, '\0');
  read_exact(std::as_writable_bytes(std::span(s.data(), s.size())));
  return s;
}

std::string stream::read_all() {
  std::string s;
  std::error_code ec;
  for (;;) {
    s.append(reinterpret_cast<const char*>(rbuf_.data()) + rpos_, buffered());
    rpos_ = rend_;
    if (fill(ec) == 0) break;
  }
  if (ec) fail(ec, "read from");
  return s;
}

void stream::write_all(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  while (!data.empty()) {
    std::size_t n = write_(obj_, data, ec);
    if (ec) return;
    data = data.subspan(n);
  }
}

void stream::write(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  if (data.size() >= capacity_) {
    flush(ec);
    if (!ec) write_all(data, ec);
    return;
  }
  wbuf_.insert(wbuf_.end(), data.begin(), data.end());
  if (wbuf_.size() >= capacity_) flush(ec);
}

void stream::write(std::span<const std::byte> data) {
  std::error_code ec;
  write(data, ec);
  if (ec) fail(ec, "write to");
}

void stream::flush(std::error_code& ec) {
  ec.clear();
  if (wbuf_.empty()) return;
  write_all(wbuf_, ec);
  wbuf_.clear();
}

void stream::flush() {
  std::error_code ec;
  flush(ec);
  if (ec) fail(ec, "flush to");
}

}  // namespace weft::net
