#!/usr/bin/env bash
# Installs weft into a scratch prefix, then builds a tiny program against the installed tree
# twice: with find_package(weft) and with pkg-config. Both must run and print the result.
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_TESTS=OFF \
  -DWEFT_BUILD_BENCH=OFF -DWEFT_BUILD_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix" >/dev/null
ninja -C "$work/build" >/dev/null
cmake --install "$work/build" >/dev/null

mkdir -p "$work/consumer"
cat > "$work/consumer/main.cpp" <<'CPP'
#include <weft/weft.hpp>
#include <cstdio>
int main() {
  weft::channel<int> ch;
  weft::spawn([&] { for (int i = 1; i <= 3; ++i) ch.send(i); ch.close(); });
  int sum = 0;
  weft::spawn([&] { for (int v : ch) sum += v; });
  weft::run();
  std::printf("sum=%d\n", sum);
  return sum == 6 ? 0 : 1;
}
CPP
cat > "$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(weft REQUIRED)
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE weft::weft)
CMAKE
cmake -S "$work/consumer" -B "$work/consumer/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
ninja -C "$work/consumer/build" >/dev/null
# User code must get weft's stack clash protection (a frame larger than a tasklet's guard page
# would otherwise step over it): from the CMake target and from weft.pc alike.
ninja -C "$work/consumer/build" -t commands consumer | grep -- -fstack-clash-protection >/dev/null ||
  { echo "the find_package consumer is not compiled with -fstack-clash-protection"; exit 1; }
out=$("$work/consumer/build/consumer")
[ "$out" = "sum=6" ] || { echo "cmake consumer printed: $out"; exit 1; }

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
pkg-config --cflags weft | grep -- -fstack-clash-protection >/dev/null ||
  { echo "pkg-config --cflags weft lacks -fstack-clash-protection"; exit 1; }
${CXX:-c++} "$work/consumer/main.cpp" -o "$work/consumer/pc" $(pkg-config --cflags --libs weft)
out=$("$work/consumer/pc")
[ "$out" = "sum=6" ] || { echo "pkg-config consumer printed: $out"; exit 1; }
echo "installed weft works with find_package and pkg-config"
