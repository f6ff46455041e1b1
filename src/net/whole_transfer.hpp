// read_exact and write_all, once for every byte stream: the loop over read_some/write_some
// that the socket, the TLS stream and the buffered stream share.
#pragma once

#include <cstddef>
#include <span>
#include <system_error>

#include "weft/net/error.hpp"

namespace weft::net::detail {

// Fills `buf` with `read_some(rest, ec)` calls. The end of the stream before it is full is
// stream_errc::eof. Returns the bytes read: all of them, unless `ec` is set.
template <class ReadSome>
std::size_t read_exact(std::span<std::byte> buf, std::error_code& ec, ReadSome read_some) {
  ec.clear();
  std::size_t done = 0;
  while (done < buf.size()) {
    std::size_t n = read_some(buf.subspan(done), ec);
    if (ec) break;
    if (n == 0) {
      ec = stream_errc::eof;
      break;
    }
    done += n;
  }
  return done;
}

// Sends all of `data` with `write_some(rest, ec)` calls. Returns the bytes sent: all of
// them, unless `ec` is set.
template <class WriteSome>
std::size_t write_all(std::span<const std::byte> data, std::error_code& ec, WriteSome write_some) {
  ec.clear();
  std::size_t done = 0;
  while (done < data.size()) {
    std::size_t n = write_some(data.subspan(done), ec);
    if (ec) break;
    done += n;
  }
  return done;
}

}  // namespace weft::net::detail
