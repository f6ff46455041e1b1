// mud_load: the load generator behind `make bench-mud`. One process, one thread, a weft
// tasklet per simulated player on loopback: logs N players in (creating their characters),
// then makes A of them send one command a second (look, say, or a step) for S seconds and
// measures each command's latency from the send to the server's end-of-prompt (IAC GA).
// Reads the server's CPU time and RSS from /proc. Prints `name value unit` lines.
//
// Usage: mud_load --port P --server-pid PID [--players 10000] [--active 2000] [--seconds 20]
//                 [--logins-at-once 256]
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "weft/channel.hpp"
#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/select.hpp"
#include "weft/sync.hpp"
#include "weft/time.hpp"

namespace net = weft::net;
using clk = std::chrono::steady_clock;

namespace {

struct config {
  int port = 4000;
  int server_pid = 0;
  int players = 10000;
  int active = 2000;
  int seconds = 20;
  int logins_at_once = 256;
  int move_percent = 30;  // the rest: 40 parts look, 30 parts say
};

struct totals {
  int logged_in = 0;
  int failed = 0;
  int disconnects = 0;
  bool stop = false;
  weft::channel<int> go_ch;    // closed when the measured phase starts
  weft::channel<int> stop_ch;  // closed at the end
  std::vector<std::uint32_t> latency_us;
  std::uint64_t commands = 0;
};

std::string name_for(int i) {
  std::string n = "Bot";
  for (int k = 0; k < 4; ++k) {
    n += static_cast<char>('a' + i % 26);
    i /= 26;
  }
  return n;
}

long server_cpu_ticks(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  auto rp = s.rfind(')');
  std::istringstream in(s.substr(rp + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::atol(field.c_str());
    if (i == 15) stime = std::atol(field.c_str());
  }
  return utime + stime;
}

long server_rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// One simulated player's connection: telnet answered by refusal, prompts found by IAC GA.
class bot {
 public:
  explicit bot(std::string name) : name_(std::move(name)) {}

  void connect(int port) {
    sock_ = net::socket::open(AF_INET, SOCK_STREAM);
    sock_.connect(net::address::loopback_v4(static_cast<std::uint16_t>(port)));
  }
  // Reads until the next prompt (IAC GA); returns the text since the previous one.
  // Empty optional on timeout; throws on disconnect.
  std::optional<std::string> until_prompt(clk::duration timeout) {
    auto until = clk::now() + timeout;
    for (;;) {
      if (auto p = take_prompt()) return p;
      auto left = until - clk::now();
      if (left <= clk::duration::zero()) return std::nullopt;
      bool closed = false;
      if (weft::select_for(left, weft::on_readable(sock_.native_handle(), &closed)) < 0) return std::nullopt;
      if (closed) throw std::runtime_error("closed");
      read_now();
    }
  }
  void send(std::string_view line) {
    std::string l(line);
    l += "\r\n";
    sock_.sendall(l);
  }
  // Non-blocking: takes whatever arrived.
  void read_now() {
    char buf[16384];
    for (;;) {
      ssize_t n = ::recv(sock_.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        parse(std::string_view(buf, static_cast<std::size_t>(n)));
        if (static_cast<std::size_t>(n) < sizeof buf) return;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      throw std::runtime_error("disconnected");
    }
  }
  int fd() const { return sock_.native_handle(); }
  const std::string& name() const { return name_; }

 private:
  std::optional<std::string> take_prompt() {
    if (prompts_.empty()) return std::nullopt;
    std::string p = std::move(prompts_.front());
    prompts_.erase(prompts_.begin());
    return p;
  }
  void parse(std::string_view data) {
    for (char ch : data) {
      auto c = static_cast<unsigned char>(ch);
      switch (state_) {
        case 0:
          if (c == 255) state_ = 1;
          else if (text_.size() < 1024) text_ += ch;
          else text_.erase(0, 512), text_ += ch;
          break;
        case 1:
          if (c == 251 || c == 252 || c == 253 || c == 254) {
            verb_ = c;
            state_ = 2;
          } else if (c == 250) {
            state_ = 3;
          } else {
            if (c == 249) {  // GA: a prompt ended
              prompts_.push_back(std::move(text_));
              text_.clear();
            }
            state_ = 0;
          }
          break;
        case 2: {
          // Refuse everything: WILL -> DONT, DO -> WONT.
          if (verb_ == 251 || verb_ == 253) {
            char r[3] = {'\xff', static_cast<char>(verb_ == 251 ? 254 : 252), static_cast<char>(c)};
            std::error_code ec;
            sock_.sendall(std::as_bytes(std::span(r)), 0, ec);
          }
          state_ = 0;
          break;
        }
        case 3:
          if (c == 255) state_ = 4;
          break;
        case 4:
          state_ = c == 240 ? 0 : 3;
          break;
      }
    }
  }

  std::string name_;
  net::socket sock_;
  std::string text_;
  std::vector<std::string> prompts_;
  int state_ = 0;
  unsigned char verb_ = 0;
};

bool ends_with(const std::string& s, std::string_view e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

// Logs in (or creates) the character; true once at the game prompt.
bool log_in(bot& b) {
  for (int step = 0; step < 8; ++step) {
    auto p = b.until_prompt(std::chrono::seconds(30));
    if (!p) return false;
    if (ends_with(*p, "known? ")) b.send(b.name());
    else if (ends_with(*p, "(yes/no) ")) b.send("yes");
    else if (p->find("assword") != std::string::npos || ends_with(*p, "again: ")) b.send("benchpass");
    else if (ends_with(*p, "> ")) return true;
    else return false;
  }
  return false;
}

void player(const config& cfg, totals& t, weft::semaphore& gate, int i, bool active) {
  bot b(name_for(i));
  bool in_game = false;
  try {
    gate.acquire();
    try {
      b.connect(cfg.port);
      in_game = log_in(b);
    } catch (...) {
      gate.release();
      throw;
    }
    gate.release();
    if (!in_game) {
      ++t.failed;
      return;
    }
    ++t.logged_in;
    std::mt19937 rng(static_cast<unsigned>(i));
    static const char* const moves[] = {"n", "s", "e", "w"};
    static const char* const says[] = {"say hello there", "say anyone seen the dog?", "say fine weather"};
    // Until it is this bot's turn (active: the start; idle: the end), it only reads what
    // others cause (speech, arrivals) and sleeps in between: no polling, so ten thousand idle
    // bots cost the generator nothing while nothing happens.
    weft::channel<int>& until = active ? t.go_ch : t.stop_ch;
    for (;;) {
      std::optional<int> v;
      bool closed = false;
      if (weft::select(weft::on_readable(b.fd(), &closed), weft::on_receive(until, v)) == 1) break;
      if (closed) throw std::runtime_error("closed");
      b.read_now();
      while (b.until_prompt(clk::duration::zero())) {
      }
    }
    if (!active) return;
    // Active players: one command a second, at a random phase.
    auto next = clk::now() + std::chrono::microseconds(rng() % 1000000);
    while (!t.stop) {
      // Stay readable until it is time (others' speech keeps arriving).
      while (clk::now() < next && !t.stop) {
        bool closed = false;
        weft::select_for(next - clk::now(), weft::on_readable(b.fd(), &closed));
        if (closed) throw std::runtime_error("closed");
        b.read_now();
        while (b.until_prompt(clk::duration::zero())) {
        }
      }
      if (t.stop) break;
      int pick = static_cast<int>(rng() % 100);
      int talk = (100 - cfg.move_percent) * 3 / 7;  // say's share of what is not a move
      std::string cmd = pick < cfg.move_percent ? moves[rng() % 4]
                        : pick < cfg.move_percent + talk ? says[rng() % 3]
                                                         : "look";
      auto t0 = clk::now();
      b.send(cmd);
      if (!b.until_prompt(std::chrono::seconds(10))) throw std::runtime_error("no answer in 10 s");
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(clk::now() - t0).count();
      t.latency_us.push_back(static_cast<std::uint32_t>(us));
      ++t.commands;
      next += std::chrono::seconds(1);
    }
  } catch (const std::exception&) {
    if (in_game) ++t.disconnects;
    else ++t.failed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--port") cfg.port = v;
    else if (a == "--server-pid") cfg.server_pid = v;
    else if (a == "--players") cfg.players = v;
    else if (a == "--active") cfg.active = v;
    else if (a == "--seconds") cfg.seconds = v;
    else if (a == "--logins-at-once") cfg.logins_at_once = v;
    else if (a == "--move-percent") cfg.move_percent = v;
  }
  totals t;
  t.latency_us.reserve(static_cast<std::size_t>(cfg.active) * static_cast<std::size_t>(cfg.seconds) + 16);
  long rss0 = cfg.server_pid ? server_rss_kib(cfg.server_pid) : 0;

  // The administrator (first account) asks the server for its own view at the end.
  bot admin("Benchadmin");
  admin.connect(cfg.port);
  if (!log_in(admin)) {
    std::fprintf(stderr, "mud_load: the admin bot could not log in\n");
    return 1;
  }

  weft::semaphore gate(cfg.logins_at_once);
  auto t_login = clk::now();
  for (int i = 0; i < cfg.players; ++i)
    weft::spawn(weft::spawn_options{.stack_size = 64 * 1024}, [&, i] { player(cfg, t, gate, i, i < cfg.active); });
  while (t.logged_in + t.failed < cfg.players &&
         clk::now() - t_login < std::chrono::seconds(40)) {
    weft::sleep_for(std::chrono::milliseconds(50));
    admin.read_now();
  }
  double login_s = std::chrono::duration<double>(clk::now() - t_login).count();
  weft::sleep_for(std::chrono::milliseconds(500));
  long rss1 = cfg.server_pid ? server_rss_kib(cfg.server_pid) : 0;

  long cpu0 = cfg.server_pid ? server_cpu_ticks(cfg.server_pid) : 0;
  long self0 = server_cpu_ticks(static_cast<int>(::getpid()));
  auto t0 = clk::now();
  t.go_ch.close();
  while (clk::now() - t0 < std::chrono::seconds(cfg.seconds)) {
    weft::sleep_for(std::chrono::milliseconds(100));
    admin.read_now();
    while (admin.until_prompt(clk::duration::zero())) {
    }
  }
  double window = std::chrono::duration<double>(clk::now() - t0).count();
  long cpu1 = cfg.server_pid ? server_cpu_ticks(cfg.server_pid) : 0;
  long self1 = server_cpu_ticks(static_cast<int>(::getpid()));
  std::uint64_t commands = t.commands;
  std::vector<std::uint32_t> lat = t.latency_us;
  // Other players' speech and arrivals reach the admin too, each followed by a prompt: drop
  // what is queued, then wait for the prompt that carries the @lag answer itself.
  admin.read_now();
  while (admin.until_prompt(clk::duration::zero())) {
  }
  admin.send("@lag");
  std::optional<std::string> lag;
  for (auto until = clk::now() + std::chrono::seconds(10); !lag && clk::now() < until;) {
    auto p = admin.until_prompt(until - clk::now());
    if (!p) break;
    if (auto at = p->find("Command latency"); at != std::string::npos) {
      auto end = p->find(").", at);  // the answer's last words; the prompt follows
      lag = p->substr(at, end == std::string::npos ? std::string::npos : end + 2 - at);
    }
  }
  t.stop = true;
  t.stop_ch.close();

  std::sort(lat.begin(), lat.end());
  auto pct = [&](double q) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())))] / 1000.0;
  };
  long hz = sysconf(_SC_CLK_TCK);
  double cpu_s = static_cast<double>(cpu1 - cpu0) / static_cast<double>(hz);
  std::printf("mud_players_logged_in %d players\n", t.logged_in);
  std::printf("mud_login_failures %d players\n", t.failed);
  std::printf("mud_login_phase %.1f s\n", login_s);
  std::printf("mud_active_players %d players\n", std::min(cfg.active, t.logged_in));
  std::printf("mud_commands_per_second %.0f cmd/s\n", static_cast<double>(commands) / window);
  std::printf("mud_command_latency_p50 %.3f ms\n", pct(0.50));
  std::printf("mud_command_latency_p99 %.3f ms\n", pct(0.99));
  std::printf("mud_command_latency_max %.3f ms\n", lat.empty() ? 0.0 : lat.back() / 1000.0);
  std::printf("mud_server_cpu %.0f %% of one core\n", 100.0 * cpu_s / window);
  std::printf("mud_load_generator_cpu %.0f %% of one core\n",
              100.0 * static_cast<double>(self1 - self0) / static_cast<double>(hz) / window);
  std::printf("mud_server_cpu_per_command %.1f us\n", commands ? 1e6 * cpu_s / static_cast<double>(commands) : 0.0);
  std::printf("mud_server_rss_per_player %.1f KiB\n",
              t.logged_in ? static_cast<double>(rss1 - rss0) / t.logged_in : 0.0);
  std::printf("mud_disconnects %d players\n", t.disconnects);
  if (lag) {
    std::string l = *lag;
    std::replace(l.begin(), l.end(), '\r', ' ');
    std::replace(l.begin(), l.end(), '\n', ' ');
    std::printf("# server's own @lag: %s\n", l.c_str());
  } else {
    std::printf("# server's own @lag: no answer within 10 s\n");
  }
  std::fflush(stdout);
  std::_Exit(t.disconnects == 0 && t.failed == 0 ? 0 : 1);
}
