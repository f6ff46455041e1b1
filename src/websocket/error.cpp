// closed_error's message and the table of codes a Close frame may carry.
#include "weft/websocket/error.hpp"

namespace weft::websocket {

namespace {
std::string describe(std::uint16_t code, const std::string& reason, bool remote) {
  std::string s = remote ? "websocket closed by peer: " : "websocket closed: ";
  s += std::to_string(code);
  if (!reason.empty()) s += " " + reason;
  return s;
}
}  // namespace

closed_error::closed_error(std::uint16_t code, std::string reason, bool remote)
    : std::runtime_error(describe(code, reason, remote)), code_(code), reason_(std::move(reason)), remote_(remote) {}

bool close_code_sendable(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

}  // namespace weft::websocket
