// libcurl's easy API, unmodified from Debian, in 50 tasklets on one thread: each a GET of a
// weft HTTP endpoint that answers after 200 ms, all within twice the time of one; a tasklet
// killed inside curl_easy_perform unwinds and its handle is cleaned up. The timed test's
// endpoint is a process of its own (this thread's time goes to the clients alone); the kill
// test's is a tasklet of this thread (examples/parallel_curl does the timed case that way).
#include <curl/curl.h>

#include <memory>
#include <string>

#include "delay_endpoint.hpp"
#include "delay_process.hpp"
#include "hook_test.hpp"

namespace {

using namespace hook_test;

struct easy_cleanup {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using curl_handle = std::unique_ptr<CURL, easy_cleanup>;

std::size_t append(char* data, std::size_t size, std::size_t n, void* body) {
  static_cast<std::string*>(body)->append(data, size * n);
  return size * n;
}

// GET url with the easy API; checks the status and the body. The timeout ends a transfer
// that never completes (the endpoint is in this thread: without the hook it cannot answer).
void get(const std::string& url, const std::string& expected_body, long timeout_ms = 5000) {
  curl_handle c(curl_easy_init());
  ASSERT_TRUE(c);
  std::string body;
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  auto t0 = weft::clock::now();
  CURLcode rc = curl_easy_perform(c.get());
  double took = seconds(weft::clock::now() - t0).count();
  ASSERT_EQ(rc, CURLE_OK) << url << ": " << curl_easy_strerror(rc);
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, expected_body);
  EXPECT_GE(took, 0.19) << url << " answered before the endpoint's delay";
}

class libcurl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK); }
  static void TearDownTestSuite() { curl_global_cleanup(); }
};

TEST_F(libcurl, fifty_gets_on_one_thread_take_the_time_of_one) {
  delay_process endpoint;
  weft::hook::reset_counts();
  seconds one = time_calls(1, [](int) {}, [&](int) { get(endpoint.url(200, "alone"), "resource alone\n"); });
  seconds all = time_calls(
      tasklets, [](int) {},
      [&](int i) { get(endpoint.url(200, std::to_string(i)), "resource " + std::to_string(i) + "\n"); });
  std::printf("libcurl: one call %.3f s, %d calls in %d tasklets %.3f s\n", one.count(), tasklets, tasklets,
              all.count());
  EXPECT_LT(all.count(), 2 * one.count()) << "the calls did not overlap: libcurl blocked the thread";
  record_coverage("libcurl");
}

// By host name: libcurl resolves "localhost" on its own resolver thread (a pthread, where
// every call is libc's) and waits for it on a socketpair in poll, which the hook interposes.
TEST_F(libcurl, fifty_gets_by_host_name_resolve_on_curls_thread_meanwhile) {
  delay_process endpoint;
  auto by_name = [&](int delay_ms, const std::string& name) {
    std::string url = endpoint.url(delay_ms, name);
    return url.replace(url.find("127.0.0.1"), 9, "localhost");
  };
  weft::hook::reset_counts();
  seconds one = time_calls(1, [](int) {}, [&](int) { get(by_name(200, "alone"), "resource alone\n"); });
  seconds all = time_calls(
      tasklets, [](int) {},
      [&](int i) { get(by_name(200, std::to_string(i)), "resource " + std::to_string(i) + "\n"); });
  std::printf("libcurl by name: one call %.3f s, %d calls in %d tasklets %.3f s\n", one.count(), tasklets, tasklets,
              all.count());
  EXPECT_LT(all.count(), 2 * one.count()) << "the calls did not overlap: libcurl blocked the thread";
  record_coverage("libcurl");
}

TEST_F(libcurl, kill_inside_easy_perform_unwinds_and_cleans_up) {
  {
    delay_endpoint warm;
    time_calls(1, [](int) {}, [&](int) { get(warm.url(200, "warm"), "resource warm\n"); });
  }
  warm_up_scheduler();
  weft::hook::reset_counts();
  const std::size_t fds = open_fds();
  {
    delay_endpoint endpoint;  // stopped before the count: it holds its side of the connection
    std::string waiting = kill_blocked_call([&] { get(endpoint.url(10000, "never"), "", 20000); });
    std::printf("libcurl: killed while waiting on %s\n", waiting.c_str());
    time_calls(1, [](int) {}, [&](int) { get(endpoint.url(200, "after"), "resource after\n"); });
  }
  EXPECT_EQ(open_fds(), fds) << "descriptors leaked by the killed call";
  record_coverage("libcurl");
}

}  // namespace
