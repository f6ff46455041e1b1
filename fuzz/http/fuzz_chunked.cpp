// Chunked request bodies: a fixed head, then fuzzer bytes as the chunked body; whole and
// piecewise feeding must agree, and the decoded body is never longer than its encoding.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::size_t head = in.size();
  in.append(reinterpret_cast<const char*>(data), size);
  auto whole = fuzz::run(fuzz::parser::kind::request, in, 0);
  auto pieces = fuzz::run(fuzz::parser::kind::request, in, 3);
  if (!(whole == pieces)) std::abort();
  if (whole.digest.size() > in.size() + head) std::abort();
  return 0;
}
