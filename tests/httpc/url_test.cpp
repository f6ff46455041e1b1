// URL parsing, printing and redirect resolution (RFC 3986), with the cases that trip
// parsers: IPv6 literals, ports, user info, percent-encoding, dot segments.
#include <gtest/gtest.h>

#include "weft/http/url.hpp"

using weft::http::url;
using weft::http::url_error;

namespace {

TEST(url, parts_and_defaults) {
  url u = url::parse("HTTP://Example.COM");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.target(), "/");
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(u.to_string(), "http://example.com/");

  u = url::parse("https://example.com:8443/a/b?x=1&y=2#frag");
  EXPECT_TRUE(u.tls());
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path, "/a/b");
  EXPECT_EQ(u.query, "x=1&y=2");
  EXPECT_EQ(u.target(), "/a/b?x=1&y=2");
  EXPECT_EQ(u.authority(), "example.com:8443");
  EXPECT_EQ(url::parse("https://h:443/").authority(), "h");
  EXPECT_EQ(url::parse("http://h:/p").port, 80);
  EXPECT_EQ(url::parse("http://h/p?").target(), "/p?");
}

TEST(url, ipv6_literals) {
  url u = url::parse("http://[::1]:8080/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(u.to_string(), "http://[::1]:8080/x");
  EXPECT_EQ(url::parse("https://[2001:DB8::A]/").host, "2001:db8::a");
  EXPECT_EQ(url::parse("https://[2001:db8::a]/").authority(), "[2001:db8::a]");
  EXPECT_THROW(url::parse("http://[::1/x"), url_error);
  EXPECT_THROW(url::parse("http://[nonsense]/"), url_error);
  EXPECT_THROW(url::parse("http://[::1]x/"), url_error);
}

TEST(url, ports) {
  EXPECT_EQ(url::parse("http://h:65535/").port, 65535);
  EXPECT_EQ(url::parse("http://h:1/").port, 1);
  EXPECT_THROW(url::parse("http://h:0/"), url_error);
  EXPECT_THROW(url::parse("http://h:65536/"), url_error);
  EXPECT_THROW(url::parse("http://h:80a/"), url_error);
  EXPECT_THROW(url::parse("http://h:-1/"), url_error);
}

TEST(url, user_info_is_kept_apart_and_never_printed) {
  url u = url::parse("http://alice:s%40cret@example.com/x");
  EXPECT_EQ(u.userinfo, "alice:s%40cret");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.to_string(), "http://example.com/x");
  // The last '@' ends the user info.
  EXPECT_EQ(url::parse("http://a@b@c/").host, "c");
}

TEST(url, percent_encoding_is_normalised_not_decoded) {
  url u = url::parse("http://h/a b/%7Euser/caf\xc3\xa9?q=a b&r=%zz");
  EXPECT_EQ(u.path, "/a%20b/%7Euser/caf%C3%A9");
  EXPECT_EQ(u.query, "q=a%20b&r=%25zz");
  EXPECT_EQ(weft::http::percent_decode("caf%C3%A9%20x"), "caf\xc3\xa9 x");
  EXPECT_EQ(weft::http::percent_decode("a+b"), "a+b");
  EXPECT_THROW(weft::http::percent_decode("%4"), url_error);
  EXPECT_THROW(weft::http::percent_decode("%g0"), url_error);
  EXPECT_EQ(weft::http::percent_encode("a b/c~"), "a%20b%2Fc~");
  EXPECT_EQ(weft::http::percent_encode("a b/c", "/"), "a%20b/c");
}

TEST(url, dot_segments_are_removed) {
  EXPECT_EQ(url::parse("http://h/a/b/../c/./d").path, "/a/c/d");
  EXPECT_EQ(url::parse("http://h/../../x").path, "/x");
  EXPECT_EQ(url::parse("http://h/a/..").path, "/");
  EXPECT_EQ(url::parse("http://h/a/b/").path, "/a/b/");
  // Encoded dots are data, not segments.
  EXPECT_EQ(url::parse("http://h/a/%2e%2e/b").path, "/a/%2e%2e/b");
}

TEST(url, refused) {
  EXPECT_THROW(url::parse(""), url_error);
  EXPECT_THROW(url::parse("example.com/x"), url_error);
  EXPECT_THROW(url::parse("ftp://h/"), url_error);
  EXPECT_THROW(url::parse("http:/h"), url_error);
  EXPECT_THROW(url::parse("http:///x"), url_error);
  EXPECT_THROW(url::parse("http://h^x/"), url_error);
  try {
    url::parse("http://[::1/");
  } catch (const url_error& e) {
    EXPECT_STREQ(e.what(), "bad URL \"http://[::1/\": unterminated IPv6 literal");
  }
}

TEST(url, resolve_follows_rfc3986_examples) {
  // RFC 3986 section 5.4.1, with http://a/b/c/d;p?q as the base.
  url base = url::parse("http://a/b/c/d;p?q");
  auto r = [&](const char* ref) { return base.resolve(ref).to_string(); };
  EXPECT_EQ(r("g"), "http://a/b/c/g");
  EXPECT_EQ(r("./g"), "http://a/b/c/g");
  EXPECT_EQ(r("g/"), "http://a/b/c/g/");
  EXPECT_EQ(r("/g"), "http://a/g");
  EXPECT_EQ(r("//g"), "http://g/");
  EXPECT_EQ(r("?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(r("g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(r("#s"), "http://a/b/c/d;p?q");
  EXPECT_EQ(r(""), "http://a/b/c/d;p?q");
  EXPECT_EQ(r("."), "http://a/b/c/");
  EXPECT_EQ(r(".."), "http://a/b/");
  EXPECT_EQ(r("../g"), "http://a/b/g");
  EXPECT_EQ(r("../.."), "http://a/");
  EXPECT_EQ(r("../../../g"), "http://a/g");
  EXPECT_EQ(r("https://other:8443/x"), "https://other:8443/x");
  EXPECT_EQ(url::parse("https://h:8443/a").resolve("//g/x").to_string(), "https://g/x");
  EXPECT_THROW(base.resolve("mailto:x@y"), url_error);
}

}  // namespace
