// A frame larger than the guard page must not step over it into the stack mapped below
// (another tasklet's): weft and its users are built with -fstack-clash-protection, so the
// frame probes every page it allocates, hits the guard page first, and the overflow is
// reported by the tasklet's name like any other.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/scheduler_impl.hpp"  // the current tasklet's stack bounds
#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace {

constexpr std::size_t small_stack = 64 * 1024;
constexpr std::size_t canary_size = 16 * 1024;

const weft::detail::stack_area& my_stack() {
  return weft::detail::tls_scheduler->current()->stack;
}

// A frame three pages larger than the guard page that writes only its lowest bytes: without
// probes the write lands below the guard page, in whatever is mapped there.
[[gnu::noinline]] void big_frame(volatile char* sink) {
  volatile char big[3 * 4096 + 512];
  big[0] = 1;
  *sink = big[0];
}

// Recurses until the stack pointer is within about 1.5 KiB of the stack's lowest usable
// address, then calls big_frame.
[[gnu::noinline]] void descend_to(const char* stop_at, volatile char* sink) {
  volatile char pad[256];
  pad[0] = 1;
  if (const_cast<const char*>(&pad[0]) > stop_at) {
    descend_to(stop_at, sink);
  } else {
    big_frame(sink);
  }
  *sink = static_cast<char>(*sink + pad[0]);
}

// Runs in the death test's child: victim tasklets, one of whose stacks lies right below the
// overflowing tasklet's guard page, then the overflow. If nothing stops the big frame, the
// neighbour finds its locals overwritten and the child exits normally (the test fails).
void overflow_into_neighbour() {
  volatile char sink = 0;
  weft::channel<int> go;
  std::vector<const char*> tops;
  int corrupted = 0;
  bool adjacent = false;  // a victim's stack, rather than a stand-in mapping, lies below
  weft::tasklet ov = weft::tasklet::bind(
      weft::spawn_options{.stack_size = small_stack, .name = "wide-frame"}, [&] {
        const auto& s = my_stack();
        const char* guard = static_cast<const char*>(s.mapping);
        for (const char* t : tops) adjacent = adjacent || t == guard;
        char* fake = nullptr;
        if (!adjacent) {
          // Not laid out as expected: put a stand-in neighbour there ourselves.
          void* p = ::mmap(const_cast<char*>(guard) - small_stack, small_stack, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
          if (p != MAP_FAILED) {
            fake = static_cast<char*>(p);
            std::memset(fake, 0x5a, small_stack);
          }
        }
        descend_to(s.base + 1536, &sink);
        if (fake) {
          for (std::size_t k = 0; k < small_stack; ++k)
            if (fake[k] != 0x5a) ++corrupted;
        }
      });
  // Stacks are mapped top-down: one mapped right after the overflower's lies below its
  // guard page.
  constexpr int victims = 8;
  for (int i = 0; i < victims; ++i)
    weft::spawn(weft::spawn_options{.stack_size = small_stack}, [&] {
      volatile char canary[canary_size];
      for (std::size_t k = 0; k < canary_size; ++k) canary[k] = 0x5a;
      tops.push_back(my_stack().top);
      go.receive();
      for (std::size_t k = 0; k < canary_size; ++k)
        if (canary[k] != 0x5a) ++corrupted;
    });
  weft::run();
  ov.run();
  weft::run();
  for (int i = 0; i < victims; ++i) go.send(i);
  weft::run();
  std::fprintf(stderr, "no overflow was reported; %d bytes of the %s below were overwritten\n",
               corrupted, adjacent ? "neighbouring tasklet's stack" : "stand-in mapping");
}

}  // namespace

TEST(CoreStackDeathTest, FrameLargerThanTheGuardPageIsReportedByName) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(overflow_into_neighbour(), "wide-frame overflowed its");
}
