// progress: frames of bars for a terminal, plain lines otherwise.
#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace fetch {
namespace {

constexpr int bar_width = 30;

std::string bar(double fraction) {
  int full = static_cast<int>(fraction * bar_width + 0.5);
  if (full > bar_width) full = bar_width;
  return "[" + std::string(full, '#') + std::string(bar_width - full, '-') + "]";
}

std::string fit(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  s.resize(width, ' ');
  return s;
}

std::string percent(double fraction) {
  char b[16];
  std::snprintf(b, sizeof b, "%3d%%", static_cast<int>(fraction * 100));
  return b;
}

std::string job_line(const job& j) {
  std::string name = fit(j.dest.filename().string(), 24) + " ";
  switch (j.st) {
    case job::state::waiting: return name + "waiting";
    case job::state::failed: return name + fit("FAILED: " + j.error, 72);
    case job::state::done: return name + bar(1) + " 100% " + human_bytes(double(j.got));
    case job::state::running: break;
  }
  if (!j.total || *j.total == 0) return name + "[" + fit(std::string(j.got / 65536 % bar_width, ' ') + "<=>", bar_width) + "]      " + human_bytes(double(j.got));
  double f = double(j.got) / double(*j.total);
  return name + bar(f) + " " + percent(f) + " " + human_bytes(double(j.got)) + " / " + human_bytes(double(*j.total));
}

struct totals {
  std::uint64_t got = 0, expected = 0;
  bool all_known = true;
  int done = 0, failed = 0;
};

totals sum(const std::vector<job>& jobs) {
  totals t;
  for (const job& j : jobs) {
    t.got += j.got;
    if (j.st == job::state::done) ++t.done, t.expected += j.got;
    else if (j.st == job::state::failed) ++t.failed;
    else if (j.total) t.expected += *j.total;
    else t.all_known = false;
  }
  return t;
}

}  // namespace

std::string human_bytes(double n) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) n /= 1024, ++u;
  char b[32];
  std::snprintf(b, sizeof b, u == 0 ? "%.0f %s" : "%.1f %s", n, units[u]);
  return b;
}

namespace {

// The terminal's size now (it may be resized while we draw); 80x24 if unknown.
std::pair<std::size_t, std::size_t> terminal_size(std::FILE* out) {
  winsize ws{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 && ws.ws_col > 20) return {ws.ws_row, ws.ws_col};
  return {24, 80};
}

// Lines must not wrap and the frame must fit the screen, or moving the cursor up by the
// frame's line count would land in the wrong place. With more files than rows, the running
// and failed ones are shown first; the total line counts them all.
std::vector<const job*> visible(const std::vector<job>& jobs, std::size_t max_bars) {
  std::vector<const job*> shown;
  for (int pass = 0; pass < 3 && shown.size() < max_bars; ++pass)
    for (const job& j : jobs) {
      bool take = pass == 0 ? j.st == job::state::running
                            : pass == 1 ? j.st == job::state::failed : j.st == job::state::done;
      if (take && shown.size() < max_bars) shown.push_back(&j);
    }
  if (shown.size() < max_bars)
    for (const job& j : jobs)
      if (j.st == job::state::waiting && shown.size() < max_bars) shown.push_back(&j);
  return jobs.size() <= max_bars ? std::vector<const job*>() : shown;  // empty: all fit
}

}  // namespace

void progress::draw() {
  auto [rows, cols] = terminal_size(out_);
  auto line = [cols = cols](std::string s) { return "\r\x1b[2K" + s.substr(0, cols - 1) + "\n"; };
  std::string frame;
  if (drawn_lines_ == 0) frame += "\x1b[?25l";  // hide the cursor while bars move
  else frame += "\x1b[" + std::to_string(drawn_lines_) + "A";
  std::vector<const job*> some = visible(jobs_, rows - 2);
  int lines = 1;
  if (some.empty()) {
    for (const job& j : jobs_) frame += line(job_line(j)), ++lines;
  } else {
    for (const job* j : some) frame += line(job_line(*j)), ++lines;
  }
  totals t = sum(jobs_);
  std::string total = fit("total", 24) + " ";
  if (t.all_known && t.expected > 0) {
    double f = double(t.got) / double(t.expected);
    total += bar(f) + " " + percent(f) + " " + human_bytes(double(t.got)) + " / " + human_bytes(double(t.expected));
  } else {
    total += human_bytes(double(t.got));
  }
  total += "  (" + std::to_string(t.done) + "/" + std::to_string(jobs_.size()) + " done";
  if (t.failed) total += ", " + std::to_string(t.failed) + " failed";
  frame += line(total + ")") + "\x1b[J";  // and clear what a longer frame left below
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
  drawn_lines_ = lines;
}

void progress::update() {
  if (tty_) return draw();
  reported_.resize(jobs_.size());
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    const job& j = jobs_[i];
    if (reported_[i] || (j.st != job::state::done && j.st != job::state::failed)) continue;
    reported_[i] = true;
    if (j.st == job::state::done)
      std::fprintf(out_, "downloaded %s -> %s (%llu bytes) in %.2f s\n", j.url.c_str(), j.dest.c_str(),
                   static_cast<unsigned long long>(j.got), j.seconds);
    else
      std::fprintf(out_, "failed %s: %s\n", j.url.c_str(), j.error.c_str());
  }
  std::fflush(out_);
}

void progress::finish(double seconds) {
  update();
  if (tty_) std::fputs("\x1b[?25h", out_);
  totals t = sum(jobs_);
  std::fprintf(out_, "total: %d of %zu files, %llu bytes in %.2f s\n", t.done, jobs_.size(),
               static_cast<unsigned long long>(t.got), seconds);
  std::fflush(out_);
}

}  // namespace fetch
