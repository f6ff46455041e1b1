// store: the SQLite database (WAL) behind the game, and its group-commit writer.
//
// The game keeps every piece of state in memory and changes it there; each change is also a
// small list of SQL statements handed to commit(), which blocks only the calling tasklet
// until the change is durable (COMMIT with synchronous=FULL: fsync'd). A committer tasklet
// gathers what every tasklet submitted meanwhile into one transaction and runs it on
// weft's worker pool, so disk latency never stalls the scheduler thread, and N players
// moving at once cost one fsync, not N.
//
// Checkpoints (copying the WAL into the database, with its own fsync) would otherwise land in
// whichever commit crosses the WAL size limit; a checkpointer tasklet runs them passively on a
// second connection instead, so a commit never waits for one.
//
// Invariants: each connection is used by one thread at a time (startup, then only the pool
// job the committer waits for); requests commit in the order they were submitted; a failed
// transaction ends the process (memory and disk would disagree; restarting from the disk
// is the safe state).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "weft/sync.hpp"

struct sqlite3;

namespace mud {

using sql_value = std::variant<std::nullptr_t, std::int64_t, std::string>;

struct sql_stmt {
  std::string sql;
  std::vector<sql_value> args;
};

struct account_row {
  std::string name;
  std::string salt, hash;  // raw bytes
  std::string kdf;         // "scrypt:N:r:p"
  std::int64_t created = 0, last_login = 0, failed_logins = 0;
  std::string room;
  bool admin = false;
  bool colour = true;
};

struct object_row {
  std::int64_t id;
  std::string proto;
  std::string room;   // where it lies, or ""
  std::string owner;  // who carries it, or ""
};

struct ban_row {
  std::string target;  // a character name, or an address ("10.1.2.3", "10.1.*")
  bool address = false;
};

class store {
 public:
  // Opens (creating if needed) DIR/mud.sqlite3 and its schema. Blocking; call at startup.
  explicit store(const std::string& dir);
  ~store();

  bool seeded();
  std::vector<account_row> load_accounts();
  std::vector<object_row> load_objects();
  std::vector<ban_row> load_bans();
  // Runs statements at once on the calling thread (startup only).
  void exec_now(const std::vector<sql_stmt>& stmts);

  // Makes `stmts` durable as one atomic change; blocks only the calling tasklet.
  void commit(std::vector<sql_stmt> stmts);
  // The committer tasklet's body; returns once stop() was called and the queue drained.
  void run_committer();
  // Ends the committer (after the queue drained) and the checkpointer; the destructor then
  // checkpoints and closes, leaving no -wal or -shm file.
  void stop();
  // The checkpointer tasklet's body: moves the WAL into the database every `period` on a
  // second connection, beside the commits instead of inside one of them.
  void run_checkpointer(std::chrono::milliseconds period);
  // Tests: every transaction takes `d` longer on the worker (a slow disk), so a test can
  // look at the game while a change is still being committed.
  void set_commit_delay(std::chrono::milliseconds d) noexcept { commit_delay_ = d; }
  std::uint64_t commits() const noexcept { return transactions_; }
  std::uint64_t changes() const noexcept { return changes_; }
  // Time spent in transactions (on the worker, including the fsync), total and longest.
  double commit_seconds() const noexcept { return commit_s_; }
  double longest_commit_seconds() const noexcept { return commit_max_s_; }

 private:
  struct request {
    std::vector<sql_stmt> stmts;
    weft::event done;
  };
  sqlite3* db_ = nullptr;
  sqlite3* checkpoint_db_ = nullptr;
  std::vector<std::shared_ptr<request>> queue_;
  weft::event work_;
  weft::event stopped_;
  bool stopping_ = false;
  bool running_ = false;
  bool checkpointing_ = false;
  weft::event wake_checkpointer_;
  weft::event checkpointer_stopped_;
  std::chrono::milliseconds commit_delay_{0};
  std::uint64_t transactions_ = 0;
  std::uint64_t changes_ = 0;
  double commit_s_ = 0;
  double commit_max_s_ = 0;
};

}  // namespace mud
