// The ASan build must still catch real memory errors inside tasklets: the stack-switch
// annotations exist to remove false positives, not to blind the sanitizer.
#include <gtest/gtest.h>
#include <weft/weft.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_TEST_ASAN 1
#endif
#endif

#ifdef WEFT_TEST_ASAN
namespace {

[[gnu::noinline]] int read_after_free() {
  int* p = new int(7);
  delete p;
  weft::schedule();  // the bad read happens after a switch, on a tasklet's stack
  return *static_cast<volatile int*>(p);
}

}  // namespace
#endif

TEST(CoreSanitizer, UseAfterFreeInsideTaskletIsReported) {
#ifndef WEFT_TEST_ASAN
  GTEST_SKIP() << "only meaningful in the ASan build, which make test also runs";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        weft::spawn([] { (void)read_after_free(); });
        weft::spawn([] { weft::schedule(); });
        weft::run();
      },
      "heap-use-after-free");
#endif
}

TEST(CoreSanitizer, DeepStacksAndExceptionsAcrossSwitchesAreClean) {
  // Under ASan this exercises the fiber annotations: frames, exceptions and unwinding on
  // many stacks, interleaved. Any false positive would abort the test binary.
  int caught = 0;
  for (int i = 0; i < 50; ++i) {
    weft::spawn([&caught, i] {
      char frame[512];
      for (int k = 0; k < 512; ++k) frame[k] = static_cast<char>(k + i);
      try {
        weft::schedule();
        if (frame[i] == static_cast<char>(2 * i)) throw std::runtime_error("odd");
        throw std::logic_error("even");
      } catch (const std::exception&) {
        weft::schedule();
        ++caught;
      }
    });
  }
  weft::run();
  EXPECT_EQ(caught, 50);
}
