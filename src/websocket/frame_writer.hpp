// frame_writer: builds frames with wslay; a client's frames are masked with a fresh key
// from OpenSSL's CSPRNG each (RFC 6455 section 5.3).
#pragma once

#include <wslay/wslay.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>

#include "websocket/opcode.hpp"
#include "weft/websocket/connection.hpp"

namespace weft::websocket::detail {

// Takes all of data or throws.
struct byte_sink {
  void (*write)(void* obj, std::span<const std::byte> data);
  void* obj;
};

class frame_writer {
 public:
  explicit frame_writer(role r);
  ~frame_writer();
  frame_writer(const frame_writer&) = delete;
  frame_writer& operator=(const frame_writer&) = delete;

  // One frame into sink. An exception from the sink (or the mask source) propagates; the
  // frame is then cut short and the writer must not be used again.
  void write(std::uint8_t opcode, bool fin, std::span<const std::byte> payload, byte_sink sink);

 private:
  static ssize_t send_callback(const std::uint8_t* data, std::size_t len, int flags, void* self);
  static int genmask_callback(std::uint8_t* buf, std::size_t len, void* self);

  wslay_frame_context_ptr ctx_ = nullptr;
  bool mask_;
  byte_sink sink_{};
  std::exception_ptr error_;
};

}  // namespace weft::websocket::detail
