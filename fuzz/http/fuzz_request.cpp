// Requests: any bytes, fed whole and one byte at a time; both must agree exactly.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto whole = fuzz::run(fuzz::parser::kind::request, in, 0);
  auto bytes = fuzz::run(fuzz::parser::kind::request, in, 1);
  if (!(whole == bytes)) std::abort();
  return 0;
}
