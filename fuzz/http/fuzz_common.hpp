// Shared by the HTTP fuzzers: run the parser over input split at fuzzer-chosen points and
// summarise what it saw, so whole and piecewise feeding can be compared.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parser.hpp"

namespace fuzz {

using weft::http::detail::parse_event;
using weft::http::detail::parse_limits;
using weft::http::detail::parser;

struct outcome {
  int error = 0;
  int messages = 0;
  std::string digest;  // heads and bodies of every message, in order

  // Which 4xx a bad message gets may depend on the split: libhttp-parser reports a token
  // to the callbacks (which check the limits) at the end of each piece, but finds a bad
  // byte inside a token before reporting it. Either way the message is refused.
  bool operator==(const outcome& o) const {
    return (error == 0) == (o.error == 0) && messages == o.messages && digest == o.digest;
  }
};

// Feeds `in` in pieces of `piece` bytes (0: all at once), message after message; ends with
// end-of-input. Aborts on a broken invariant.
inline outcome run(parser::kind k, std::string_view in, std::size_t piece, bool head_response = false,
                   parse_limits lim = {512, 2048, 16, 1 << 16}) {
  parser p(k, lim);
  p.set_head_response(head_response);
  outcome o;
  std::size_t pos = 0;
  auto take = [&](parse_event ev) {
    if (ev == parse_event::head) {
      o.digest += p.method + " " + p.url + " " + std::to_string(p.status) + "\n";
      for (const auto& [n, v] : p.fields) o.digest += n + ":" + v + "\n";
    }
    if (p.body().size() > in.size()) std::abort();  // a body never exceeds its input
    o.digest += p.body();
    p.body().clear();
  };
  for (int rounds = 0; rounds < 100000; ++rounds) {
    std::size_t n = in.size() - pos;
    if (piece) n = std::min(n, piece);
    auto st = p.feed(in.data() + pos, n);
    if (st.consumed > n) std::abort();
    pos += st.consumed;
    take(st.ev);
    if (st.ev == parse_event::error) {
      if (p.error_status() < 400 || p.error_status() > 599) std::abort();
      o.error = p.error_status();
      return o;
    }
    if (st.ev == parse_event::done) {
      ++o.messages;
      p.reset();
      p.set_head_response(head_response);
      continue;
    }
    if (pos == in.size() && st.ev == parse_event::need_more) {
      auto end = p.feed(nullptr, 0);
      take(end.ev);
      if (end.ev == parse_event::done) ++o.messages;
      if (end.ev == parse_event::error) o.error = p.error_status();
      return o;
    }
    if (st.consumed == 0 && st.ev == parse_event::need_more && n > 0) std::abort();  // no progress
  }
  std::abort();
}

}  // namespace fuzz
