// The delay endpoint (delay_endpoint.hpp) as a child process: the delay_server binary named
// by WEFT_HOOK_DELAY_SERVER, so that the testing thread spends its time on the clients alone.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "delay_endpoint.hpp"

namespace hook_test {

// Started by the constructor (which throws if the server does not report its port); killed
// and reaped by the destructor.
class delay_process {
 public:
  delay_process() {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    char* argv[] = {const_cast<char*>(WEFT_HOOK_DELAY_SERVER), nullptr};
    int rc = posix_spawn(&pid_, WEFT_HOOK_DELAY_SERVER, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    std::FILE* f = fdopen(out[0], "r");
    unsigned port = 0;
    bool read = rc == 0 && f && std::fscanf(f, "%u", &port) == 1;
    f ? std::fclose(f) : close(out[0]);
    if (!read || port == 0 || port > 65535) {
      stop();
      throw std::runtime_error("could not start " WEFT_HOOK_DELAY_SERVER);
    }
    port_ = static_cast<std::uint16_t>(port);
  }
  ~delay_process() { stop(); }
  delay_process(const delay_process&) = delete;
  delay_process& operator=(const delay_process&) = delete;

  std::string url(int delay_ms, const std::string& name) const { return delay_url(port_, delay_ms, name); }

 private:
  void stop() noexcept {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }
  pid_t pid_ = 0;
  std::uint16_t port_ = 0;
};

}  // namespace hook_test
