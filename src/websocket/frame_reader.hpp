// frame_reader: RFC 6455's receive rules over wslay's frame parser. Turns bytes into whole
// messages, control frames, or the close code a violation calls for. Knows nothing of
// sockets: bytes come from a byte_source, so the fuzzer drives it from memory.
#pragma once

#include <wslay/wslay.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>

#include "websocket/utf8.hpp"
#include "weft/websocket/connection.hpp"

namespace weft::websocket::detail {

// Fills buf with at least one byte and returns how many; 0 at the end of the stream. May
// throw (or be killed); the reader then keeps its state for the next call.
struct byte_source {
  std::size_t (*read)(void* obj, std::span<std::byte> buf);
  void* obj;
};

struct event {
  enum kind_t : std::uint8_t { text, binary, ping, pong, close, violation, end };
  kind_t kind = end;
  // close: the peer's code (1005 if it sent none); violation: the code to answer with.
  std::uint16_t code = 0;
  // The message or control payload; close and violation: the reason.
  std::string data;
};

class frame_reader {
 public:
  frame_reader(role r, std::size_t max_message);
  ~frame_reader();
  frame_reader(const frame_reader&) = delete;
  frame_reader& operator=(const frame_reader&) = delete;

  // Reads until a whole data message, a control frame, a violation of the protocol, or the
  // end of the stream. After close, violation or end, do not call it again. An exception
  // from the source propagates from here with every byte consumed so far kept.
  event next(byte_source src);

 private:
  static ssize_t recv_callback(std::uint8_t* buf, std::size_t len, int flags, void* self);
  // Checks a new frame's header: a violation, or nothing if the frame is acceptable.
  std::optional<event> begin_frame(const wslay_frame_iocb& f);
  // After a frame's last byte: what it completes (nothing for a non-final fragment).
  std::optional<event> finish_frame();

  wslay_frame_context_ptr ctx_ = nullptr;
  role role_;
  std::size_t max_message_;

  bool in_frame_ = false;  // between a frame's header and its last payload byte
  std::uint8_t frame_opcode_ = 0;
  bool frame_fin_ = false;
  std::uint64_t frame_left_ = 0;

  bool in_message_ = false;  // a data message has begun and its final frame has not ended
  bool binary_ = false;
  std::string message_;
  std::string control_;
  utf8_validator utf8_;

  // Set only during next(): where bytes come from and how the last read went.
  byte_source src_{};
  std::exception_ptr error_;
  bool eof_ = false;
};

}  // namespace weft::websocket::detail
