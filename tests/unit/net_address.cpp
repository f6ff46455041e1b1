// weft::net::address: parsing, printing, and the sockaddr it holds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include "weft/net/address.hpp"

using weft::net::address;

TEST(NetAddress, ParsesAndPrintsIpv4) {
  address a = address::parse("127.0.0.1:8080");
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.port(), 8080);
  EXPECT_EQ(a.host(), "127.0.0.1");
  EXPECT_EQ(a.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(a.native_size(), sizeof(sockaddr_in));
  EXPECT_EQ(reinterpret_cast<const sockaddr_in*>(a.native())->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(a, address::loopback_v4(8080));
}

TEST(NetAddress, ParsesAndPrintsIpv6) {
  address a = address::parse("[::1]:80");
  EXPECT_TRUE(a.is_v6());
  EXPECT_EQ(a.port(), 80);
  EXPECT_EQ(a.host(), "::1");
  EXPECT_EQ(a.to_string(), "[::1]:80");
  EXPECT_EQ(a, address::loopback_v6(80));
  EXPECT_EQ(address::parse("[2001:db8::a:b]:65535").to_string(), "[2001:db8::a:b]:65535");
  EXPECT_EQ(address::parse("[fe80::1%1]:5").host().substr(0, 8), "fe80::1%");
}

TEST(NetAddress, UnixPathsAndAbstractNames) {
  address p = address::parse("unix:/tmp/weft.sock");
  EXPECT_TRUE(p.is_unix());
  EXPECT_EQ(p.host(), "/tmp/weft.sock");
  EXPECT_EQ(p.to_string(), "unix:/tmp/weft.sock");
  EXPECT_EQ(p.port(), 0);
  address ab = address::unix_path("@weft-test");
  EXPECT_EQ(reinterpret_cast<const sockaddr_un*>(ab.native())->sun_path[0], '\0');
  EXPECT_EQ(ab.to_string(), "unix:@weft-test");
  EXPECT_EQ(ab.native_size(), offsetof(sockaddr_un, sun_path) + 10);
  EXPECT_THROW(address::unix_path(std::string(200, 'x')), std::invalid_argument);
}

TEST(NetAddress, RejectsWhatIsNotANumericAddress) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "localhost:80", "::1:80", "[::1]", "[::1]80", "1.2.3:4", "[127.0.0.1]:80",
                          "1.2.3.4:80x", "unix:"}) {
    EXPECT_FALSE(address::try_parse(bad)) << bad;
  }
  try {
    address::parse("localhost:80");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "not a numeric socket address: \"localhost:80\"");
  }
}

TEST(NetAddress, EmptyWithPortAndEquality) {
  address e;
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.to_string(), "");
  EXPECT_EQ(address::any_v4(0).with_port(9).to_string(), "0.0.0.0:9");
  EXPECT_EQ(address::any_v6(7).to_string(), "[::]:7");
  EXPECT_NE(address::loopback_v4(1), address::loopback_v4(2));
  EXPECT_NE(address::loopback_v4(1), address::loopback_v6(1));
  EXPECT_EQ(address::v4(0x0a000001, 3).to_string(), "10.0.0.1:3");
}
