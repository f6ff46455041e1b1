// Without libFuzzer (g++ builds): runs each file or directory of files given on the command
// line through LLVMFuzzerTestOneInput once, so the corpus doubles as a regression test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p = argv[i];
    auto one = [&](const std::filesystem::path& f) {
      std::ifstream in(f, std::ios::binary);
      std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
      ++runs;
    };
    if (std::filesystem::is_directory(p))
      for (auto& e : std::filesystem::directory_iterator(p)) one(e.path());
    else
      one(p);
  }
  std::printf("%d inputs replayed\n", runs);
  return runs > 0 ? 0 : 1;
}
