// download: the body goes straight from the socket into a temporary file in the target
// directory; rename(2) publishes it only after the last byte, so readers never see half a file.
#include "download.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "weft/http/url.hpp"

namespace fetch {
namespace {

// Temporary files being written, for the signal handler: it unlinks them (unlink is
// async-signal-safe) before the process dies of SIGINT or SIGTERM. Each slot holds the
// c_str() of a live temp_file's path, or null.
constexpr std::size_t max_live = 10000;
std::atomic<const char*> live[max_live];
std::atomic<bool> cursor_hidden_on_tty{false};

std::size_t enlist(const char* path) {
  for (std::size_t i = 0; i < max_live; ++i) {
    const char* none = nullptr;
    if (live[i].compare_exchange_strong(none, path)) return i;
  }
  return max_live;  // not tracked: only a signal could leave it behind
}

extern "C" void remove_partial_files(int sig) {
  for (auto& slot : live)
    if (const char* p = slot.load()) ::unlink(p);
  if (cursor_hidden_on_tty.load()) (void)!::write(STDOUT_FILENO, "\x1b[?25h\n", 7);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// A mkstemp file that is removed unless published: a failure, an exception or a kill
// (tasklet_exit unwinding through here) leaves nothing behind.
class temp_file {
 public:
  explicit temp_file(const std::filesystem::path& dest) {
    std::string templ = (dest.parent_path() / ("." + dest.filename().string() + ".part-XXXXXX")).string();
    fd_ = ::mkstemp(templ.data());
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "create a temporary file beside " + dest.string());
    path_ = templ;
    slot_ = enlist(path_.c_str());
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!published_) ::unlink(path_.c_str());
    if (slot_ < max_live) live[slot_].store(nullptr);
  }

  void write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::system_error(errno, std::generic_category(), "write " + path_);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void publish(const std::filesystem::path& dest) {
    // mkstemp makes 0600; a download is an ordinary file, as the umask allows.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
    if (::close(std::exchange(fd_, -1)) != 0) throw std::system_error(errno, std::generic_category(), "close " + path_);
    if (::rename(path_.c_str(), dest.c_str()) != 0)
      throw std::system_error(errno, std::generic_category(), "rename " + path_ + " to " + dest.string());
    published_ = true;
  }

 private:
  std::string path_;
  std::size_t slot_ = max_live;
  int fd_ = -1;
  bool published_ = false;
};

}  // namespace

void download(weft::http::client& c, job& j, std::optional<weft::clock::duration> timeout) {
  namespace http = weft::http;
  j.st = job::state::running;
  const auto t0 = weft::clock::now();
  try {
    temp_file out(j.dest);
    http::request_options o;
    o.timeout = timeout;
    o.on_headers = [&](const http::reply& head) {
      if (head.status / 100 != 2)
        throw std::runtime_error("GET " + j.url + ": HTTP " + std::to_string(head.status) + " " + head.reason);
      if (auto len = head.fields.get("Content-Length")) j.total = std::stoull(std::string(*len));
    };
    o.on_body = [&](std::string_view piece) {
      out.write(piece);
      j.got += piece.size();
    };
    c.get(j.url, o);
    out.publish(j.dest);
    j.st = job::state::done;
  } catch (const std::exception& e) {
    j.error = e.what();
    if (j.error.rfind("GET ", 0) != 0) j.error = "GET " + j.url + ": " + j.error;
    j.st = job::state::failed;
  }
  j.seconds = std::chrono::duration<double>(weft::clock::now() - t0).count();
}

void remove_partial_files_on_signals(bool restore_cursor) {
  cursor_hidden_on_tty = restore_cursor;
  struct sigaction sa {};
  sa.sa_handler = remove_partial_files;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

std::string file_name_for(const std::string& url) {
  std::string name;
  try {
    std::string path = weft::http::url::parse(url).path;
    name = weft::http::percent_decode(path.substr(path.rfind('/') + 1));
  } catch (const std::exception&) {
    // A bad URL fails in download() with a clear message; any name will do until then.
  }
  for (char& ch : name)
    if (ch == '/' || ch == '\0') ch = '_';
  if (name.empty() || name == "." || name == "..") name = "index.html";
  return name;
}

}  // namespace fetch
