#include "store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "weft/run_blocking.hpp"
#include "weft/time.hpp"

namespace mud {

namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error("sqlite " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(std::string("sqlite ") + sql + ": " + msg);
  }
}

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(
  name TEXT PRIMARY KEY COLLATE NOCASE,
  salt BLOB NOT NULL, hash BLOB NOT NULL, kdf TEXT NOT NULL,
  created INTEGER NOT NULL, last_login INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  room TEXT NOT NULL, admin INTEGER NOT NULL DEFAULT 0, colour INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS objects(
  id INTEGER PRIMARY KEY, proto TEXT NOT NULL,
  room TEXT, owner TEXT COLLATE NOCASE REFERENCES accounts(name),
  CHECK ((room IS NULL) <> (owner IS NULL)));
CREATE INDEX IF NOT EXISTS objects_owner ON objects(owner);
CREATE TABLE IF NOT EXISTS bans(
  target TEXT PRIMARY KEY COLLATE NOCASE, kind TEXT NOT NULL CHECK (kind IN ('name', 'address')),
  by TEXT NOT NULL, at INTEGER NOT NULL);
)sql";

// Prepared statements by SQL text: the same few statements run all the time.
struct statement_cache {
  std::unordered_map<std::string, sqlite3_stmt*> map;
  ~statement_cache() { clear(); }
  void clear() {
    for (auto& [k, s] : map) sqlite3_finalize(s);
    map.clear();
  }
  sqlite3_stmt* get(sqlite3* db, const std::string& sql) {
    auto it = map.find(sql);
    if (it != map.end()) return it->second;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail(db, "prepare " + sql);
    map.emplace(sql, s);
    return s;
  }
};

void run_stmt(sqlite3* db, statement_cache& cache, const sql_stmt& st) {
  sqlite3_stmt* s = cache.get(db, st.sql);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  int i = 1;
  for (const sql_value& v : st.args) {
    if (std::holds_alternative<std::int64_t>(v)) {
      sqlite3_bind_int64(s, i, std::get<std::int64_t>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      const auto& str = std::get<std::string>(v);
      sqlite3_bind_text(s, i, str.data(), static_cast<int>(str.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(s, i);
    }
    ++i;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) fail(db, st.sql);
}

statement_cache& cache_for(sqlite3* db) {
  // One connection per process: a single cache, used by one thread at a time.
  static statement_cache cache;
  (void)db;
  return cache;
}

std::string column_text(sqlite3_stmt* s, int i) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace

store::store(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::system_error(errno, std::generic_category(), "mkdir " + dir);
  std::string path = dir + "/mud.sqlite3";
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    fail(db_, "open " + path);
  // Another process (sqlite3, a backup) holding a lock briefly must not fail a commit.
  sqlite3_busy_timeout(db_, 5000);
  exec(db_, "PRAGMA journal_mode=WAL");
  exec(db_, "PRAGMA synchronous=FULL");
  exec(db_, "PRAGMA foreign_keys=ON");
  exec(db_, "PRAGMA wal_autocheckpoint=0");
  exec(db_, schema);
  if (sqlite3_open_v2(path.c_str(), &checkpoint_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK)
    fail(checkpoint_db_, "open " + path);
  sqlite3_busy_timeout(checkpoint_db_, 1000);
  exec(checkpoint_db_, "PRAGMA synchronous=FULL");
}

store::~store() {
  // The last connection to close copies the WAL into the database and deletes the -wal and
  // -shm files, but only if nothing is still open on it: statements finalized, the
  // checkpointer's connection closed first (stop() waited for its last checkpoint).
  cache_for(db_).clear();
  if (checkpoint_db_ && sqlite3_close(checkpoint_db_) != SQLITE_OK)
    std::fprintf(stderr, "weft-mud: closing the checkpoint connection: %s\n", sqlite3_errmsg(checkpoint_db_));
  if (!db_) return;
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) != SQLITE_OK)
    std::fprintf(stderr, "weft-mud: final checkpoint: %s\n", sqlite3_errmsg(db_));
  if (sqlite3_close(db_) != SQLITE_OK)
    std::fprintf(stderr, "weft-mud: closing the database: %s\n", sqlite3_errmsg(db_));
}

void store::run_checkpointer(std::chrono::milliseconds period) {
  sqlite3* db = checkpoint_db_;
  checkpointing_ = true;
  while (!stopping_) {
    wake_checkpointer_.wait_for(period);
    if (stopping_) break;
    // PASSIVE: copies what it can without waiting for the writer; a busy result is fine.
    weft::run_blocking([db] { sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr); });
  }
  checkpointer_stopped_.set();
}

bool store::seeded() {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key='seeded'", -1, &s, nullptr);
  bool yes = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return yes;
}

std::vector<account_row> store::load_accounts() {
  std::vector<account_row> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT name, salt, hash, kdf, created, last_login, failed_logins, room, admin, colour "
                         "FROM accounts",
                         -1, &s, nullptr) != SQLITE_OK)
    fail(db_, "load accounts");
  while (sqlite3_step(s) == SQLITE_ROW) {
    account_row a;
    a.name = column_text(s, 0);
    a.salt = column_text(s, 1);
    a.hash = column_text(s, 2);
    a.kdf = column_text(s, 3);
    a.created = sqlite3_column_int64(s, 4);
    a.last_login = sqlite3_column_int64(s, 5);
    a.failed_logins = sqlite3_column_int64(s, 6);
    a.room = column_text(s, 7);
    a.admin = sqlite3_column_int(s, 8) != 0;
    a.colour = sqlite3_column_int(s, 9) != 0;
    out.push_back(std::move(a));
  }
  sqlite3_finalize(s);
  return out;
}

