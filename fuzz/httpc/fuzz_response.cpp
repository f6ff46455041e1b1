// libFuzzer target for the client's response parser (src/http/response_parser.cpp over
// libhttp-parser): status line, headers, Content-Length / chunked / until-close bodies.
// Input: byte 0 bit 0 = a response to HEAD; byte 1 = the size of the pieces the rest is fed
// in (so framing split across reads is covered); the rest = what the server sent.
// Checks, beyond the sanitizers: only client_category errors escape; no body before the
// headers; a completed body matches its Content-Length; HEAD responses have no body; the
// parser never stops short of the input without finishing or failing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "http/response_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using weft::http::detail::response_parser;
  if (size < 2) return 0;
  const bool head = data[0] & 1;
  const std::size_t step = data[1] == 0 ? size : data[1];
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);

  response_parser p(head);
  std::string body;
  bool saw_headers = false;
  p.on_headers = [&] {
    if (saw_headers) std::abort();  // once per response
    saw_headers = true;
  };
  p.on_body = [&](std::string_view piece) {
    if (!saw_headers) std::abort();
    body.append(piece);
  };
  try {
    while (!in.empty() && !p.done()) {
      std::string_view piece = in.substr(0, step);
      std::size_t used = p.feed(piece);
      if (used > piece.size() || (used < piece.size() && !p.done())) std::abort();
      in.remove_prefix(used);
    }
    if (!p.done()) p.feed_eof();
  } catch (const std::system_error& e) {
    if (e.code().category() != weft::http::client_category()) std::abort();
    return 0;
  }
  if (!p.done() || !p.headers_done()) std::abort();
  if (head && !body.empty()) std::abort();
  if (auto n = p.content_length(); n && p.status() != 101 && body.size() != *n) std::abort();
  return 0;
}
