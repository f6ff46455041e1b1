// As in frame_reader.cpp, exceptions from the sink are parked while wslay is on the stack.
#include "websocket/frame_writer.hpp"

#include <openssl/rand.h>

#include <new>
#include <utility>
#include <stdexcept>

namespace weft::websocket::detail {

frame_writer::frame_writer(role r) : mask_(r == role::client) {
  wslay_frame_callbacks cb{&frame_writer::send_callback, nullptr, &frame_writer::genmask_callback};
  if (wslay_frame_context_init(&ctx_, &cb, this) != 0) throw std::bad_alloc();
}

frame_writer::~frame_writer() { wslay_frame_context_free(ctx_); }

ssize_t frame_writer::send_callback(const std::uint8_t* data, std::size_t len, int, void* p) {
  auto* self = static_cast<frame_writer*>(p);
  try {
    self->sink_.write(self->sink_.obj, std::as_bytes(std::span(data, len)));
    return static_cast<ssize_t>(len);
  } catch (...) {
    self->error_ = std::current_exception();
    return -1;
  }
}

int frame_writer::genmask_callback(std::uint8_t* buf, std::size_t len, void*) {
  return RAND_bytes(buf, static_cast<int>(len)) == 1 ? 0 : -1;
}

void frame_writer::write(std::uint8_t opcode, bool fin, std::span<const std::byte> payload, byte_sink sink) {
  sink_ = sink;
  error_ = nullptr;
  wslay_frame_iocb f{};
  f.fin = fin;
  f.opcode = opcode;
  f.mask = mask_;
  f.payload_length = payload.size();
  f.data = reinterpret_cast<const std::uint8_t*>(payload.data());
  f.data_length = payload.size();
  do {
    ssize_t r = wslay_frame_send(ctx_, &f);
    if (r < 0) {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      throw std::runtime_error(r == WSLAY_ERR_INVALID_CALLBACK ? "websocket: no random bytes for the mask"
                                                                : "websocket: frame rejected by wslay");
    }
    f.data += r;
    f.data_length -= static_cast<std::size_t>(r);
  } while (f.data_length > 0);
}

}  // namespace weft::websocket::detail
