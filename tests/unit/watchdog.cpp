// A hang in any test becomes a failure with a dump of the main thread's tasklets, never a
// stuck CI: a helper thread watches each test; past the limit it sends SIGQUIT (the main
// thread's scheduler then prints dump_tasklets() at its next switch point or wake-up) and,
// if the test still has not finished, aborts the binary. WEFT_TEST_WATCHDOG_SECONDS sets the
// limit (default 100 s: the dump at 100 s and the abort at 110 s both come before CTest's
// 120 s per-test TIMEOUT kills the test without a dump, and a slow test still gets 100 s).
// The thread is stopped and joined when the test program ends, before gtest deletes the
// listener it reads.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <weft/detail/io_wait.hpp>
#include <weft/scheduler.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

class hang_watchdog : public ::testing::EmptyTestEventListener {
 public:
  void OnTestProgramStart(const ::testing::UnitTest&) override {
    const char* env = std::getenv("WEFT_TEST_WATCHDOG_SECONDS");
    limit_ = env ? std::atoi(env) : 100;
    weft::dump_tasklets_on_sigquit();
    thread_ = std::thread([this] { watch(); });
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override { stop(); }
  // A test that calls exit() (a death test's child) never reaches OnTestProgramEnd.
  ~hang_watchdog() override { stop(); }
  void OnTestStart(const ::testing::TestInfo& info) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      name_ = std::string(info.test_suite_name()) + "." + info.name();
    }
    started_.store(now_s());
    running_.store(true);
  }
  void OnTestEnd(const ::testing::TestInfo&) override { running_.store(false); }

 private:
  static long now_s() {
    using namespace std::chrono;
    return duration_cast<seconds>(steady_clock::now().time_since_epoch()).count();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void watch() {
    weft::detail::register_helper_thread();  // not a thread that could feed a channel
    bool quit_sent = false;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu_);
        if (wake_.wait_for(l, std::chrono::seconds(1), [this] { return stop_; })) {
          weft::detail::unregister_helper_thread();
          return;
        }
      }
      if (!running_.load()) {
        quit_sent = false;
        continue;
      }
      long ran = now_s() - started_.load();
      std::string name;
      {
        std::lock_guard<std::mutex> l(mu_);
        name = name_;
      }
      if (ran >= limit_ && !quit_sent) {
        std::fprintf(stderr, "\nweft watchdog: %s has run for %ld s; the main thread's tasklets:\n",
                     name.c_str(), ran);
        quit_sent = true;
        ::kill(::getpid(), SIGQUIT);
      } else if (ran >= limit_ + 10) {
        std::fprintf(stderr, "weft watchdog: %s is hung; aborting\n", name.c_str());
        std::abort();
      }
    }
  }

  int limit_ = 100;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::string name_;
  std::atomic<long> started_{0};
  std::atomic<bool> running_{false};
};

const bool installed = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new hang_watchdog);
  return true;
}();

}  // namespace
