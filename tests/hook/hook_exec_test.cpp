// The exec family: a descriptor the program believes blocking reaches the new program
// blocking (the hooks made it non-blocking underneath); one the program made non-blocking
// stays so; one closed on exec is left alone; and a failed exec leaves every managed
// descriptor non-blocking underneath again, as the hooks need it.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "hook_test.hpp"

namespace {

// O_NONBLOCK as the kernel has it, past the hooks (fcntl itself is interposed).
bool nonblocking_underneath(int fd) { return ::syscall(SYS_fcntl, fd, F_GETFL, 0) & O_NONBLOCK; }

// Runs `sh -c script` in a fork child through `exec` (one of the exec family), and returns
// what it wrote to the file named by $OUT.
template <class Exec>
std::string run_in_child(const std::string& script, Exec exec) {
  char path[] = "/tmp/weft_hook_exec_XXXXXX";
  int out = ::mkstemp(path);
  EXPECT_GE(out, 0);
  ::close(out);
  std::string full = "OUT=" + std::string(path) + "; " + script;
  pid_t child = ::fork();
  if (child == 0) {
    exec(full.c_str());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ::unlink(path);
  return text;
}

// The script: for each fd, 1 if the new program finds it non-blocking, else 0.
std::string flags_script(std::initializer_list<int> fds) {
  std::string s = "r=; for f in";
  for (int fd : fds) s += " " + std::to_string(fd);
  s += "; do fl=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$$/fdinfo/$f); "
       "r=\"$r$(( (0$fl & 04000) != 0 ))\"; done; echo \"$r\" > \"$OUT\"";
  return s;
}

}  // namespace

TEST(HookExec, InheritedDescriptorsArriveInTheModeTheProgramSet) {
  int p[2], q[2], sv[2];
  ASSERT_EQ(::pipe(p), 0);                                          // blocking to the program
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);  // non-blocking to it
  ASSERT_EQ(::pipe2(q, O_CLOEXEC), 0);                              // not inherited
  ASSERT_TRUE(nonblocking_underneath(p[0]));
  ASSERT_TRUE(nonblocking_underneath(q[0]));
  const std::string script = flags_script({p[0], p[1], sv[0]});
  auto via_execl = [](const char* s) { ::execl("/bin/sh", "sh", "-c", s, static_cast<char*>(nullptr)); };
  auto via_execvp = [](const char* s) {
    const char* argv[] = {"sh", "-c", s, nullptr};
    ::execvp("sh", const_cast<char* const*>(argv));
  };
  auto via_execve = [](const char* s) {
    const char* argv[] = {"sh", "-c", s, nullptr};
    const char* envp[] = {"PATH=/usr/bin:/bin", nullptr};
    ::execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  };
  auto via_execle = [](const char* s) {
    const char* envp[] = {"PATH=/usr/bin:/bin", nullptr};
    ::execle("/bin/sh", "sh", "-c", s, static_cast<char*>(nullptr), envp);
  };
  EXPECT_EQ(run_in_child(script, via_execl), "001\n");
  EXPECT_EQ(run_in_child(script, via_execle), "001\n");
  EXPECT_EQ(run_in_child(script, via_execvp), "001\n");
  EXPECT_EQ(run_in_child(script, via_execve), "001\n");
  // The close-on-exec pipe was never touched: the hooks still have it non-blocking.
  EXPECT_TRUE(nonblocking_underneath(q[0]));
  for (int fd : {p[0], p[1], q[0], q[1], sv[0], sv[1]}) ::close(fd);
}

TEST(HookExec, AFailedExecPutsTheModeUnderneathBack) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  errno = 0;
  EXPECT_EQ(::execl("/nonexistent/weft-no-such-program", "x", static_cast<char*>(nullptr)), -1);
  EXPECT_EQ(errno, ENOENT);
  const char* argv[] = {"x", nullptr};
  EXPECT_EQ(::execvp("weft-no-such-program-anywhere", const_cast<char* const*>(argv)), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_TRUE(nonblocking_underneath(p[0]));
  EXPECT_TRUE(nonblocking_underneath(p[1]));
  EXPECT_EQ(::fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);  // the program's view is unchanged
  ::close(p[0]);
  ::close(p[1]);
}
