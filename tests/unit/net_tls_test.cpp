// TLS over weft sockets: handshakes, verification, SNI, ALPN, timeouts, peers that vanish,
// kills, many clients on one thread. Certificates are made at run time (a CA and leaves
// for "localhost" + 127.0.0.1 and for "other.test"), written to a temporary directory.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "unit/net_test.hpp"
#include "weft/net/tls.hpp"

using namespace net_test;

namespace {

// ---- a test PKI ------------------------------------------------------------------------------

struct key_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct cert_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using cert_ptr = std::unique_ptr<X509, cert_deleter>;

key_ptr new_key() {
  key_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) throw std::runtime_error("keygen failed");
  return k;
}

// A certificate for `cn`, signed by issuer (self-signed if null). A CA if san is empty.
cert_ptr new_cert(EVP_PKEY* key, const char* cn, const char* san, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  cert_ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!e) throw std::runtime_error(std::string("bad extension ") + value);
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  };
  if (!san) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add(NID_basic_constraints, "critical,CA:FALSE");
    add(NID_ext_key_usage, "serverAuth,clientAuth");
    add(NID_subject_alt_name, san);
  }
  add(NID_subject_key_identifier, "hash");
  if (issuer) add(NID_authority_key_identifier, "keyid:always");
  if (!X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256())) throw std::runtime_error("sign failed");
  return x;
}

std::string pem_of(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, n);
  BIO_free(b);
  return s;
}

std::string pem_of(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, n);
  BIO_free(b);
  return s;
}

struct test_pki {
  std::string dir;
  std::string ca_pem, ca_file;
  std::string cert_pem, key_pem, cert_file, key_file;  // CN=localhost, SAN localhost, 127.0.0.1
  std::string other_cert_pem, other_key_pem;          // CN=other.test, SAN other.test

  test_pki() {
    char tmpl[] = "/tmp/weft_tls_XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    key_ptr ca_key = new_key();
    cert_ptr ca = new_cert(ca_key.get(), "weft test CA", nullptr, nullptr, nullptr);
    key_ptr key = new_key();
    cert_ptr leaf = new_cert(key.get(), "localhost", "DNS:localhost,IP:127.0.0.1", ca.get(), ca_key.get());
    key_ptr other_key = new_key();
    cert_ptr other = new_cert(other_key.get(), "other.test", "DNS:other.test", ca.get(), ca_key.get());
    ca_pem = pem_of(ca.get());
    cert_pem = pem_of(leaf.get());
    key_pem = pem_of(key.get());
    other_cert_pem = pem_of(other.get());
    other_key_pem = pem_of(other_key.get());
    ca_file = write("ca.pem", ca_pem);
    cert_file = write("server.pem", cert_pem);
    key_file = write("server.key", key_pem);
  }
  ~test_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const char* name, const std::string& text) const {
    std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
};

const test_pki& pki() {
  static const test_pki p;
  return p;
}

net::tls_context server_ctx() {
  auto c = net::tls_context::server();
  c.use_certificate_chain_file(pki().cert_file);
  c.use_private_key_file(pki().key_file);
  return c;
}

net::tls_context client_ctx() {
  auto c = net::tls_context::client();
  c.load_verify_file(pki().ca_file);
  return c;
}

// Runs `serve(stream)` for each of the next `n` connections on `l`, each in its own tasklet,
// after a server handshake; handshake failures are stored in `errors` if given.
template <class F>
void serve(net::listener& l, const net::tls_context& ctx, int n, F serve,
           std::vector<std::error_code>* errors = nullptr) {
  weft::spawn([&l, ctx, n, serve, errors] {
    for (int i = 0; i < n; ++i) {
      net::socket s = l.accept();
      weft::spawn([ctx, serve, errors](net::socket s) {
        net::tls_stream t(std::move(s), ctx);
        std::error_code ec;
        t.accept(ec);
        if (ec) {
          if (errors) errors->push_back(ec);
          return;
        }
        serve(t);
      }, std::move(s));
    }
  });
}

void echo(net::tls_stream& t) {
  std::byte buf[4096];
  while (std::size_t n = t.read_some(buf)) t.write_all(std::span<const std::byte>(buf, n));
  t.shutdown();
}

}  // namespace

// ---- handshake and data ----------------------------------------------------------------------

