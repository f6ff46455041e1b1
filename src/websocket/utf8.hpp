// Incremental UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), so a text message split across frames or reads is checked as it arrives.
#pragma once

#include <cstdint>
#include <string_view>

namespace weft::websocket::detail {

class utf8_validator {
 public:
  // False as soon as the bytes so far cannot begin valid UTF-8; stays false.
  bool feed(std::string_view bytes) noexcept;
  // True when the bytes so far are valid and end on a character boundary.
  bool complete() const noexcept { return ok_ && need_ == 0; }
  void reset() noexcept { *this = {}; }

 private:
  std::uint8_t need_ = 0;  // continuation bytes still due for the current character
  std::uint8_t lo_ = 0x80, hi_ = 0xBF;  // allowed range of the next continuation byte
  bool ok_ = true;
};

inline bool is_utf8(std::string_view s) noexcept {
  utf8_validator v;
  return v.feed(s) && v.complete();
}

}  // namespace weft::websocket::detail
