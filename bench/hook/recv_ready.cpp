// hook.recv_ready: an interposed recv(2) from a tasklet on a ready socket the program believes
// blocking, beside the direct weft::net::socket::recv_into and libc's own recv on a
// non-blocking socket, all 1 byte at a time from a socket filled beforehand.
// Goal: the interposed call within 1.1x of the direct weft call.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <vector>

#include "figure.hpp"
#include "sys/real.hpp"
#include "weft/hook.hpp"
#include "weft/net/socket.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"
#include "weft/time.hpp"

namespace {

constexpr int per_round = 32768;
constexpr int rounds = 15;

// Fills `reader`'s receive queue with per_round bytes through `writer` (not timed).
void fill(int writer) {
  static const std::vector<char> bytes(per_round, 'r');
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = weft::sys::real::send(writer, bytes.data() + done, bytes.size() - done, 0);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

void enlarge(int fd) {
  int size = 4 << 20;
  weft::sys::real::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  weft::sys::real::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// ns per call of recv_one() over one round of per_round calls.
template <class Recv>
double round_ns(int writer, Recv recv_one) {
  fill(writer);
  double t0 = bench::now_ns();
  for (int i = 0; i < per_round; ++i) recv_one();
  return (bench::now_ns() - t0) / per_round;
}

}  // namespace

int main() {
  if (!weft::hook::linked()) return 1;
  // The measuring tasklet holds its thread on purpose: no stall reports.
  weft::hook::set_stall_threshold(std::chrono::milliseconds(0));
  // A second tasklet exists throughout, so the interposed calls are weft's to handle.
  weft::tasklet idle = weft::spawn([] { weft::sleep_for(std::chrono::hours(1)); });
  double hooked = 0, direct = 0, libc = 0;
  weft::spawn([&] {
    char b;
    int sv[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv);  // interposed: managed, blocking to the program
    enlarge(sv[0]);
    enlarge(sv[1]);
    auto [a, w] = weft::net::socket::pair();
    enlarge(a.native_handle());
    enlarge(w.native_handle());
    std::byte one[1];
    weft::hook::reset_counts();
    // The three alternate round by round, so a burst of load elsewhere hits all of them;
    // each keeps its fastest round.
    for (int r = 0; r < rounds; ++r) {
      double h = round_ns(sv[1], [&] { (void)::recv(sv[0], &b, 1, 0); });
      double d = round_ns(w.native_handle(), [&] { (void)a.recv_into(std::span<std::byte>(one)); });
      double l = round_ns(w.native_handle(), [&] { (void)weft::sys::real::recv(a.native_handle(), &b, 1, 0); });
      if (r == 0 || h < hooked) hooked = h;
      if (r == 0 || d < direct) direct = d;
      if (r == 0 || l < libc) libc = l;
    }
    bool counted = false;
    for (const auto& c : weft::hook::counts())
      if (std::string_view(c.name) == "recv") counted = c.interposed == std::uint64_t{per_round} * rounds;
    if (!counted) hooked = -1;  // not interposed: the figure would be meaningless
    ::close(sv[0]);
    ::close(sv[1]);
    idle.kill();
  });
  weft::run();
  if (hooked < 0) {
    std::fprintf(stderr, "recv_ready: the recv calls were not interposed\n");
    return 1;
  }
  bench::print_figure("hook.recv_ready", hooked, "ns");
  bench::print_figure("hook.recv_ready.weft_socket", direct, "ns");
  bench::print_figure("hook.recv_ready.libc_nonblocking", libc, "ns");
  bench::print_figure("hook.recv_ready.ratio_to_weft_socket", hooked / direct, "x");
  bench::print_figure("hook.recv_ready.overhead_vs_weft_socket", hooked - direct, "ns");
  return 0;
}
