// weft-fetch: downloads URLs in parallel tasklets, with a progress bar per file on a
// terminal; --compare times them one after another and then all at once, as seed 000's
// serial-versus-parallel script does.
// Usage: weft-fetch URL... [--parallel N] [--compare] [-o DIR] [--timeout SECONDS] [--cacert FILE]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "download.hpp"
#include "progress.hpp"
#include "weft/scheduler.hpp"
#include "weft/sync.hpp"
#include "weft/tasklet.hpp"

namespace http = weft::http;
using namespace std::chrono_literals;

namespace {

struct options {
  std::vector<std::string> urls;
  std::size_t parallel = 8;
  bool compare = false;
  std::filesystem::path dir = ".";
  std::optional<weft::clock::duration> timeout;
  std::string cacert;
};

[[noreturn]] void usage(const char* why) {
  if (why) std::fprintf(stderr, "weft-fetch: %s\n", why);
  std::fprintf(stderr,
               "usage: weft-fetch URL... [--parallel N] [--compare] [-o DIR] [--timeout SECONDS] [--cacert FILE]\n");
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) usage((a + " needs a value").c_str());
      return std::string(argv[++i]);
    };
    if (a == "--parallel") {
      long n = std::strtol(value().c_str(), nullptr, 10);
      if (n < 1 || n > 10000) usage("--parallel wants 1..10000");
      o.parallel = static_cast<std::size_t>(n);
    } else if (a == "--compare") {
      o.compare = true;
    } else if (a == "-o") {
      o.dir = value();
    } else if (a == "--timeout") {
      double s = std::strtod(value().c_str(), nullptr);
      if (s <= 0) usage("--timeout wants seconds > 0");
      o.timeout = std::chrono::duration_cast<weft::clock::duration>(std::chrono::duration<double>(s));
    } else if (a == "--cacert") {
      o.cacert = value();
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
    } else if (!a.empty() && a[0] == '-') {
      usage(("unknown option " + a).c_str());
    } else {
      o.urls.push_back(a);
    }
  }
  if (o.urls.empty()) usage("no URL given");
  return o;
}

// One job per URL; two URLs that end in the same name get "name.1", "name.2".
std::vector<fetch::job> make_jobs(const options& o) {
  std::vector<fetch::job> jobs;
  std::map<std::string, int> seen;
  for (const std::string& u : o.urls) {
    std::string name = fetch::file_name_for(u);
    if (int n = seen[name]++) name += "." + std::to_string(n);
    fetch::job j;
    j.url = u;
    j.dest = o.dir / name;
    jobs.push_back(std::move(j));
  }
  return jobs;
}

// Runs every job with at most `parallel` at once; `on_done` after each one.
void run(http::client& c, std::vector<fetch::job>& jobs, std::size_t parallel, const options& o,
         const std::function<void(const fetch::job&)>& on_done) {
  std::size_t next = 0;
  weft::wait_group wg;
  for (std::size_t w = 0; w < std::min(parallel, jobs.size()); ++w) {
    wg.add();
    weft::spawn([&] {
      while (next < jobs.size()) {
        fetch::job& j = jobs[next++];
        fetch::download(c, j, o.timeout);
        on_done(j);
      }
      wg.done();
    });
  }
  wg.wait();
}

http::client make_client(const options& o) {
  http::client_options co;
  if (!o.cacert.empty()) {
    co.tls = weft::net::tls_context::client();
    co.tls.load_verify_file(o.cacert);
  }
  return http::client(co);
}

double since(weft::clock::time_point t0) { return std::chrono::duration<double>(weft::clock::now() - t0).count(); }

int report_failures(const std::vector<fetch::job>& jobs) {
  int failed = 0;
  for (const fetch::job& j : jobs)
    if (j.st == fetch::job::state::failed) {
      std::fprintf(stderr, "weft-fetch: %s\n", j.error.c_str());
      ++failed;
    }
  return failed ? 1 : 0;
}

// Seed 000's output: each download's time, then the total, serial and then parallel.
int compare(const options& o) {
  auto seed_line = [](const fetch::job& j) {
    if (j.st == fetch::job::state::done) std::printf("Downloaded %s in %.2f seconds\n", j.url.c_str(), j.seconds);
    else std::printf("Failed %s\n", j.url.c_str());
    std::fflush(stdout);
  };
  int rc = 0;
  for (bool parallel : {false, true}) {
    std::printf(parallel ? " === Parallel === \n" : " === Serial === \n");
    std::vector<fetch::job> jobs = make_jobs(o);
    http::client c = make_client(o);
    auto t0 = weft::clock::now();
    run(c, jobs, parallel ? o.parallel : 1, o, seed_line);
    std::printf(" ---> %.2f\n", since(t0));
    std::fflush(stdout);
    rc |= report_failures(jobs);
  }
  return rc;
}

int fetch_all(const options& o) {
  std::vector<fetch::job> jobs = make_jobs(o);
  http::client c = make_client(o);
  fetch::progress shown(jobs, ::isatty(STDOUT_FILENO) == 1);
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  weft::event finished, ticker_gone;
  if (tty)
    weft::spawn([&] {
      do shown.update();
      while (!finished.wait_for(100ms));
      ticker_gone.set();
    });
  auto t0 = weft::clock::now();
  run(c, jobs, o.parallel, o, [&](const fetch::job&) {
    if (!tty) shown.update();
  });
  finished.set();
  if (tty) ticker_gone.wait();
  shown.finish(since(t0));
  return report_failures(jobs);
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse_args(argc, argv);
  try {
    std::filesystem::create_directories(o.dir);
    fetch::remove_partial_files_on_signals(!o.compare && ::isatty(STDOUT_FILENO) == 1);
    return o.compare ? compare(o) : fetch_all(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weft-fetch: %s\n", e.what());
    return 1;
  }
}
