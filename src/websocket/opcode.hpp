// Frame opcodes (RFC 6455 section 5.2); bit 3 set means a control frame.
#pragma once

#include <cstdint>

namespace weft::websocket::detail {

inline constexpr std::uint8_t op_continuation = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8,
                              op_ping = 0x9, op_pong = 0xA;

}  // namespace weft::websocket::detail