TEST(NetTls, HandshakeAndEchoRoundTrip) {
  auto sctx = server_ctx();
  sctx.set_alpn({"h2", "http/1.1"});
  auto cctx = client_ctx();
  cctx.set_alpn({"http/1.1", "spdy/1"});
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::string server_alpn;
  serve(l, sctx, 1, [&](net::tls_stream& t) {
    server_alpn = t.alpn_protocol();
    echo(t);
  });
  bool done = false;
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(cctx, l.local_address(), "localhost");
    EXPECT_TRUE(t.handshake_done());
    EXPECT_EQ(t.version(), "TLSv1.3");
    EXPECT_FALSE(t.cipher().empty());
    EXPECT_EQ(t.peer_subject(), "CN=localhost");
    EXPECT_TRUE(t.peer_verified());
    EXPECT_EQ(t.alpn_protocol(), "http/1.1");
    EXPECT_EQ(t.server_name(), "localhost");
    EXPECT_EQ(t.describe(), l.local_address().to_string() + " (localhost)");
    t.write_all("hello, tls");
    EXPECT_EQ(t.read_exact(10), "hello, tls");
    std::string big(200000, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    weft::spawn([&t, &big] { t.write_all(big); });  // a writer beside the reader
    EXPECT_EQ(t.read_exact(big.size()), big);
    t.shutdown();
    t.shutdown();  // once is enough; the second does nothing
    std::byte buf[16];
    EXPECT_EQ(t.read_some(buf), 0u);  // the server's close_notify: the clean end
    EXPECT_EQ(t.read_some(buf), 0u);
    done = true;
  });
  weft::run();
  EXPECT_TRUE(done);
  EXPECT_EQ(server_alpn, "http/1.1");
}

TEST(NetTls, InMemoryPemAndIpAddressVerification) {
  auto sctx = net::tls_context::server();
  sctx.use_certificate_chain(pki().cert_pem);
  sctx.use_private_key(pki().key_pem);
  auto cctx = net::tls_context::client();
  cctx.add_certificate_authority(pki().ca_pem);
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::string sni = "unset";
  serve(l, sctx, 1, [&](net::tls_stream& t) {
    sni = t.server_name();
    echo(t);
  });
  weft::spawn([&] {
    // An IP literal is checked against the IP SAN and is not sent as SNI (RFC 6066).
    net::tls_stream t = net::tls_connect(cctx, l.local_address(), "127.0.0.1");
    EXPECT_TRUE(t.peer_verified());
    EXPECT_EQ(t.server_name(), "");
    t.write_all("ip");
    EXPECT_EQ(t.read_exact(2), "ip");
    t.shutdown();
  });
  weft::run();
  EXPECT_EQ(sni, "");
}

TEST(NetTls, BufferedStreamLayersOverTls) {
  static_assert(net::byte_stream<net::tls_stream>);
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, echo);
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    net::stream s(t);
    s.write("line one\nline two\n");
    s.flush();
    EXPECT_EQ(s.read_line(), "line one\n");
    EXPECT_EQ(s.read_line(), "line two\n");
    t.shutdown();
    EXPECT_EQ(s.read_line(), "");
  });
  weft::run();
}

// ---- verification ----------------------------------------------------------------------------

TEST(NetTls, UntrustedCaFailsVerification) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::vector<std::error_code> server_errors;
  serve(l, server_ctx(), 1, echo, &server_errors);
  weft::spawn([&] {
    // The default client trusts the system store, which does not know the test CA.
    auto cctx = net::tls_context::client();
    std::string what;
    std::error_code ec;
    try {
      net::tls_connect(cctx, l.local_address(), "localhost");
    } catch (const std::system_error& e) {
      what = e.what();
      ec = e.code();
    }
    EXPECT_EQ(ec.category(), net::tls_verify_category());
    EXPECT_EQ(ec.value(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(what, "tls handshake with " + l.local_address().to_string() +
                        " (localhost): certificate verify failed: unable to get local issuer certificate");
  });
  weft::run();
  ASSERT_EQ(server_errors.size(), 1u);
  EXPECT_EQ(server_errors[0].category(), net::openssl_category());
  EXPECT_NE(server_errors[0].message().find("unknown ca"), std::string::npos) << server_errors[0].message();
}

TEST(NetTls, HostNameMismatchFails) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 2, echo);
  weft::spawn([&] {
    std::error_code ec;
    net::tls_stream t(net::tcp_connect(l.local_address()), client_ctx());
    t.connect("wrong.example", ec);
    EXPECT_EQ(ec.category(), net::tls_verify_category());
    EXPECT_EQ(ec.value(), X509_V_ERR_HOSTNAME_MISMATCH);
    EXPECT_EQ(ec.message(), "certificate verify failed: hostname mismatch");
    auto what = what_of([&] { net::tls_connect(client_ctx(), l.local_address(), "127.0.0.2"); });
    EXPECT_NE(what.find("(127.0.0.2): certificate verify failed: IP address mismatch"), std::string::npos) << what;
  });
  weft::run();
}

