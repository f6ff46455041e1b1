// hiredis, unmodified from Debian, in 50 tasklets on one thread: each its own blocking
// redisConnect and `BLPOP` on an empty list with a 0.2 s timeout against the private Redis,
// all within twice the time of one; a tasklet killed inside redisCommand unwinds and its
// connection closes.
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "hook_test.hpp"

namespace {

using namespace hook_test;

struct redis_free {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using redis_connection = std::unique_ptr<redisContext, redis_free>;
struct reply_free {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using redis_reply = std::unique_ptr<redisReply, reply_free>;

redis_connection redis_connect() {
  redis_connection c(redisConnect("127.0.0.1", server_port("redis")));
  if (!c || c->err) throw std::runtime_error(std::string("redisConnect: ") + (c ? c->errstr : "out of memory"));
  return c;
}

redis_reply command(redisContext* c, const std::string& cmd) {
  redis_reply r(static_cast<redisReply*>(redisCommand(c, cmd.c_str())));
  if (!r) throw std::runtime_error(cmd + ": " + c->errstr);
  return r;
}

// BLPOP on a list nobody pushes to: nil after the 0.2 s timeout; then ECHO i on the same
// connection, so each tasklet also reads its own answer.
void empty_blpop(redisContext* c, int i) {
  auto t0 = weft::clock::now();
  redis_reply r = command(c, "BLPOP weft:hook:empty:" + std::to_string(i) + " 0.2");
  double took = seconds(weft::clock::now() - t0).count();
  EXPECT_EQ(r->type, REDIS_REPLY_NIL);
  EXPECT_GE(took, 0.19) << "BLPOP came back before its timeout";
  redis_reply echo = command(c, "ECHO tasklet-" + std::to_string(i));
  ASSERT_EQ(echo->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(echo->str, echo->len), "tasklet-" + std::to_string(i));
}

TEST(hiredis, fifty_blpops_on_one_thread_take_the_time_of_one) {
  weft::hook::reset_counts();
  redis_connection alone;
  seconds one = time_calls(1, [&](int) { alone = redis_connect(); }, [&](int) { empty_blpop(alone.get(), 0); });
  alone.reset();

  std::vector<redis_connection> conns(tasklets);
  seconds all = time_calls(
      tasklets, [&](int i) { conns[i] = redis_connect(); }, [&](int i) { empty_blpop(conns[i].get(), i); });
  std::printf("hiredis: one call %.3f s, %d calls in %d tasklets %.3f s\n", one.count(), tasklets, tasklets,
              all.count());
  EXPECT_LT(all.count(), 2 * one.count()) << "the calls did not overlap: hiredis blocked the thread";
  record_coverage("hiredis");
}

TEST(hiredis, kill_inside_redis_command_unwinds_and_closes_the_connection) {
  time_calls(1, [](int) {}, [](int) { redis_connect(); });
  warm_up_scheduler();
  weft::hook::reset_counts();
  const std::size_t fds = open_fds();
  std::string waiting = kill_blocked_call([] {
    redis_connection c = redis_connect();
    command(c.get(), "BLPOP weft:hook:never 10");
  });
  EXPECT_EQ(open_fds(), fds) << "descriptors leaked by the killed call";
  std::printf("hiredis: killed while waiting on %s\n", waiting.c_str());
  time_calls(1, [](int) {}, [](int) { empty_blpop(redis_connect().get(), 7); });
  record_coverage("hiredis");
}

}  // namespace
