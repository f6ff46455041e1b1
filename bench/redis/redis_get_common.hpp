// What both hook.redis_get programs share: the connection, one GET, and the report. Each
// client owns a blocking hiredis connection and repeats `GET weft:bench:key` (a 64-byte value
// the script sets) until the deadline; the figure is every client's GETs over the time from
// the moment all were connected to the last one's stop, beside the memory figures (report).
#pragma once

#include <hiredis/hiredis.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "figure.hpp"

namespace redis_bench {

struct redis_free {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using connection = std::unique_ptr<redisContext, redis_free>;

inline connection connect(int port) {
  connection c(redisConnect("127.0.0.1", port));
  if (!c || c->err) {
    std::fprintf(stderr, "redisConnect 127.0.0.1:%d: %s\n", port, c ? c->errstr : "out of memory");
    std::exit(1);
  }
  return c;
}

// One GET; exits on any failure (a benchmark that counts errors as operations lies).
inline void get(redisContext* c) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "GET weft:bench:key"));
  if (!r || r->type != REDIS_REPLY_STRING || r->len != 64) {
    std::fprintf(stderr, "GET weft:bench:key: %s\n", r ? "unexpected reply (did the script SET it?)" : c->errstr);
    std::exit(1);
  }
  freeReplyObject(r);
}

// GETs from `start` (ns, bench::now_ns) for `seconds`; returns how many, and in `end` when
// the last one came back.
inline long get_until(redisContext* c, double start, double seconds, double& end) {
  const double deadline = start + seconds * 1e9;
  long n = 0;
  for (end = start; end < deadline; end = bench::now_ns(), ++n) get(c);
  return n;
}

// A field of a /proc file of `Name: value kB` lines, in KiB: "/proc/self/status" has VmHWM
// (peak resident set) and VmRSS (now); "/proc/meminfo" KernelStack and SUnreclaim.
inline long proc_kib(const char* file, const char* field) {
  std::FILE* f = std::fopen(file, "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  const std::size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, field, n) == 0 && line[n] == ':' && std::sscanf(line + n + 1, "%ld", &kib) == 1) break;
  std::fclose(f);
  return kib;
}
inline long status_kib(const char* field) { return proc_kib("/proc/self/status", field); }

// The memory of the kernel's task_struct objects in KiB (/proc/slabinfo: active objects x
// object size), or -1 if it cannot be read (it takes root).
inline double task_structs_kib() {
  std::FILE* f = std::fopen("/proc/slabinfo", "r");
  if (!f) return -1;
  char line[512];
  double kib = -1;
  long active = 0, total = 0, size = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "task_struct %ld %ld %ld", &active, &total, &size) == 3) {
      kib = static_cast<double>(active) * static_cast<double>(size) / 1024.0;
      break;
    }
  std::fclose(f);
  return kib;
}

// What the kernel holds that no RSS shows: every thread's kernel stack (KernelStack in
// /proc/meminfo) and its task_struct (slab). System-wide figures: taken just before the
// clients start and once all are connected, their difference is what the clients added
// (give or take processes that others started or ended meanwhile: the script keeps the
// median of rounds). A socket's kernel memory, which both sides pay alike, is left out.
struct kernel_memory {
  long stack_kib = proc_kib("/proc/meminfo", "KernelStack");
  double task_kib = task_structs_kib();
};

// CPU time (user + system) of the whole process so far, in ns.
inline double cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ns = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_usec) * 1e3; };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

// The figures: ops/s; the client's CPU time per GET from `cpu_before` (what a loaded machine
// does not distort: the other figures depend on when Redis gets its core); the peak RSS (the
// script runs one client too and takes the difference per client, which leaves out what any
// run pays once); the kernel memory the clients added (`before`: before any client existed,
// `connected`: once all were connected), per client.
inline void report(const char* prefix, long ops, double ns, double cpu_before, long clients,
                   const kernel_memory& before, const kernel_memory& connected) {
  std::string name = std::string(prefix) + ".redis_get";
  const double n = static_cast<double>(clients);
  bench::print_figure(name, static_cast<double>(ops) * 1e9 / ns, "ops/s");
  bench::print_figure(name + "_cpu", (cpu_ns() - cpu_before) / static_cast<double>(ops), "ns");
  bench::print_figure(name + "_rss", static_cast<double>(status_kib("VmHWM")), "KiB");
  bench::print_figure(name + "_kernel_stack_per_client", static_cast<double>(connected.stack_kib - before.stack_kib) / n, "KiB");
  if (before.task_kib >= 0 && connected.task_kib >= 0)
    bench::print_figure(name + "_kernel_task_per_client", (connected.task_kib - before.task_kib) / n, "KiB");
}

}  // namespace redis_bench
