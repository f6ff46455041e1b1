// The sleep family: in a tasklet, a weft timer (only the tasklet sleeps). A tasklet's sleep
// is not cut short by signals, so `rem` is never written and the result is always 0.
#include <time.h>
#include <unistd.h>

#include "hook/blocking.hpp"
#include "sys/real.hpp"
#include "weft/time.hpp"

namespace real = weft::sys::real;
using namespace weft::hook::detail;

namespace {

bool valid(const timespec* t) noexcept {
  return t != nullptr && t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < 1'000'000'000;
}

std::chrono::nanoseconds as_ns(const timespec& t) noexcept {
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

void tasklet_sleep(std::chrono::nanoseconds d) {
  note_progress();
  weft::sleep_for(std::chrono::duration_cast<weft::clock::duration>(d));
  note_progress();
}

}  // namespace

extern "C" {

int nanosleep(const timespec* req, timespec* rem) {
  scheduler_impl* s = valid(req) ? enter(call::nanosleep) : nullptr;
  if (!s) return real::nanosleep(req, rem);
  tasklet_sleep(as_ns(*req));
  return 0;
}

int clock_nanosleep(clockid_t clk, int flags, const timespec* req, timespec* rem) {
  bool known = clk == CLOCK_MONOTONIC || clk == CLOCK_REALTIME || clk == CLOCK_BOOTTIME;
  scheduler_impl* s = known && valid(req) ? enter(call::clock_nanosleep) : nullptr;
  if (!s) return real::clock_nanosleep(clk, flags, req, rem);
  std::chrono::nanoseconds d = as_ns(*req);
  if (flags & TIMER_ABSTIME) {
    // Measured against that clock once: a later change of the wall clock is not followed.
    timespec now{};
    ::clock_gettime(clk, &now);
    d -= as_ns(now);
    if (d.count() < 0) d = std::chrono::nanoseconds(0);
  }
  tasklet_sleep(d);
  return 0;
}

int usleep(useconds_t us) {
  scheduler_impl* s = enter(call::usleep);
  if (!s) return real::usleep(us);
  tasklet_sleep(std::chrono::microseconds(us));
  return 0;
}

unsigned sleep(unsigned sec) {
  scheduler_impl* s = enter(call::sleep);
  if (!s) return real::sleep(sec);
  tasklet_sleep(std::chrono::seconds(sec));
  return 0;
}

}  // extern "C"