std::vector<object_row> store::load_objects() {
  std::vector<object_row> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT id, proto, room, owner FROM objects ORDER BY id", -1, &s, nullptr) != SQLITE_OK)
    fail(db_, "load objects");
  while (sqlite3_step(s) == SQLITE_ROW)
    out.push_back({sqlite3_column_int64(s, 0), column_text(s, 1), column_text(s, 2), column_text(s, 3)});
  sqlite3_finalize(s);
  return out;
}

std::vector<ban_row> store::load_bans() {
  std::vector<ban_row> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT target, kind FROM bans", -1, &s, nullptr) != SQLITE_OK) fail(db_, "load bans");
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back({column_text(s, 0), column_text(s, 1) == "address"});
  sqlite3_finalize(s);
  return out;
}

void store::exec_now(const std::vector<sql_stmt>& stmts) {
  exec(db_, "BEGIN IMMEDIATE");
  for (const auto& st : stmts) run_stmt(db_, cache_for(db_), st);
  exec(db_, "COMMIT");
}

void store::commit(std::vector<sql_stmt> stmts) {
  auto r = std::make_shared<request>();
  r->stmts = std::move(stmts);
  queue_.push_back(r);
  work_.set();
  r->done.wait();
}

void store::run_committer() {
  running_ = true;
  for (;;) {
    while (queue_.empty()) {
      if (stopping_) {
        stopped_.set();
        return;
      }
      work_.wait();
      work_.clear();
    }
    auto batch = std::make_shared<std::vector<std::shared_ptr<request>>>();
    batch->swap(queue_);
    sqlite3* db = db_;
    std::vector<const std::vector<sql_stmt>*> work;
    work.reserve(batch->size());
    for (auto& r : *batch) work.push_back(&r->stmts);
    // The batch is owned by the shared_ptr the job holds, so it outlives a kill of this
    // tasklet (the job still runs to completion on the worker).
    auto t0 = std::chrono::steady_clock::now();
    std::string error = weft::run_blocking([db, batch, work, delay = commit_delay_]() -> std::string {
      try {
        exec(db, "BEGIN IMMEDIATE");
        for (const auto* stmts : work)
          for (const auto& st : *stmts) run_stmt(db, cache_for(db), st);
        if (delay.count()) std::this_thread::sleep_for(delay);
        exec(db, "COMMIT");
        return {};
      } catch (const std::exception& e) {
        return e.what();
      }
    });
    if (!error.empty()) {
      std::fprintf(stderr, "weft-mud: commit failed, stopping to keep memory and disk in step: %s\n", error.c_str());
      std::_Exit(70);
    }
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    commit_s_ += took;
    if (took > commit_max_s_) commit_max_s_ = took;
    ++transactions_;
    changes_ += batch->size();
    for (auto& r : *batch) r->done.set();
  }
}

void store::stop() {
  stopping_ = true;
  work_.set();
  wake_checkpointer_.set();
  if (running_) stopped_.wait();
  if (checkpointing_) checkpointer_stopped_.wait();
}

}  // namespace mud
