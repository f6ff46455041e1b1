// libFuzzer target for the telnet option parser and the line editor: any byte stream, cut
// into chunks anywhere, must parse without crashing and keep the bounds (subnegotiation
// payloads and input lines never exceed their caps, no control bytes reach a line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "line_editor.hpp"
#include "telnet_codec.hpp"
#include "text.hpp"

namespace {

struct checker final : mud::telnet::handler {
  mud::line_editor editor{512};
  void on_data(std::string_view bytes) override { editor.feed(bytes); }
  void on_command(std::uint8_t) override {}
  void on_negotiate(std::uint8_t verb, std::uint8_t) override {
    if (verb < mud::telnet::WILL) std::abort();
  }
  void on_subneg(std::uint8_t, std::string_view payload) override {
    if (payload.size() > mud::telnet::parser::max_subneg) std::abort();
    (void)mud::sanitize(payload);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = data[0] % 16 + 1;  // the first byte picks how the stream is cut
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  mud::telnet::parser p;
  checker c;
  for (std::size_t i = 0; i < in.size(); i += chunk) p.feed(in.substr(i, chunk), c);
  while (c.editor.has_line()) {
    auto l = c.editor.take();
    if (l.text.size() > 512) std::abort();
    for (char ch : l.text)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) std::abort();
    std::string clean = mud::sanitize(l.text);
    for (char ch : clean)
      if (ch == '\x1b') std::abort();
  }
  return 0;
}
