// store: the SQLite database (WAL) behind the game, and its group-commit writer.
//
// The game keeps every piece of state in memory and changes it there; each change is also a
// small list of SQL statements handed to commit(), which blocks only the calling tasklet
// until the change is durable (COMMIT with synchronous=FULL: fsync'd). A committer tasklet
// gathers what every tasklet submitted meanwhile into one transaction and runs it on
// weft's worker pool, so disk latency never stalls the scheduler thread, and N players
// moving at once cost one fsync, not N.
//
// Invariants: the connection is used by one thread at a time (startup, then only the pool
// job the committer waits for); requests commit in the order they were submitted; a failed
// transaction ends the process (memory and disk would disagree; restarting from the disk
// is the safe state).
#pragma once

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

class store {
 public:
  // Opens (creating if needed) DIR/mud.sqlite3 and its schema. Blocking; call at startup.
  explicit store(const std::string& dir);
  ~store();

  bool seeded();
  std::vector<account_row> load_accounts();
  std::vector<object_row> load_objects();
  // Runs statements at once on the calling thread (startup only).
  void exec_now(const std::vector<sql_stmt>& stmts);

  // Makes `stmts` durable as one atomic change; blocks only the calling tasklet.
  void commit(std::vector<sql_stmt> stmts);
  // The committer tasklet's body; returns once stop() was called and the queue drained.
  void run_committer();
  void stop();
  std::uint64_t commits() const noexcept { return transactions_; }
  std::uint64_t changes() const noexcept { return changes_; }

 private:
  struct request {
    std::vector<sql_stmt> stmts;
    weft::event done;
  };
  sqlite3* db_ = nullptr;
  std::vector<std::shared_ptr<request>> queue_;
  weft::event work_;
  weft::event stopped_;
  bool stopping_ = false;
  bool running_ = false;
  std::uint64_t transactions_ = 0;
  std::uint64_t changes_ = 0;
};

}  // namespace mud
