// wslay parses headers (length encodings, control frames over 125 bytes or fragmented) and
// unmasks; this file adds what RFC 6455 leaves to the endpoint: reserved bits, opcodes,
// the masking direction, fragmentation order, the size limit, UTF-8 and Close payloads.
// wslay is C: an exception must not unwind through it, so the callback parks it in error_
// and next() rethrows it once wslay has returned (wslay consumes nothing on a failed read).
#include "websocket/frame_reader.hpp"

#include <new>
#include <utility>

#include "websocket/opcode.hpp"

namespace weft::websocket::detail {

namespace {
event violation(std::uint16_t code, std::string reason) {
  return event{event::violation, code, std::move(reason)};
}
}  // namespace

frame_reader::frame_reader(role r, std::size_t max_message) : role_(r), max_message_(max_message) {
  wslay_frame_callbacks cb{nullptr, &frame_reader::recv_callback, nullptr};
  if (wslay_frame_context_init(&ctx_, &cb, this) != 0) throw std::bad_alloc();
}

frame_reader::~frame_reader() { wslay_frame_context_free(ctx_); }

ssize_t frame_reader::recv_callback(std::uint8_t* buf, std::size_t len, int, void* p) {
  auto* self = static_cast<frame_reader*>(p);
  try {
    std::size_t n = self->src_.read(self->src_.obj, std::as_writable_bytes(std::span(buf, len)));
    if (n == 0) {
      self->eof_ = true;
      return -1;
    }
    return static_cast<ssize_t>(n);
  } catch (...) {
    self->error_ = std::current_exception();
    return -1;
  }
}

event frame_reader::next(byte_source src) {
  src_ = src;
  error_ = nullptr;
  eof_ = false;
  for (;;) {
    wslay_frame_iocb f{};
    ssize_t r = wslay_frame_recv(ctx_, &f);
    if (r == WSLAY_ERR_WANT_READ) {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      if (eof_) return {};
      continue;  // a read brought too few bytes for the header part wslay waits for
    }
    if (r < 0) return violation(close_code::protocol_error, "malformed frame header");
    if (!in_frame_) {
      if (auto e = begin_frame(f)) return std::move(*e);
    }
    std::string_view chunk(reinterpret_cast<const char*>(f.data), f.data_length);
    frame_left_ -= chunk.size();
    if (frame_opcode_ & 0x8) {
      control_.append(chunk);
    } else {
      message_.append(chunk);
      if (!binary_ && !utf8_.feed(chunk)) return violation(close_code::invalid_payload, "text message is not UTF-8");
    }
    if (frame_left_ == 0) {
      in_frame_ = false;
      if (auto e = finish_frame()) return std::move(*e);
    }
  }
}

std::optional<event> frame_reader::begin_frame(const wslay_frame_iocb& f) {
  if (f.rsv != 0) return violation(close_code::protocol_error, "reserved bits set");
  bool control = f.opcode & 0x8;
  switch (f.opcode) {
    case op_continuation:
    case op_text:
    case op_binary:
    case op_close:
    case op_ping:
    case op_pong:
      break;
    default:
      return violation(close_code::protocol_error, "unknown opcode " + std::to_string(f.opcode));
  }
  if (role_ == role::server && !f.mask) return violation(close_code::protocol_error, "unmasked frame from client");
  if (role_ == role::client && f.mask) return violation(close_code::protocol_error, "masked frame from server");
  if (control) {
    if (!f.fin || f.payload_length > 125) return violation(close_code::protocol_error, "bad control frame");
    control_.clear();
  } else if (f.opcode == op_continuation) {
    if (!in_message_) return violation(close_code::protocol_error, "continuation frame outside a message");
  } else {
    if (in_message_) return violation(close_code::protocol_error, "new message inside a fragmented one");
    in_message_ = true;
    binary_ = f.opcode == op_binary;
    message_.clear();
    utf8_.reset();
  }
  if (!control && f.payload_length > max_message_ - message_.size())
    return violation(close_code::too_big, "message too big");
  in_frame_ = true;
  frame_opcode_ = f.opcode;
  frame_fin_ = f.fin;
  frame_left_ = f.payload_length;
  return std::nullopt;
}

std::optional<event> frame_reader::finish_frame() {
  switch (frame_opcode_) {
    case op_ping:
      return event{event::ping, 0, std::move(control_)};
    case op_pong:
      return event{event::pong, 0, std::move(control_)};
    case op_close: {
      if (control_.empty()) return event{event::close, close_code::no_status, {}};
      if (control_.size() == 1) return violation(close_code::protocol_error, "close frame of one byte");
      auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                             static_cast<unsigned char>(control_[1]));
      if (!close_code_sendable(code))
        return violation(close_code::protocol_error, "invalid close code " + std::to_string(code));
      std::string reason = control_.substr(2);
      if (!is_utf8(reason)) return violation(close_code::invalid_payload, "close reason is not UTF-8");
      return event{event::close, code, std::move(reason)};
    }
    default:
      if (!frame_fin_) return std::nullopt;
      in_message_ = false;
      if (binary_) return event{event::binary, 0, std::move(message_)};
      if (!utf8_.complete()) return violation(close_code::invalid_payload, "text message is not UTF-8");
      return event{event::text, 0, std::move(message_)};
  }
}

}  // namespace weft::websocket::detail
