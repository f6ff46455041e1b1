// Routing and header helpers, without sockets: patterns, params, 404 and 405 with Allow are
// checked through a real server in http_server_test.cpp; here the pieces.
#include <gtest/gtest.h>

#include "weft/http/headers.hpp"

namespace http = weft::http;

TEST(HttpHeaders, CaseInsensitiveAndOrdered) {
  http::headers h;
  h.add("Content-Type", "text/plain");
  h.add("X-A", "1");
  h.add("x-a", "2");
  EXPECT_EQ(h.get("content-type").value(), "text/plain");
  EXPECT_EQ(h.get("X-A").value(), "1");
  EXPECT_EQ(h.count("X-a"), 2u);
  h.set("X-A", "3");
  EXPECT_EQ(h.count("x-a"), 1u);
  EXPECT_EQ(h.get("x-a").value(), "3");
  h.remove("X-A");
  EXPECT_FALSE(h.contains("x-a"));
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, "Content-Type");
}

TEST(HttpHeaders, Tokens) {
  EXPECT_TRUE(http::header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(http::header_has_token(" close ", "close"));
  EXPECT_FALSE(http::header_has_token("closed", "close"));
  EXPECT_FALSE(http::header_has_token("", "close"));
}
