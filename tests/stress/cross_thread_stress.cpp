// Cross-thread stress: 4 threads (schedulers) pass numbered messages through an unbuffered
// and a buffered channel shared by all of them, a weft::semaphore shared by all bounds the
// messages in flight, a weft::mutex shared by all guards a ledger, and killer tasklets kill
// tasklets of the other threads all along (each killed one is replaced): the consumers, or
// bystanders blocked on a shared channel, a shared event and timers. At the end every
// message must have arrived exactly once: an operation that completed returns its result
// and a kill lands at the next switch point, so a kill may never drop or duplicate one. Run under ThreadSanitizer by `make test` (and with 10x the messages by
// `make stress`), where any data race in the core is a failure too.
//
//   weft_stress [--messages N] [--threads T] [--kill-every K]
//               [--kill-targets consumers|bystanders] [--stall-seconds S]
//   (WEFT_STRESS_MESSAGES sets the default message count)
#include <weft/detail/io_wait.hpp>
#include <weft/weft.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// Consumers take the messages; bystanders wait on shared objects no message passes through.
enum class role { consumer, bystander };

struct options {
  std::uint64_t messages = 1'000'000;
  int threads = 4;
  int kill_every = 500;  // each killer kills one consumer per this many messages received
  int stall_seconds = 60;  // no message received for this long fails the run
  role kill_targets = role::consumer;
};

constexpr int producers_per_thread = 2;
constexpr int consumers_per_channel = 3;  // per thread
constexpr int bystanders_per_thread = 3;
constexpr std::size_t buffer_capacity = 64;
constexpr std::ptrdiff_t in_flight = 256;  // semaphore permits

struct shared_state {
  explicit shared_state(const options& o)
      : opt(o),
        seen(o.messages),
        consumers(static_cast<std::size_t>(o.threads)),
        bystanders(static_cast<std::size_t>(o.threads)) {}
  options opt;
  weft::channel<std::uint64_t> unbuffered;
  weft::channel<std::uint64_t> buffered{buffer_capacity};
  weft::semaphore permits{in_flight};
  std::vector<std::atomic<std::uint8_t>> seen;
  std::atomic<std::uint64_t> sent{0};  // send() returned
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> finished{false};

  // Guarded by `ledger_lock`, a weft::mutex taken from every thread.
  weft::mutex ledger_lock;
  std::uint64_t ledger_count = 0;
  std::uint64_t ledger_sum = 0;
  // Messages whose consumer was killed while waiting for the ledger lock (in `received` too).
  std::atomic<std::uint64_t> unledgered_count{0};
  std::atomic<std::uint64_t> unledgered_sum{0};

  // Bystanders wait on these; both are released at the end.
  weft::channel<std::uint64_t> idle;
  weft::event stop;

  std::atomic<std::uint64_t> kills{0};
  std::atomic<std::uint64_t> killed{0};

  // Set by the stall watchdog: each thread's monitor prints its tasklets once.
  std::atomic<bool> dump_requested{false};
  std::atomic<int> dumped{0};

  // Each thread's live workers, for the other threads' killers (each removes itself).
  std::mutex registry_mu;
  std::vector<std::vector<weft::tasklet>> consumers;
  std::vector<std::vector<weft::tasklet>> bystanders;
  std::vector<std::vector<weft::tasklet>>& registry(role r) { return r == role::consumer ? consumers : bystanders; }
};

void spawn_worker(shared_state& s, int thread, role r, weft::channel<std::uint64_t>* ch);

// Unregisters a worker when it ends, and replaces it if it was killed before the end.
struct replace_when_killed {
  shared_state& s;
  int thread;
  role r;
  weft::channel<std::uint64_t>* ch;
  bool normal_exit = false;
  ~replace_when_killed() {
    {
      std::lock_guard<std::mutex> l(s.registry_mu);
      std::erase_if(s.registry(r)[static_cast<std::size_t>(thread)],
                    [id = weft::current().id()](const weft::tasklet& x) { return x.id() == id; });
    }
    if (normal_exit) return;
    s.killed.fetch_add(1, std::memory_order_relaxed);
    if (!s.finished.load(std::memory_order_acquire)) spawn_worker(s, thread, r, ch);
  }
};

// Every message received counts here, ledgered or not: the last one ends the run.
void count_received(shared_state& s) {
  if (s.received.fetch_add(1, std::memory_order_acq_rel) + 1 == s.opt.messages) {
    s.finished.store(true, std::memory_order_release);
    s.unbuffered.close();
    s.buffered.close();
    s.idle.close();
    s.stop.set();
  }
}

