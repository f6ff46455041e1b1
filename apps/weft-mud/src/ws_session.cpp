#include "ws_session.hpp"

#include <cstdio>
#include <cstdlib>

#include "text.hpp"
#include "weft/scheduler.hpp"
#include "weft/websocket/error.hpp"

namespace mud {

namespace {

// The number after "key": in a flat JSON object, or -1.
long json_number(std::string_view json, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\"";
  auto k = json.find(needle);
  if (k == std::string_view::npos) return -1;
  auto colon = json.find(':', k + needle.size());
  if (colon == std::string_view::npos) return -1;
  std::string rest(json.substr(colon + 1, 24));
  char* end = nullptr;
  long v = std::strtol(rest.c_str(), &end, 10);
  return end == rest.c_str() ? -1 : v;
}

std::string json_text(std::string_view json, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\"";
  auto k = json.find(needle);
  if (k == std::string_view::npos) return {};
  auto q1 = json.find('"', json.find(':', k + needle.size()));
  if (q1 == std::string_view::npos) return {};
  auto q2 = json.find('"', q1 + 1);
  if (q2 == std::string_view::npos) return {};
  return std::string(json.substr(q1 + 1, q2 - q1 - 1));
}

}  // namespace

ws_session::ws_session(std::string token, std::string address) : token_(std::move(token)) {
  info.address = std::move(address);
  info.protocol = "websocket";
}

ws_session::~ws_session() { stop_writer(); }

void ws_session::stop_writer() {
  if (writer_ && writer_.alive() && !writer_.is_current()) writer_.kill();
  writer_ = weft::tasklet();
}

void ws_session::drop_transport() {
  if (!ws_) return;
  ws_ = nullptr;
  stop_writer();
  out_.clear();
  out_bytes_ = 0;
  detached_at_ = weft::clock::now();
  if (reader_ && reader_.alive() && !reader_.is_current()) reader_.kill(true);
  reader_ = weft::tasklet();
}

void ws_session::attach(weft::websocket::connection& ws, weft::tasklet reader, bool gmcp, bool resumed,
                        std::uint64_t received) {
  drop_transport();  // another page had it: that one is closed
  ws_ = &ws;
  reader_ = std::move(reader);
  gmcp_ = gmcp;
  info.protocol = gmcp ? "websocket+gmcp" : "websocket";
  if (!resumed) {
    queue(false, "Core.Session {\"token\":" + json_string(token_) + "}");
  } else {
    std::uint64_t missed = received < sent_ ? sent_ - received : 0;
    std::string_view replay = ring_;
    if (missed > ring_.size()) {
      // Older output is gone (or a reloaded page asked for all it can get, received 0):
      // replay what is kept, from the start of a line.
      auto nl = replay.find('\n');
      if (nl != std::string_view::npos) replay.remove_prefix(nl + 1);
    } else {
      replay = replay.substr(ring_.size() - static_cast<std::size_t>(missed));
    }
    if (gmcp_) queue(false, "Core.Resumed {\"from\":" + std::to_string(sent_ - replay.size()) + "}");
    if (!replay.empty()) queue(true, std::string(replay));
  }
  weft::spawn_options so;
  so.stack_size = 64 * 1024;
  so.name = "websocket writer";
  writer_ = weft::spawn(so, [this, w = &ws] { writer_loop(w); });
}

void ws_session::detach(weft::websocket::connection& ws) {
  if (ws_ != &ws) return;
  ws_ = nullptr;
  reader_ = weft::tasklet();
  stop_writer();
  out_.clear();
  out_bytes_ = 0;
  detached_at_ = weft::clock::now();
  input_ready_.set();  // read_line re-checks the linkdead deadline
}

void ws_session::writer_loop(weft::websocket::connection* ws) {
  for (;;) {
    while (out_.empty() && !closing_ && !finished_) {
      out_ready_.wait();
      out_ready_.clear();
    }
    if (out_.empty()) {
      try {
        ws->close(weft::websocket::close_code::going_away, "goodbye");
      } catch (const std::exception&) {
      }
      return;
    }
    frame f = std::move(out_.front());
    out_.pop_front();
    // Consecutive terminal output goes out as one frame.
    while (f.binary && !out_.empty() && out_.front().binary) {
      f.data += out_.front().data;
      out_.pop_front();
    }
    try {
      if (f.binary) ws->send_binary(f.data);
      else ws->send_text(f.data);
    } catch (const std::exception&) {
      return;  // the reader sees the end too and detaches
    }
    out_bytes_ -= f.data.size();  // only now: a frame stuck in send still counts
  }
}

void ws_session::queue(bool binary, std::string data) {
  if (!ws_) return;
  out_bytes_ += data.size();
  out_.push_back({binary, std::move(data)});
  if (out_bytes_ > max_queued) {
    // The page stopped reading: drop the transport (the session stays, linkdead).
    std::fprintf(stderr, "weft-mud: %s: output overflow, websocket dropped\n", info.address.c_str());
    drop_transport();
    return;
  }
  out_ready_.set();
}

void ws_session::emit(std::string_view bytes) {
  if (finished_) return;
  sent_ += bytes.size();
  ring_.append(bytes);
  if (ring_.size() > ring_cap * 2) ring_.erase(0, ring_.size() - ring_cap);
  queue(true, std::string(bytes));
}

void ws_session::gmcp(std::string_view package, std::string_view json) {
  if (!gmcp_ || closed()) return;
  std::string m(package);
  if (!json.empty()) {
    m += ' ';
    m.append(json);
  }
  queue(false, std::move(m));
}

void ws_session::set_echo(bool visible) { gmcp("Core.Echo", visible ? "{\"on\":true}" : "{\"on\":false}"); }

void ws_session::kick(std::string_view message) {
  if (closed()) return;
  if (!message.empty()) line(message);
  closing_ = true;
  out_ready_.set();
  input_ready_.set();
}

void ws_session::finish() {
  finished_ = true;
  out_ready_.set();
  input_ready_.set();
}

void ws_session::input(std::string_view frame) {
  editor_.feed(frame);
  editor_.feed("\r");
  input_ready_.set();
}

void ws_session::on_gmcp(std::string_view message) {
  std::string_view pkg = message.substr(0, message.find(' '));
  std::string_view json = pkg.size() < message.size() ? message.substr(pkg.size() + 1) : std::string_view{};
  if (equals_ci(pkg, "Core.Window")) {
    long cols = json_number(json, "cols"), rows = json_number(json, "rows");
    if (cols > 0) info.cols = cols < 20 ? 20 : cols > 250 ? 250 : static_cast<int>(cols);
    if (rows > 0) info.rows = static_cast<int>(rows);
  } else if (equals_ci(pkg, "Core.Hello")) {
    std::string c = sanitize(json_text(json, "client")).substr(0, 40);
    if (!c.empty()) info.client = c;
    info.client_version = sanitize(json_text(json, "version")).substr(0, 20);
  }
}

std::optional<input_line> ws_session::read_line(weft::clock::duration timeout) {
  auto until = weft::clock::now() + timeout;
  for (;;) {
    if (closed()) throw session_closed();
    if (editor_.has_line()) {
      auto l = editor_.take();
      last_input = weft::clock::now();
      return input_line{std::move(l.text), l.truncated};
    }
    auto now = weft::clock::now();
    if (!ws_ && now - detached_at_ >= linkdead_for) throw session_closed();  // never came back
    auto wake = until;
    if (!ws_) wake = std::min(wake, detached_at_ + linkdead_for);
    if (now >= until) return std::nullopt;
    input_ready_.clear();
    input_ready_.wait_for(wake - now);
  }
}

}  // namespace mud
