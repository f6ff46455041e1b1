// The opening handshake's arithmetic (RFC 6455 section 4): keys and the accept value.
#pragma once

#include <string>
#include <string_view>

namespace weft::websocket::detail {

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")): the Sec-WebSocket-Accept
// value for a Sec-WebSocket-Key.
std::string accept_value(std::string_view key);
// A new Sec-WebSocket-Key: 16 bytes from OpenSSL's CSPRNG, base64.
std::string new_key();
// Whether a Sec-WebSocket-Key is the base64 of 16 bytes (24 characters ending "==").
bool valid_key(std::string_view key) noexcept;

}  // namespace weft::websocket::detail
