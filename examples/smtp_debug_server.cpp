// smtp_debug_server: Python's `python -m smtpd -n -c DebuggingServer` (seed 004) as
// blocking code, a tasklet per connection. It speaks enough SMTP for any client (HELO/EHLO,
// MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, VRFY, HELP, QUIT), delivers nothing, and
// prints each mail between the same banner lines smtpd prints, with X-Peer after the headers.
// Usage: smtp_debug_server [--port P]   (default 8025; 0 picks a free port)
// Prints "listening on 127.0.0.1:P" to stderr once it accepts connections.
#include <strings.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace net = weft::net;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_command = 512;             // RFC 5321 section 4.5.3.1.4
constexpr std::size_t max_data = std::size_t(32) << 20;

std::string host_name() {
  char b[256] = "localhost";
  ::gethostname(b, sizeof b - 1);
  return b;
}

// One SMTP session: the envelope of the mail in progress and the connection's state.
class session {
 public:
  session(net::socket s, std::string peer) : sock_(std::move(s)), io_(sock_), peer_(std::move(peer)) {}

  void run() {
    sock_.set_timeout(5min);  // an idle client is dropped, as smtpd's asyncore never did
    reply("220 " + host_ + " weft smtp_debug_server");
    for (;;) {
      std::error_code ec;
      std::string line = io_.read_until("\n", max_command, ec);
      if (ec == net::stream_errc::too_long) return reply("500 Error: line too long");
      if (ec) return;  // the client went away (or timed out)
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!command(line)) return;
    }
  }

 private:
  void reply(const std::string& text) {
    io_.write(text + "\r\n");
    io_.flush();
  }

  // Handles one command line; false ends the session.
  bool command(const std::string& line) {
    std::size_t space = line.find(' ');
    std::string verb = line.substr(0, space), arg = space == std::string::npos ? "" : line.substr(space + 1);
    for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (verb.empty()) reply("500 Error: bad syntax");
    else if (verb == "HELO" || verb == "EHLO") hello(verb, arg);
    else if (verb == "NOOP") reply(arg.empty() ? "250 OK" : "501 Syntax: NOOP");
    else if (verb == "QUIT") return reply("221 Bye"), false;
    else if (verb == "RSET") reset(), reply("250 OK");
    else if (verb == "MAIL") mail(arg);
    else if (verb == "RCPT") rcpt(arg);
    else if (verb == "DATA") return data();
    else if (verb == "VRFY") reply("252 Cannot VRFY user, but will accept message and attempt delivery");
    else if (verb == "HELP") reply("250 Supported commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY");
    else reply("500 Error: command \"" + verb + "\" not recognized");
    return true;
  }

  void hello(const std::string& verb, const std::string& arg) {
    if (arg.empty()) return reply("501 Syntax: " + verb + " hostname");
    if (greeted_) return reply("503 Duplicate HELO/EHLO");
    greeted_ = true;
    if (verb == "HELO") return reply("250 " + host_);
    reply("250-" + host_ + "\r\n250-SIZE " + std::to_string(max_data) + "\r\n250-8BITMIME\r\n250 HELP");
  }

  // "FROM:<a@b> SIZE=10" -> "<a@b>"; "" if `arg` does not start with `keyword`.
  static std::string address_after(const std::string& arg, const char* keyword) {
    std::size_t n = std::strlen(keyword);
    if (arg.size() < n || strncasecmp(arg.c_str(), keyword, n) != 0) return {};
    std::string rest = arg.substr(n);
    rest.erase(0, rest.find_first_not_of(' '));
    return rest.substr(0, rest.find(' '));
  }

  void mail(const std::string& arg) {
    if (!greeted_) return reply("503 Error: send HELO first");
    if (!from_.empty()) return reply("503 Error: nested MAIL command");
    std::string a = address_after(arg, "FROM:");
    if (a.empty()) return reply("501 Syntax: MAIL FROM: <address>");
    from_ = a;
    reply("250 OK");
  }

  void rcpt(const std::string& arg) {
    if (from_.empty()) return reply("503 Error: need MAIL command");
    std::string a = address_after(arg, "TO:");
    if (a.empty()) return reply("501 Syntax: RCPT TO: <address>");
    to_.push_back(a);
    reply("250 OK");
  }

  // Reads the message up to the lone "." line, undoing the client's dot-stuffing (RFC 5321
  // section 4.5.2: a line that starts with '.' was sent with one more).
  bool data() {
    if (to_.empty()) return reply("503 Error: need RCPT command"), true;
    reply("354 End data with <CR><LF>.<CR><LF>");
    std::string message;
    bool too_much = false;
    bool line_start = true;  // a read_line piece may be the middle of a long line
    for (;;) {
      std::string piece = io_.read_line(65536);
      if (piece.empty()) return false;  // the client left mid-message
      bool whole = piece.back() == '\n';
      if (line_start && (piece == ".\r\n" || piece == ".\n")) break;
      if (line_start && piece[0] == '.') piece.erase(0, 1);
      line_start = whole;
      if (message.size() + piece.size() > max_data) too_much = true;
      if (!too_much) message += piece;
    }
    if (too_much) reply("552 Error: Too much mail data");
    else print(message), reply("250 OK");
    reset();
    return true;
  }

  // smtpd.DebuggingServer's format: the banner, the lines, "X-Peer:" where the headers end.
  void print(const std::string& message) {
    std::string out = "---------- MESSAGE FOLLOWS ----------\n";
    bool in_headers = true;
    std::size_t pos = 0;
    while (pos < message.size()) {
      std::size_t nl = message.find('\n', pos);
      std::string line = message.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? message.size() : nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (in_headers && line.empty()) {
        out += "X-Peer: " + peer_ + "\n";
        in_headers = false;
      }
      out += line + "\n";
    }
    out += "------------ END MESSAGE ------------\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
  }

  void reset() {
    from_.clear();
    to_.clear();
  }

  net::socket sock_;
  net::stream io_;
  std::string peer_;
  std::string host_ = host_name();
  bool greeted_ = false;
  std::string from_;
  std::vector<std::string> to_;
};

}  // namespace

int main(int argc, char** argv) {
  long port = 8025;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: smtp_debug_server [--port P]\n");
      return 2;
    }
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "smtp_debug_server: bad --port\n");
    return 2;
  }
  try {
    net::listener l = net::tcp_listen(net::address::loopback_v4(static_cast<std::uint16_t>(port)));
    std::fprintf(stderr, "listening on %s\n", l.local_address().to_string().c_str());
    for (;;) {
      net::address peer;
      net::socket s = l.accept(&peer);
      weft::spawn([](net::socket s, std::string who) {
        try {
          session(std::move(s), std::move(who)).run();
        } catch (const std::system_error&) {
          // A connection that fails ends its own session; the server goes on.
        }
      }, std::move(s), peer.to_string().substr(0, peer.to_string().rfind(':')));
    }
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "smtp_debug_server: %s\n", e.what());
    return 1;
  }
}
