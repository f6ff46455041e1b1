// The frame decoder (frame_reader: wslay plus RFC 6455's receive rules). The first input
// byte picks the role and how the rest is cut into reads; the rest is the byte stream.
// Checks: feeding it whole and feeding it in small reads give the same events; no message
// is over the limit; every text message and close reason is UTF-8; a violation carries
// 1002, 1007 or 1009; a close code is one a peer may send (or 1005).
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "websocket/frame_reader.hpp"

namespace {

using weft::websocket::role;
using weft::websocket::detail::byte_source;
using weft::websocket::detail::event;
using weft::websocket::detail::frame_reader;

constexpr std::size_t max_message = 4096;

struct memory {
  std::string_view rest;
  std::size_t piece;  // bytes per read (0: as many as asked for)
  static std::size_t read(void* p, std::span<std::byte> buf) {
    auto* m = static_cast<memory*>(p);
    std::size_t n = std::min(buf.size(), m->rest.size());
    if (m->piece) n = std::min(n, m->piece);
    std::memcpy(buf.data(), m->rest.data(), n);
    m->rest.remove_prefix(n);
    return n;
  }
};

std::string run(role r, std::string_view in, std::size_t piece) {
  frame_reader reader(r, max_message);
  memory m{in, piece};
  std::string digest;
  for (;;) {
    event e = reader.next({&memory::read, &m});
    digest += std::to_string(e.kind) + "/" + std::to_string(e.code) + "/" + std::to_string(e.data.size()) + ":" + e.data + ";";
    switch (e.kind) {
      case event::text:
        if (!weft::websocket::detail::is_utf8(e.data)) std::abort();
        [[fallthrough]];
      case event::binary:
        if (e.data.size() > max_message) std::abort();
        break;
      case event::ping:
      case event::pong:
        if (e.data.size() > 125) std::abort();
        break;
      case event::close:
        if (e.code != 1005 && !weft::websocket::close_code_sendable(e.code)) std::abort();
        if (!weft::websocket::detail::is_utf8(e.data)) std::abort();
        return digest;
      case event::violation:
        if (e.code != 1002 && e.code != 1007 && e.code != 1009) std::abort();
        return digest;
      case event::end:
        return digest;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  role r = data[0] & 1 ? role::client : role::server;
  std::size_t piece = 1 + (data[0] >> 1) % 7;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (run(r, in, 0) != run(r, in, piece)) std::abort();
  return 0;
}
