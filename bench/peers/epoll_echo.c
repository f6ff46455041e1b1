// epoll_c: a plain single-threaded, level-triggered epoll echo server on 127.0.0.1, the floor
// weft's echo server is compared with. `--port P`. One read buffer serves every connection;
// a connection owns heap memory only while part of an echo still waits to be written, so an
// idle connection costs 32 bytes of user memory (the rest is the kernel's).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  int fd;
  char* pending;  // bytes read but not yet echoed, or NULL; interest is EPOLLOUT while set
  size_t off, len;
};

static void die(const char* what) {
  perror(what);
  exit(1);
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) < 0) die("bind");
  if (listen(fd, SOMAXCONN) < 0) die("listen");
  return fd;
}

static void watch(int ep, int op, struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, op, c->fd, &ev) < 0) die("epoll_ctl");
}

static void drop(struct conn* c) {
  close(c->fd);  // also removes it from the epoll set
  free(c->pending);
  free(c);
}

static void accept_all(int ep, int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) perror("accept4");  // EMFILE and friends: keep serving the rest
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    if (!c) die("calloc");
    c->fd = fd;
    watch(ep, EPOLL_CTL_ADD, c, EPOLLIN);
  }
}

// Writes what it can of data[0..n); keeps the rest as pending and waits for EPOLLOUT.
// Returns -1 if the connection must be dropped.
static int echo(int ep, struct conn* c, const char* data, size_t n) {
  ssize_t w = write(c->fd, data, n);
  if (w < 0) {
    if (errno != EAGAIN && errno != EINTR) return -1;
    w = 0;
  }
  if ((size_t)w == n) return 0;
  c->pending = malloc(n - (size_t)w);
  if (!c->pending) die("malloc");
  memcpy(c->pending, data + w, n - (size_t)w);
  c->off = 0;
  c->len = n - (size_t)w;
  watch(ep, EPOLL_CTL_MOD, c, EPOLLOUT);
  return 0;
}

static int flush_pending(int ep, struct conn* c) {
  ssize_t w = write(c->fd, c->pending + c->off, c->len - c->off);
  if (w < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
  c->off += (size_t)w;
  if (c->off < c->len) return 0;
  free(c->pending);
  c->pending = NULL;
  watch(ep, EPOLL_CTL_MOD, c, EPOLLIN);
  return 0;
}

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
  if (port <= 0) {
    fprintf(stderr, "usage: epoll_echo --port P\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  int lfd = listen_on(port);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};  // NULL marks the listener
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl");

  static char buf[64 * 1024];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (!c) {
        accept_all(ep, lfd);
        continue;
      }
      int rc;
      if (c->pending) {
        rc = flush_pending(ep, c);
      } else {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r > 0)
          rc = echo(ep, c, buf, (size_t)r);
        else
          rc = r == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
      }
      if (rc < 0) drop(c);
    }
  }
}
