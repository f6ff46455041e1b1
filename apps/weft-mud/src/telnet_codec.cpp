#include "telnet_codec.hpp"

namespace mud::telnet {

void parser::feed(std::string_view bytes, handler& h) {
  std::size_t run = 0;  // start of the current run of plain data
  auto flush_run = [&](std::size_t end) {
    if (end > run) h.on_data(bytes.substr(run, end - run));
  };
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<std::uint8_t>(bytes[i]);
    switch (st_) {
      case state::data:
        if (b == IAC) {
          flush_run(i);
          st_ = state::iac;
        }
        continue;
      case state::iac:
        if (b == IAC) {
          h.on_data(std::string_view("\xff", 1));
          st_ = state::data;
        } else if (b == WILL || b == WONT || b == DO || b == DONT) {
          verb_ = b;
          st_ = state::verb;
        } else if (b == SB) {
          st_ = state::sb_opt;
        } else {
          h.on_command(b);
          st_ = state::data;
        }
        break;
      case state::verb:
        h.on_negotiate(verb_, b);
        st_ = state::data;
        break;
      case state::sb_opt:
        sb_opt_ = b;
        sb_.clear();
        st_ = state::sb_data;
        break;
      case state::sb_data:
        if (b == IAC) st_ = state::sb_iac;
        else if (sb_.size() < max_subneg) sb_ += static_cast<char>(b);
        break;
      case state::sb_iac:
        if (b == SE) {
          h.on_subneg(sb_opt_, sb_);
          sb_.clear();
          st_ = state::data;
        } else {
          // IAC IAC is a data 255; anything else is a protocol error we tolerate by
          // treating the byte as payload.
          if (sb_.size() < max_subneg) sb_ += static_cast<char>(b);
          st_ = state::sb_data;
        }
        break;
    }
    run = i + 1;
  }
  if (st_ == state::data) flush_run(bytes.size());
}

std::string escape_iac(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    out += c;
    if (static_cast<std::uint8_t>(c) == IAC) out += c;
  }
  return out;
}

std::string negotiate(std::uint8_t verb, std::uint8_t opt) {
  return std::string{static_cast<char>(IAC), static_cast<char>(verb), static_cast<char>(opt)};
}

std::string subneg(std::uint8_t opt, std::string_view payload) {
  std::string out{static_cast<char>(IAC), static_cast<char>(SB), static_cast<char>(opt)};
  out += escape_iac(payload);
  out += static_cast<char>(IAC);
  out += static_cast<char>(SE);
  return out;
}

}  // namespace mud::telnet
