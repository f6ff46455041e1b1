// Responses (what the client parses): the first byte chooses whether it answers a HEAD and
// the piece size; whole and piecewise feeding must agree.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool head = data[0] & 1;
  std::size_t piece = 1 + (data[0] >> 1) % 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto whole = fuzz::run(fuzz::parser::kind::response, in, 0, head);
  auto pieces = fuzz::run(fuzz::parser::kind::response, in, piece, head);
  if (!(whole == pieces)) std::abort();
  return 0;
}
