// Error codes of weft::net beyond errno: stream framing outcomes.
#pragma once

#include <system_error>
#include <type_traits>

namespace weft::net {

enum class stream_errc {
  eof = 1,   // the peer ended the stream before read_exact/read_until had what it needed
  too_long,  // read_until's delimiter not found within the limit
};

const std::error_category& stream_category() noexcept;

inline std::error_code make_error_code(stream_errc e) noexcept {
  return {static_cast<int>(e), stream_category()};
}

}  // namespace weft::net

template <>
struct std::is_error_code_enum<weft::net::stream_errc> : std::true_type {};