TEST(NetTls, VerificationOffAcceptsAnyServer) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, echo);
  weft::spawn([&] {
    auto cctx = net::tls_context::client();
    cctx.set_verify(net::tls_verify::none);
    net::tls_stream t = net::tls_connect(cctx, l.local_address(), "wrong.example");
    EXPECT_FALSE(t.peer_verified());
    EXPECT_EQ(t.peer_subject(), "CN=localhost");
    t.shutdown();
  });
  weft::run();
}

TEST(NetTls, MutualTls) {
  auto sctx = server_ctx();
  sctx.set_verify(net::tls_verify::require);
  sctx.load_verify_file(pki().ca_file);
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::vector<std::error_code> errors;
  std::string client_subject;
  serve(l, sctx, 2, [&](net::tls_stream& t) {
    client_subject = t.peer_subject();
    echo(t);
  }, &errors);
  weft::spawn([&] {
    // Without a certificate: TLS 1.3 lets the client finish first; the server's alert
    // arrives at the first read.
    std::error_code ec;
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    std::byte buf[8];
    t.read_some(buf, ec);
    EXPECT_EQ(ec.category(), net::openssl_category());
    EXPECT_NE(ec.message().find("certificate required"), std::string::npos) << ec.message();

    auto cctx = client_ctx();
    cctx.use_certificate_chain_file(pki().cert_file);
    cctx.use_private_key_file(pki().key_file);
    net::tls_stream u = net::tls_connect(cctx, l.local_address(), "localhost");
    u.write_all("m");
    EXPECT_EQ(u.read_exact(1), "m");
    u.shutdown();
  });
  weft::run();
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_EQ(client_subject, "CN=localhost");
}

// ---- SNI ---------------------------------------------------------------------------------------

TEST(NetTls, ServerSeesSniAndPicksCertificate) {
  auto other = net::tls_context::server();
  other.use_certificate_chain(pki().other_cert_pem);
  other.use_private_key(pki().other_key_pem);
  other.set_alpn({"x-other"});
  auto sctx = server_ctx();
  std::vector<std::string> asked;
  sctx.on_server_name([&](std::string_view name) -> const net::tls_context* {
    asked.emplace_back(name);
    return name == "other.test" ? &other : nullptr;
  });
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::vector<std::string> seen;
  serve(l, sctx, 2, [&](net::tls_stream& t) {
    seen.push_back(t.server_name());
    echo(t);
  });
  weft::spawn([&] {
    net::tls_stream a = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    EXPECT_EQ(a.peer_subject(), "CN=localhost");
    a.shutdown();
    auto cctx = client_ctx();
    cctx.set_alpn({"x-other"});
    net::tls_stream b = net::tls_connect(cctx, l.local_address(), "other.test");
    EXPECT_EQ(b.peer_subject(), "CN=other.test");
    EXPECT_TRUE(b.peer_verified());
    EXPECT_EQ(b.alpn_protocol(), "x-other");  // chosen by the switched-to context
    b.write_all("sni");
    EXPECT_EQ(b.read_exact(3), "sni");
    b.shutdown();
  });
  weft::run();
  EXPECT_EQ(asked, (std::vector<std::string>{"localhost", "other.test"}));
  EXPECT_EQ(seen, (std::vector<std::string>{"localhost", "other.test"}));
}

// ---- many clients ------------------------------------------------------------------------------

TEST(NetTls, FiftyConcurrentClientsOnOneThread) {
  constexpr int clients = 50;
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  auto cctx = client_ctx();
  int in_handshake = 0, max_in_handshake = 0, served = 0, ok = 0;
  auto sctx = server_ctx();
  weft::spawn([&] {
    for (int i = 0; i < clients; ++i) {
      weft::spawn([&](net::socket s) {
        net::tls_stream t(std::move(s), sctx);
        max_in_handshake = std::max(max_in_handshake, ++in_handshake);
        t.accept();
        --in_handshake;
        echo(t);
        ++served;
      }, l.accept());
    }
  });
  for (int i = 0; i < clients; ++i) {
    weft::spawn([&, i] {
      net::tls_stream t = net::tls_connect(cctx, l.local_address(), "localhost");
      std::string msg = "client " + std::to_string(i) + "\n";
      t.write_all(msg);
      EXPECT_EQ(t.read_exact(msg.size()), msg);
      t.shutdown();
      std::byte buf[1];
      EXPECT_EQ(t.read_some(buf), 0u);
      ++ok;
    });
  }
  weft::run();
  EXPECT_EQ(ok, clients);
  EXPECT_EQ(served, clients);
  EXPECT_GT(max_in_handshake, 1);  // handshakes overlapped on the one thread
}

