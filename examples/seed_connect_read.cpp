// Seed 001's connect-and-read, written as plain blocking code: only the calling tasklet
// waits in connect() and recv(). A tiny server tasklet on 127.0.0.1 stands in for HOST:PORT,
// so nothing leaves the machine.
#include <iostream>

#include "weft/net/net.hpp"
#include "weft/scheduler.hpp"
#include "weft/tasklet.hpp"

namespace net = weft::net;

int main() {
  net::listener server = net::tcp_listen(net::address::loopback_v4(0));
  const net::address where = server.local_address();

  weft::spawn([&server] {
    net::socket conn = server.accept();
    conn.sendall("hello from the server\n");
  });

  // The seed's SocketOperation(), line for line.
  weft::spawn([where] {
    net::socket client_socket = net::socket::open(AF_INET, SOCK_STREAM);
    client_socket.connect(where);
    std::string s = client_socket.recv(1024);
    std::cout << "READ DATA " << s;
    client_socket.close();
  });

  weft::run();
}
