// progress: what weft-fetch shows while it works. On a terminal, a bar per file and a total
// line, redrawn in place with ANSI cursor movement; otherwise one plain line per finished
// file and a summary, so logs and pipes get stable text.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "download.hpp"

namespace fetch {

class progress {
 public:
  progress(const std::vector<job>& jobs, bool tty, std::FILE* out = stdout) : jobs_(jobs), tty_(tty), out_(out) {}
  // Terminal: redraws every bar. Plain: prints the lines of files finished since last time.
  void update();
  // The final state and the summary line: "total: 3 of 4 files, 1.2 MB in 0.52 s".
  void finish(double seconds);

 private:
  void draw();
  const std::vector<job>& jobs_;
  bool tty_;
  std::FILE* out_;
  int drawn_lines_ = 0;                // lines of the last frame, to move back over
  std::vector<bool> reported_;         // plain mode: finished jobs already printed
};

// "1.5 MB", "812 B": powers of 1024, one decimal.
std::string human_bytes(double n);

}  // namespace fetch