// ---- timeouts ----------------------------------------------------------------------------------

TEST(NetTls, StalledHandshakeTimesOut) {
  // The server accepts TCP but never speaks TLS.
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  std::vector<net::socket> held;
  weft::spawn([&] {
    held.push_back(l.accept());
    held.push_back(l.accept());
  });
  int ticks = 0;
  bool done = false;
  weft::spawn([&] {
    while (!done) {
      ++ticks;
      weft::schedule();  // not a timer: it is runnable whenever the handshake waits
    }
  });
  weft::spawn([&] {
    // The socket's timeout bounds the handshake.
    net::socket s = net::tcp_connect(l.local_address());
    s.set_timeout(100ms);
    net::tls_stream t(std::move(s), client_ctx());
    auto t0 = std::chrono::steady_clock::now();
    int ticks0 = ticks;
    try {
      t.connect("localhost");
      ADD_FAILURE() << "handshake finished";
    } catch (const weft::timeout_error& e) {
      EXPECT_EQ(std::string(e.what()),
                "tls handshake with " + l.local_address().to_string() + " (localhost): timed out");
    }
    double ms = ms_since(t0);
    // The thread ran other tasklets meanwhile: counted per wait, not as a wall-clock rate
    // (a loaded machine may not wake this process at all within the 100 ms).
    EXPECT_GE(ticks - ticks0, 1);
    EXPECT_GE(ms, 95);
    EXPECT_LT(ms, 1000);
    // tls_connect's timeout bounds the connect and the handshake together.
    t0 = std::chrono::steady_clock::now();
    ticks0 = ticks;
    auto ec = code_of([&] { net::tls_connect(client_ctx(), l.local_address(), "localhost", 60ms); });
    EXPECT_EQ(ec, std::errc::timed_out);
    EXPECT_GE(ticks - ticks0, 1);
    EXPECT_GE(ms_since(t0), 55);
    EXPECT_LT(ms_since(t0), 1000);
    done = true;
  });
  weft::run();
}

TEST(NetTls, ServerHandshakeWithSilentClientTimesOut) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  net::socket silent = net::tcp_connect(l.local_address());  // connects, never sends a ClientHello
  weft::spawn([&] {
    net::tls_stream t(l.accept(), server_ctx());
    t.set_deadline(std::chrono::steady_clock::now() + 80ms);
    auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    t.accept(ec);
    EXPECT_EQ(ec, std::errc::timed_out);
    EXPECT_GE(ms_since(t0), 75);
  });
  weft::run();
}

TEST(NetTls, ReadTimeoutLeavesTheSessionUsable) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, [](net::tls_stream& t) {
    weft::sleep_for(150ms);
    t.write_all("late");
    echo(t);
  });
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    t.sock().set_timeout(50ms);
    std::byte buf[8];
    auto what = what_of([&] { t.read_some(buf); });
    EXPECT_EQ(what, "tls read from " + t.describe() + ": timed out");
    t.sock().set_timeout(std::nullopt);
    EXPECT_EQ(t.read_exact(4), "late");
    t.shutdown();
  });
  weft::run();
}

// ---- peers that vanish -------------------------------------------------------------------------

TEST(NetTls, PeerClosingWithoutCloseNotifyIsAnError) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, [](net::tls_stream& t) {
    t.write_all("partial");
    t.close();  // no close_notify
  });
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    t.sock().set_timeout(5s);  // a hang fails the test instead of stalling it
    EXPECT_EQ(t.read_exact(7), "partial");
    std::byte buf[8];
    std::error_code ec;
    EXPECT_EQ(t.read_some(buf, ec), 0u);
    EXPECT_EQ(ec, net::tls_errc::truncated);
    auto what = what_of([&] { t.read_some(buf); });
    EXPECT_NE(what.find("tls read from"), std::string::npos) << what;
  });
  weft::run();
}

