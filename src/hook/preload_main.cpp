// libweft_preload.so's entry: wraps __libc_start_main so that the program's main runs as
// its thread's main tasklet (the main thread gets a scheduler first). Threads the program
// starts have none: they get libc's behaviour until they use weft.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

#include "weft/detail/wait.hpp"

namespace {

using main_fn = int (*)(int, char**, char**);
using start_fn = int (*)(main_fn, int, char**, void (*)(), void (*)(), void (*)(), void*);

main_fn g_program_main = nullptr;

int main_as_tasklet(int argc, char** argv, char** envp) {
  weft::detail::this_scheduler();
  return g_program_main(argc, argv, envp);
}

}  // namespace

extern "C" int __libc_start_main(main_fn main, int argc, char** argv, void (*init)(), void (*fini)(),
                                 void (*rtld_fini)(), void* stack_end) {
  auto real = reinterpret_cast<start_fn>(::dlsym(RTLD_NEXT, "__libc_start_main"));
  if (real == nullptr) {
    static const char msg[] = "libweft_preload: cannot find __libc_start_main\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    std::abort();
  }
  g_program_main = main;
  return real(&main_as_tasklet, argc, argv, init, fini, rtld_fini, stack_end);
}
