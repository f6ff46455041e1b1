// download: one URL into one file, written atomically (a temporary file renamed into place
// only when the whole body arrived), with byte counts the progress display reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "weft/http/client.hpp"

namespace fetch {

struct job {
  std::string url;
  std::filesystem::path dest;
  enum class state { waiting, running, done, failed } st = state::waiting;
  std::uint64_t got = 0;                // body bytes so far
  std::optional<std::uint64_t> total;   // Content-Length, when the server sent one
  std::string error;                    // why it failed: "GET http://...: 404 Not Found"
  double seconds = 0;
};

// Fetches j.url into j.dest, blocking only the calling tasklet. On any failure (a status
// other than 2xx included) no file is left behind: neither j.dest nor the temporary one.
// Never throws for the download's own failures: they end up in j.error and j.st.
void download(weft::http::client& c, job& j, std::optional<weft::clock::duration> timeout);

// From now on SIGINT, SIGTERM and SIGHUP remove the temporary files of downloads in
// progress before the process dies of the signal (and show the cursor again if the
// progress display hid it).
void remove_partial_files_on_signals(bool restore_cursor);

// The file name a URL's last path segment gives ("index.html" for "/"); never contains
// '/', and is never "." or "..".
std::string file_name_for(const std::string& url);

}  // namespace fetch