void consume(shared_state& s, replace_when_killed& guard, weft::channel<std::uint64_t>& ch) {
  for (;;) {
    std::uint64_t id;
    try {
      id = ch.receive();
    } catch (const weft::channel_closed&) {
      guard.normal_exit = true;
      return;
    }
    // No switch point between receive() returning and this record.
    if (id >= s.opt.messages || s.seen[id].fetch_add(1, std::memory_order_relaxed) != 0) {
      std::fprintf(stderr, "weft_stress: message %llu arrived twice (or is unknown)\n",
                   static_cast<unsigned long long>(id));
      std::abort();
    }
    s.permits.release();
    try {
      s.ledger_lock.lock();
    } catch (...) {
      // Killed while waiting for the lock: the message did arrive, only the ledger misses it.
      s.unledgered_count.fetch_add(1, std::memory_order_relaxed);
      s.unledgered_sum.fetch_add(id, std::memory_order_relaxed);
      count_received(s);
      throw;
    }
    ++s.ledger_count;
    s.ledger_sum += id;
    s.ledger_lock.unlock();
    count_received(s);
  }
}

// Waits on things no message passes through (a shared channel nobody sends on, a shared
// event set at the end, a timer), so a kill can never cost a message.
void stand_by(shared_state& s, replace_when_killed& guard) {
  for (unsigned k = 0; !s.finished.load(std::memory_order_acquire); ++k) {
    switch (k % 3) {
      case 0:
        try {
          s.idle.receive();
        } catch (const weft::channel_closed&) {
        }
        break;
      case 1:
        s.stop.wait();
        break;
      default:
        weft::sleep_for(std::chrono::microseconds(100));
    }
  }
  guard.normal_exit = true;
}

void spawn_worker(shared_state& s, int thread, role r, weft::channel<std::uint64_t>* ch) {
  // Names make ThreadSanitizer's reports say which tasklet made each access.
  std::string name = std::string(r == role::consumer ? "consumer" : "bystander") + " of thread " + std::to_string(thread);
  // The worker registers itself once its guard exists: a kill before its first switch
  // would end it unstarted (Stackless), with no guard to unregister and replace it.
  weft::spawn(weft::spawn_options{.name = name}, [&s, thread, r, ch] {
    replace_when_killed guard{s, thread, r, ch};
    {
      std::lock_guard<std::mutex> l(s.registry_mu);
      s.registry(r)[static_cast<std::size_t>(thread)].push_back(weft::current());
    }
    if (r == role::consumer) {
      consume(s, guard, *ch);
    } else {
      stand_by(s, guard);
    }
  });
}

void produce(shared_state& s, std::uint64_t first, std::uint64_t stride) {
  for (std::uint64_t id = first; id < s.opt.messages; id += stride) {
    s.permits.acquire();
    (id % 2 ? s.buffered : s.unbuffered).send(id);
    s.sent.fetch_add(1, std::memory_order_relaxed);
  }
}

