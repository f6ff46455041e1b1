// The examples, run as processes and driven from outside, the way a user would.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "unit/net_test.hpp"

using namespace net_test;

namespace {

std::string run_capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << cmd;
  }
  return out;
}

}  // namespace

TEST(NetExamples, EchoServerProcess) {
  std::string exe = std::string(WEFT_EXAMPLES_DIR) + "/echo_server";
  int err[2];
  ASSERT_EQ(pipe(err), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  char* argv[] = {exe.data(), const_cast<char*>("--port"), const_cast<char*>("0"), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, environ), 0) << exe;
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);

  // Its first line names the port.
  FILE* e = fdopen(err[0], "r");
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof line, e), nullptr);
  std::cmatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex("listening on 127\\.0\\.0\\.1:(\\d+)\n"))) << line;
  const net::address where = net::address::loopback_v4(static_cast<std::uint16_t>(std::stoi(m[1])));

  std::vector<std::string> got(3);
  for (int i = 0; i < 3; ++i)
    weft::spawn([&, i] {
      net::socket c = net::tcp_connect(where, 5s);
      c.set_timeout(5s);
      std::string msg = "message " + std::to_string(i) + std::string(100000, 'e');
      weft::spawn([&c, msg] { c.sendall(msg); });  // the echo comes back while we send
      std::string back;
      while (back.size() < msg.size()) back += c.recv(65536);
      got[i] = back == msg ? "ok" : "mismatch";
      c.shutdown(net::shutdown_how::write);
      EXPECT_EQ(c.recv(16), "");  // the server closes after our FIN
    });
  weft::run();
  EXPECT_EQ(got, (std::vector<std::string>{"ok", "ok", "ok"}));

  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  fclose(e);
}

TEST(NetExamples, SeedConnectRead) {
  EXPECT_EQ(run_capture(std::string(WEFT_EXAMPLES_DIR) + "/seed_connect_read"),
            "READ DATA hello from the server\n");
}

TEST(NetExamples, ParallelDownloadsBeatSerial) {
  std::string out = run_capture(std::string(WEFT_EXAMPLES_DIR) + "/parallel_downloads --count 4 --delay-ms 100");
  std::smatch m;
  std::regex totals(" === Serial === \n(?:Downloaded /\\d \\(16397 bytes\\) in [0-9.]+ seconds\n){4}"
                    " ---> ([0-9.]+)\n === Parallel === \n(?:Downloaded /\\d \\(16397 bytes\\) in [0-9.]+ seconds\n){4}"
                    " ---> ([0-9.]+)\n");
  ASSERT_TRUE(std::regex_match(out, m, totals)) << out;
  double serial = std::stod(m[1]), parallel = std::stod(m[2]);
  EXPECT_GE(serial, 0.4);
  EXPECT_LT(parallel, 0.3);
}
