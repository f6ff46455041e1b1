// libpq, unmodified from Debian, in 50 tasklets on one thread: each its own PQconnectdb
// connection and `SELECT pg_sleep(0.2)` against the private PostgreSQL, all within twice the
// time of one; a tasklet killed inside PQexec unwinds and its connection closes.
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "hook_test.hpp"

namespace {

using namespace hook_test;

struct pq_finish {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using pg_connection = std::unique_ptr<PGconn, pq_finish>;
struct pq_clear {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, pq_clear>;

pg_connection pg_connect() {
  std::string info = "host=127.0.0.1 port=" + std::to_string(server_port("pg")) +
                     " user=weft dbname=postgres connect_timeout=10";
  pg_connection c(PQconnectdb(info.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("PQconnectdb(" + info + "): " + (c ? PQerrorMessage(c.get()) : "out of memory"));
  return c;
}

// SELECT pg_sleep(0.2), i: checks the row that comes back and that the server did wait.
void sleep_query(PGconn* c, int i) {
  auto t0 = weft::clock::now();
  pg_result r(PQexec(c, ("SELECT pg_sleep(0.2), " + std::to_string(i)).c_str()));
  double took = seconds(weft::clock::now() - t0).count();
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(c);
  ASSERT_EQ(PQntuples(r.get()), 1);
  EXPECT_EQ(std::string(PQgetvalue(r.get(), 0, 1)), std::to_string(i));
  EXPECT_GE(took, 0.19) << "the query came back before the server's pg_sleep ended";
}

TEST(libpq, fifty_pg_sleeps_on_one_thread_take_the_time_of_one) {
  weft::hook::reset_counts();
  pg_connection alone;
  seconds one = time_calls(1, [&](int) { alone = pg_connect(); }, [&](int) { sleep_query(alone.get(), 0); });
  alone.reset();

  std::vector<pg_connection> conns(tasklets);
  seconds all = time_calls(
      tasklets, [&](int i) { conns[i] = pg_connect(); }, [&](int i) { sleep_query(conns[i].get(), i); });
  std::printf("libpq: one call %.3f s, %d calls in %d tasklets %.3f s\n", one.count(), tasklets, tasklets, all.count());
  EXPECT_LT(all.count(), 2 * one.count()) << "the calls did not overlap: libpq blocked the thread";
  record_coverage("libpq");
}

TEST(libpq, kill_inside_pqexec_unwinds_and_closes_the_connection) {
  // One full round first: libpq's and the hook's one-time set-up is not a leak.
  time_calls(1, [](int) {}, [](int) { pg_connect(); });
  warm_up_scheduler();
  weft::hook::reset_counts();
  const std::size_t fds = open_fds();
  // Connected before the victim starts, so the kill lands in PQexec and not in a slow
  // connect (a kill inside PQconnectdb leaves libpq no PGconn to free: nothing owns it yet).
  pg_connection conn = pg_connect();
  std::string waiting = kill_blocked_call([&conn] {
    pg_connection c = std::move(conn);
    pg_result r(PQexec(c.get(), "SELECT pg_sleep(10)"));
  });
  EXPECT_EQ(open_fds(), fds) << "descriptors leaked by the killed call";
  std::printf("libpq: killed while waiting on %s\n", waiting.c_str());
  // The library is still fine afterwards.
  time_calls(1, [](int) {}, [](int) { sleep_query(pg_connect().get(), 7); });
  record_coverage("libpq");
}

}  // namespace
