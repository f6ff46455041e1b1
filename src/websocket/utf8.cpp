// The second byte's range carries the rules that need more than "10xxxxxx": E0 (overlong),
// ED (surrogates), F0 (overlong), F4 (above U+10FFFF). ASCII runs go eight bytes at a time.
#include "websocket/utf8.hpp"

#include <cstring>

namespace weft::websocket::detail {

bool utf8_validator::feed(std::string_view bytes) noexcept {
  if (!ok_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    if (need_ == 0) {
      while (end - p >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ull) break;
        p += 8;
      }
      if (p == end) break;
      unsigned char c = *p++;
      if (c < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        need_ = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need_ = 2;
        if (c == 0xE0) lo_ = 0xA0;
        if (c == 0xED) hi_ = 0x9F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        need_ = 3;
        if (c == 0xF0) lo_ = 0x90;
        if (c == 0xF4) hi_ = 0x8F;
      } else {
        return ok_ = false;
      }
    } else {
      unsigned char c = *p++;
      if (c < lo_ || c > hi_) return ok_ = false;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

}  // namespace weft::websocket::detail
