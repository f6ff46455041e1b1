// The floating-point control state (rounding mode, flush-to-zero: MXCSR and the x87 control
// word on x86-64) belongs to the thread, not to the tasklet, as in Go: a switch neither
// saves nor restores it, whichever way it goes (a yield, a channel handoff, a first entry, a
// dense tasklet's trip through the stack switcher, a tasklet's exit). docs/scheduler.md,
// "Floating-point control state".
#include <gtest/gtest.h>

#include <cfenv>
#include <cstdint>
#include <vector>

#include "weft/channel.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

#if defined(__x86_64__)
#include <xmmintrin.h>

namespace {

constexpr std::uint32_t ftz_bit = 0x8000;  // MXCSR flush-to-zero

std::uint16_t x87_control() {
  std::uint16_t cw;
  asm volatile("fnstcw %0" : "=m"(cw));
  return cw;
}
int x87_rounding() { return x87_control() & 0xc00; }  // bits 10-11, in fenv.h's encoding
int sse_rounding() { return static_cast<int>(_mm_getcsr() & 0x6000) >> 3; }

// A float product below FLT_MIN: flushed to zero under FTZ, a subnormal otherwise.
bool flushes_to_zero() {
  volatile float tiny = 1e-38f;
  volatile float half = 0.5f;
  float r = tiny * half;
  return r == 0.0f;
}

// Each test leaves the thread's floating-point environment as it found it.
class CoreFpControl : public ::testing::Test {
 protected:
  void SetUp() override { std::fegetenv(&saved_); }
  void TearDown() override { std::fesetenv(&saved_); }

 private:
  std::fenv_t saved_;
};

const weft::spawn_options dense{.stack = weft::stack_kind::dense};

TEST_F(CoreFpControl, ARoundingModeSetBeforeAYieldIsWhatTheNextTaskletRunsWith) {
  std::vector<int> seen;
  weft::spawn([&] {
    std::fesetround(FE_DOWNWARD);
    weft::schedule();
    // b changed it while this tasklet was switched out: the thread's mode, not ours.
    seen.push_back(x87_rounding());
    seen.push_back(sse_rounding());
  });
  weft::spawn([&] {
    seen.push_back(x87_rounding());
    seen.push_back(sse_rounding());
    std::fesetround(FE_TOWARDZERO);
    weft::schedule();
  });
  weft::run();
  EXPECT_EQ(seen, (std::vector<int>{FE_DOWNWARD, FE_DOWNWARD, FE_TOWARDZERO, FE_TOWARDZERO}));
  EXPECT_EQ(std::fegetround(), FE_TOWARDZERO);  // the last change is the thread's
}

TEST_F(CoreFpControl, FlushToZeroCrossesAChannelHandoff) {
  ASSERT_FALSE(flushes_to_zero());
  weft::channel<int> ch;
  bool receiver_flushed = false;
  bool sender_flushed_after = true;
  weft::spawn([&] {
    ch.receive();  // resumed by the sender's handoff, which set FTZ just before
    receiver_flushed = flushes_to_zero();
    _mm_setcsr(_mm_getcsr() & ~ftz_bit);
  });
  weft::spawn([&] {
    _mm_setcsr(_mm_getcsr() | ftz_bit);
    ch.send(1);  // switches to the receiver now (preference -1)
    sender_flushed_after = flushes_to_zero();
  });
  weft::run();
  EXPECT_TRUE(receiver_flushed);
  EXPECT_FALSE(sender_flushed_after);
}

TEST_F(CoreFpControl, AFreshTaskletStartsWithTheThreadsModeNotTheOneAtItsSpawn) {
  int first = -1;
  std::uint32_t csr = 0;
  weft::spawn([&] {
    first = x87_rounding();
    csr = _mm_getcsr();
  });
  // The context was made above, with the defaults in place; the mode changes afterwards.
  std::fesetround(FE_UPWARD);
  _mm_setcsr(_mm_getcsr() | ftz_bit);
  weft::run();
  EXPECT_EQ(first, FE_UPWARD);
  EXPECT_EQ(static_cast<int>(csr & 0x6000) >> 3, FE_UPWARD);
  EXPECT_NE(csr & ftz_bit, 0u);
}

TEST_F(CoreFpControl, DenseTaskletsThroughTheStackSwitcherShareTheThreadsMode) {
  // Two dense tasklets alternate on the shared stack: every switch between them goes through
  // the switcher, which makes the second one's first context and copies images back.
  std::vector<int> seen;
  weft::spawn(dense, [&] {
    std::fesetround(FE_UPWARD);
    weft::schedule();
    seen.push_back(std::fegetround());
    std::fesetround(FE_DOWNWARD);
    weft::schedule();
  });
  weft::spawn(dense, [&] {
    seen.push_back(std::fegetround());
    std::fesetround(FE_TOWARDZERO);
    weft::schedule();
    seen.push_back(std::fegetround());
  });
  weft::run();
  EXPECT_EQ(seen, (std::vector<int>{FE_UPWARD, FE_TOWARDZERO, FE_DOWNWARD}));
}

TEST_F(CoreFpControl, ATaskletThatFinishesLeavesItsModeToTheThread) {
  weft::spawn([] {
    std::fesetround(FE_DOWNWARD);
    _mm_setcsr(_mm_getcsr() | ftz_bit);
  });
  weft::run();
  EXPECT_EQ(x87_rounding(), FE_DOWNWARD);
  EXPECT_EQ(sse_rounding(), FE_DOWNWARD);
  EXPECT_TRUE(flushes_to_zero());
}

TEST_F(CoreFpControl, TheX87PrecisionControlIsTheThreadsToo) {
  // Precision control (bits 8-9): 00 = single. Nothing in weft touches it.
  std::uint16_t seen = 0;
  weft::spawn([&] {
    std::uint16_t cw = static_cast<std::uint16_t>(x87_control() & ~0x300);
    asm volatile("fldcw %0" : : "m"(cw));
    weft::schedule();
  });
  weft::spawn([&] { seen = x87_control(); });
  weft::run();
  EXPECT_EQ(seen & 0x300, 0);
}

}  // namespace

#else

TEST(CoreFpControl, SkippedOffX86_64) {
  GTEST_SKIP() << "the floating-point control state is as Boost.Context's port leaves it here";
}

#endif