TEST(NetTls, PeerVanishingMidRecordIsAnError) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, [](net::tls_stream& t) {
    // An application-data record header promising 100 bytes, then 10 of them, then gone.
    const unsigned char head[] = {0x17, 0x03, 0x03, 0x00, 0x64, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    t.sock().sendall(std::as_bytes(std::span(head)));
    t.close();
  });
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    t.sock().set_timeout(5s);
    std::byte buf[8];
    std::error_code ec;
    t.read_some(buf, ec);
    EXPECT_EQ(ec, net::tls_errc::truncated);
  });
  weft::run();
}

TEST(NetTls, PeerResetIsAnError) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, [](net::tls_stream& t) {
    linger lg{1, 0};
    std::error_code ec;
    t.sock().set_option(SOL_SOCKET, SO_LINGER, &lg, sizeof lg, ec);
    t.close();  // RST
  });
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    t.sock().set_timeout(5s);
    std::byte buf[8];
    std::error_code ec;
    t.read_some(buf, ec);
    EXPECT_EQ(ec, std::errc::connection_reset) << ec.message();
  });
  weft::run();
}

// ---- kills and closes ---------------------------------------------------------------------------

TEST(NetTls, KillingABlockedReaderUnwindsWithoutLeaks) {
  warm_up_reactor();
  const int fds_before = open_fds();
  {
    net::listener l = net::tcp_listen(net::address::loopback_v4(0));
    std::error_code server_ec;
    bool server_done = false;
    serve(l, server_ctx(), 1, [&](net::tls_stream& t) {
      std::byte buf[8];
      t.read_some(buf, server_ec);  // the client dies without close_notify
      server_done = true;
    });
    bool unwound = false, connected = false;
    weft::tasklet reader = weft::spawn([&] {
      struct guard {
        bool& flag;
        ~guard() { flag = true; }
      } g{unwound};
      net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
      connected = true;
      std::byte buf[8];
      t.read_some(buf);
      ADD_FAILURE() << "read returned";
    });
    weft::spawn([&] {
      while (!connected || reader.waiting_on().find("readable") == std::string::npos) weft::sleep_for(1ms);
      reader.kill();
      EXPECT_TRUE(unwound);
      EXPECT_FALSE(reader.alive());
    });
    weft::run();
    EXPECT_TRUE(unwound);
    EXPECT_TRUE(server_done);
    // No close_notify: truncated, or a reset if the server's session tickets were still
    // unread in the client's receive buffer when it closed.
    EXPECT_TRUE(server_ec == net::tls_errc::truncated || server_ec == std::errc::connection_reset) << server_ec.message();
  }
  EXPECT_EQ(open_fds(), fds_before);
}

TEST(NetTls, CloseWakesABlockedReader) {
  net::listener l = net::tcp_listen(net::address::loopback_v4(0));
  serve(l, server_ctx(), 1, [](net::tls_stream& t) {
    std::byte buf[8];
    std::error_code ec;
    t.read_some(buf, ec);
  });
  weft::spawn([&] {
    net::tls_stream t = net::tls_connect(client_ctx(), l.local_address(), "localhost");
    weft::spawn([&] {
      weft::sleep_for(20ms);
      t.close();
    });
    std::byte buf[8];
    std::error_code ec;
    t.read_some(buf, ec);
    EXPECT_EQ(ec, std::errc::operation_canceled);
  });
  weft::run();
}

// ---- misuse and configuration errors --------------------------------------------------------------

TEST(NetTls, MisuseAndConfigurationErrors) {
  auto [a, b] = tcp_pair();
  net::tls_stream t(std::move(a), client_ctx());
  std::byte buf[4];
  std::error_code ec;
  t.read_some(buf, ec);
  EXPECT_EQ(ec, net::tls_errc::no_handshake);
  t.accept(ec);
  EXPECT_EQ(ec, net::tls_errc::wrong_role);
  t.connect("", ec);
  EXPECT_EQ(ec, net::tls_errc::host_required);

  auto c = net::tls_context::server();
  auto what = what_of([&] { c.use_certificate_chain_file(pki().dir + "/missing.pem"); });
  EXPECT_EQ(what, "load certificate chain " + pki().dir + "/missing.pem: No such file or directory");
  EXPECT_EQ(code_of([&] { c.use_certificate_chain_file(pki().dir + "/missing.pem"); }),
            std::errc::no_such_file_or_directory);
  c.use_certificate_chain(pki().cert_pem);
  what = what_of([&] { c.use_private_key(pki().other_key_pem); });
  EXPECT_EQ(what, "load private key from PEM: key values mismatch");
  EXPECT_THROW(c.add_certificate_authority("not a certificate"), std::system_error);
}
