// stream: a buffered reader and writer over a byte stream (a socket now, TLS later);
// Python's socket.makefile(), with the framing reads protocols need.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace weft::net {

// What a stream reads and writes through: socket qualifies, and so will a TLS session.
// describe() (optional) names the peer in error messages.
template <class S>
concept byte_stream = requires(S& s, std::span<std::byte> r, std::span<const std::byte> w, std::error_code& ec) {
  { s.read_some(r, ec) } -> std::convertible_to<std::size_t>;
  { s.write_some(w, ec) } -> std::convertible_to<std::size_t>;
};

// Buffers reads (so line and delimiter framing costs few syscalls) and writes (so many small
// writes become one send). Refers to the underlying stream, which must outlive it. Each
// call that needs the network blocks only the calling tasklet, and each underlying read or
// write obeys that object's timeout (a socket's timeout bounds each refill or send, not the
// whole call). A killed tasklet unwinds from any such call; bytes already buffered stay in
// the buffer. Throwing forms raise std::system_error naming the operation and the peer
// (timeouts: weft::timeout_error); framing failures use stream_errc (error.hpp).
//
// The destructor does not flush: flushing may block, and a destructor running because the
// tasklet was killed must not. Call flush() before dropping a stream you wrote to.
class stream {
 public:
  template <byte_stream S>
  explicit stream(S& s, std::size_t buffer_size = 8192)
      : obj_(&s),
        read_([](void* o, std::span<std::byte> b, std::error_code& ec) -> std::size_t {
          return static_cast<S*>(o)->read_some(b, ec);
        }),
        write_([](void* o, std::span<const std::byte> b, std::error_code& ec) -> std::size_t {
          return static_cast<S*>(o)->write_some(b, ec);
        }),
        describe_([](const void* o) -> std::string {
          if constexpr (requires(const S& c) { { c.describe() } -> std::convertible_to<std::string>; })
            return static_cast<const S*>(o)->describe();
          else
            return {};
        }),
        capacity_(buffer_size == 0 ? 1 : buffer_size) {}

  stream(stream&&) noexcept = default;
  stream& operator=(stream&&) noexcept = default;

  // ---- reading ----
  // Up to buf.size() bytes: buffered bytes first, else one read of the underlying stream.
  // 0 means the end of the stream.
  std::size_t read_some(std::span<std::byte> buf);
  std::size_t read_some(std::span<std::byte> buf, std::error_code& ec);
  // One line including its '\n'; at most `max` bytes (a longer line comes in pieces); the
  // last line may lack '\n'; "" only at the end of the stream. Python's readline().
  std::string read_line(std::size_t max = 65536);
  std::string read_line(std::size_t max, std::error_code& ec);
  // Everything up to and including `delim`. Fails with stream_errc::eof if the stream ends
  // first, stream_errc::too_long if `delim` is not within the first `max` bytes; in both
  // cases nothing is consumed.
  std::string read_until(std::string_view delim, std::size_t max = 65536);
  std::string read_until(std::string_view delim, std::size_t max, std::error_code& ec);
  // Exactly n bytes, or stream_errc::eof (the bytes read so far are consumed; the error_code
  // form returns how many).
  std::string read_exact(std::size_t n);
  void read_exact(std::span<std::byte> buf);
  std::size_t read_exact(std::span<std::byte> buf, std::error_code& ec);
  // Everything until the end of the stream. Python's read().
  std::string read_all();
  // Bytes that can be read without touching the underlying stream.
  std::size_t buffered() const noexcept { return rend_ - rpos_; }

  // ---- writing ----
  // Appends to the write buffer, sending when it fills (data at least as large as the buffer
  // goes straight out after what is buffered). On failure, what was not sent is dropped.
  void write(std::string_view data) { write(std::as_bytes(std::span(data))); }
  void write(std::span<const std::byte> data);
  void write(std::span<const std::byte> data, std::error_code& ec);
  // Sends everything buffered.
  void flush();
  void flush(std::error_code& ec);
  std::size_t pending() const noexcept { return wbuf_.size(); }

 private:
  std::size_t fill(std::error_code& ec);  // one underlying read into the buffer; 0 at EOF
  std::size_t find_delim(std::string_view delim, std::size_t max, bool lenient, std::error_code& ec);
  std::string take(std::size_t n);
  void write_all(std::span<const std::byte> data, std::error_code& ec);
  [[noreturn]] void fail(const std::error_code& ec, const char* op) const;

  void* obj_;
  std::size_t (*read_)(void*, std::span<std::byte>, std::error_code&);
  std::size_t (*write_)(void*, std::span<const std::byte>, std::error_code&);
  std::string (*describe_)(const void*);
  std::size_t capacity_;
  std::vector<std::byte> rbuf_;  // [rpos_, rend_) holds unread bytes
  std::size_t rpos_ = 0;
  std::size_t rend_ = 0;
  std::vector<std::byte> wbuf_;
};

}  // namespace weft::net