// Kills a consumer of another thread every `kill_every` messages received (by anyone).
void kill_others(shared_state& s, int thread) {
  std::minstd_rand rng(static_cast<unsigned>(thread) * 7919u + 1u);
  std::uint64_t next = static_cast<std::uint64_t>(s.opt.kill_every) * static_cast<std::uint64_t>(thread + 1) /
                       static_cast<std::uint64_t>(s.opt.threads);
  while (!s.finished.load(std::memory_order_acquire)) {
    if (s.received.load(std::memory_order_relaxed) < next) {
      weft::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    next += static_cast<std::uint64_t>(s.opt.kill_every);
    int other = static_cast<int>((static_cast<unsigned>(thread) + 1 + rng() % static_cast<unsigned>(s.opt.threads - 1)) %
                                 static_cast<unsigned>(s.opt.threads));
    weft::tasklet victim;
    {
      std::lock_guard<std::mutex> l(s.registry_mu);
      auto& theirs = s.registry(s.opt.kill_targets)[static_cast<std::size_t>(other)];
      if (!theirs.empty()) victim = theirs[rng() % theirs.size()];
    }
    if (victim) {
      victim.kill();
      s.kills.fetch_add(1, std::memory_order_relaxed);
      // Give the victim's thread a moment to act on it before the next kill, so kills do not
      // pile up on a tasklet that is already dying.
      weft::sleep_for(std::chrono::microseconds(100));
    }
  }
}

// Prints this thread's tasklets (what each waits on, with backtraces) when the stall
// watchdog asks, so a stall report says where every consumer and producer is.
void monitor(shared_state& s, int thread) {
  while (!s.finished.load(std::memory_order_acquire)) {
    weft::sleep_for(std::chrono::milliseconds(20));
    if (!s.dump_requested.load(std::memory_order_acquire)) continue;
    std::ostringstream out;
    weft::dump_tasklets(out);
    std::fprintf(stderr, "weft_stress: thread %d:\n%s", thread, out.str().c_str());
    s.dumped.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
}

void thread_main(shared_state& s, int thread) {
  const auto stride = static_cast<std::uint64_t>(s.opt.threads * producers_per_thread);
  for (int p = 0; p < producers_per_thread; ++p) {
    std::uint64_t first = static_cast<std::uint64_t>(thread * producers_per_thread + p);
    std::string name = "producer of thread " + std::to_string(thread);
    weft::spawn(weft::spawn_options{.name = name}, [&s, first, stride] { produce(s, first, stride); });
  }
  for (int c = 0; c < consumers_per_channel; ++c) {
    spawn_worker(s, thread, role::consumer, &s.unbuffered);
    spawn_worker(s, thread, role::consumer, &s.buffered);
  }
  for (int b = 0; b < bystanders_per_thread; ++b) spawn_worker(s, thread, role::bystander, nullptr);
  if (s.opt.threads > 1 && s.opt.kill_every > 0) {
    std::string name = "killer on thread " + std::to_string(thread);
    weft::spawn(weft::spawn_options{.name = name}, [&s, thread] { kill_others(s, thread); });
  }
  weft::spawn(weft::spawn_options{.name = "monitor"}, [&s, thread] { monitor(s, thread); });
  weft::run_threadblock();
  // Drop this thread's handles while its scheduler still exists.
  std::lock_guard<std::mutex> l(s.registry_mu);
  s.consumers[static_cast<std::size_t>(thread)].clear();
  s.bystanders[static_cast<std::size_t>(thread)].clear();
}

bool parse(int argc, char** argv, options& o) {
  if (const char* env = std::getenv("WEFT_STRESS_MESSAGES")) o.messages = std::strtoull(env, nullptr, 10);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--messages") {
      o.messages = std::strtoull(v, nullptr, 10);
    } else if (a == "--threads") {
      o.threads = std::atoi(v);
    } else if (a == "--kill-every") {
      o.kill_every = std::atoi(v);
    } else if (a == "--kill-targets") {
      if (std::string(v) == "consumers") {
        o.kill_targets = role::consumer;
      } else if (std::string(v) == "bystanders") {
        o.kill_targets = role::bystander;
      } else {
        return false;
      }
    } else if (a == "--stall-seconds") {
      o.stall_seconds = std::atoi(v);
    } else {
      return false;
    }
  }
  return o.messages > 0 && o.threads >= 1;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse(argc, argv, opt)) {
    std::fprintf(stderr, "usage: %s [--messages N] [--threads T] [--kill-every K] [--kill-targets consumers|bystanders]\n"
                 "       [--stall-seconds S]\n", argv[0]);
    return 2;
  }
  auto s = std::make_unique<shared_state>(opt);
  auto start = std::chrono::steady_clock::now();

  // A stall (a lost message holds its permit or a receiver forever) fails instead of hanging.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    weft::detail::register_helper_thread();
    std::uint64_t last = ~std::uint64_t{0};
    int still = 0;
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::uint64_t now = s->received.load();
      still = now == last ? still + 1 : 0;
      last = now;
      if (still >= opt.stall_seconds * 10) {
        std::fprintf(stderr,
                     "weft_stress: no progress for %d s: %llu of %llu messages received, %llu sent, %llu unledgered "
                     "(consumer killed in lock()), %lld semaphore permits free, kills %llu killed %llu\n",
                     opt.stall_seconds, static_cast<unsigned long long>(now), static_cast<unsigned long long>(opt.messages),
                     static_cast<unsigned long long>(s->sent.load()),
                     static_cast<unsigned long long>(s->unledgered_count.load()),
                     static_cast<long long>(s->permits.available()),
                     static_cast<unsigned long long>(s->kills.load()), static_cast<unsigned long long>(s->killed.load()));
        s->dump_requested.store(true);
        for (int i = 0; i < 30 && s->dumped.load() < opt.threads; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::abort();
      }
    }
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < opt.threads; ++t) threads.emplace_back([&s, t] { thread_main(*s, t); });
  for (auto& t : threads) t.join();
  done.store(true);
  watchdog.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::uint64_t missing = 0, first_missing = 0;
  for (std::uint64_t id = 0; id < opt.messages; ++id)
    if (s->seen[id].load() != 1 && missing++ == 0) first_missing = id;
  const std::uint64_t want_sum = opt.messages * (opt.messages - 1) / 2;
  const std::uint64_t count = s->ledger_count + s->unledgered_count.load();
  const std::uint64_t sum = s->ledger_sum + s->unledgered_sum.load();
  std::printf("weft_stress threads %d messages %llu kill_targets %s kills %llu killed %llu unledgered %llu seconds %.2f\n",
              opt.threads, static_cast<unsigned long long>(opt.messages),
              opt.kill_targets == role::consumer ? "consumers" : "bystanders",
              static_cast<unsigned long long>(s->kills.load()),
              static_cast<unsigned long long>(s->killed.load()),
              static_cast<unsigned long long>(s->unledgered_count.load()), secs);
  bool ok = true;
  if (missing) {
    std::printf("FAIL: %llu messages never arrived (first: %llu)\n", static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(first_missing));
    ok = false;
  }
  if (count != opt.messages || sum != want_sum) {
    std::printf("FAIL: the mutex-guarded ledger counts %llu messages summing to %llu (want %llu, %llu)\n",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(sum),
                static_cast<unsigned long long>(opt.messages), static_cast<unsigned long long>(want_sum));
    ok = false;
  }
  if (s->permits.available() != in_flight) {
    std::printf("FAIL: %td semaphore permits at the end (want %td)\n", s->permits.available(), in_flight);
    ok = false;
  }
  if (ok) std::printf("every message arrived exactly once\n");
  return ok ? 0 : 1;
}
