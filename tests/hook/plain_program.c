/* A program that knows nothing of weft: blocking sockets, pipes, poll, select, sleeps,
   getaddrinfo, fork and stdio over a pipe, with a helper pthread. preload_test.sh runs it
   plainly and under LD_PRELOAD=libweft_preload.so and compares what it prints. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pair[2];
static struct sockaddr_in server;

static void* late_writer(void* arg) {
  (void)arg;
  usleep(30000);
  write(pair[1], "from-thread", 11);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr*)&server, sizeof server) == 0) send(c, "hello", 5, 0);
  close(c);
  return NULL;
}

static const char* err_name(int e) {
  return e == EAGAIN ? "EAGAIN" : e == EBADF ? "EBADF" : e == EINTR ? "EINTR" : strerror(e);
}

int main(void) {
  printf("hooked: %s\n", dlsym(RTLD_DEFAULT, "_ZN4weft4hook6linkedEv") ? "yes" : "no");

  socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
  printf("socketpair blocking: %s\n", (fcntl(pair[0], F_GETFL) & O_NONBLOCK) ? "no" : "yes");
  int l = socket(AF_INET, SOCK_STREAM, 0);
  server.sin_family = AF_INET;
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(l, (struct sockaddr*)&server, sizeof server);
  listen(l, 4);
  socklen_t len = sizeof server;
  getsockname(l, (struct sockaddr*)&server, &len);

  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  char buf[64] = {0};
  ssize_t n = read(pair[0], buf, sizeof buf - 1);
  printf("read: %zd %s\n", n, buf);
  int a = accept(l, NULL, NULL);
  memset(buf, 0, sizeof buf);
  n = recv(a, buf, sizeof buf - 1, MSG_WAITALL);
  printf("accept+recv: %zd %s\n", n, buf);
  pthread_join(t, NULL);
  close(a);

  int p[2];
  pipe(p);
  struct pollfd pf = {p[0], POLLIN, 0};
  printf("poll timeout: %d\n", poll(&pf, 1, 50));
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  struct timeval tv = {0, 20000};
  printf("select timeout: %d\n", select(p[0] + 1, &r, NULL, NULL, &tv));
  struct timespec ts = {0, 10000000};
  printf("nanosleep: %d\n", nanosleep(&ts, NULL));

  struct timeval rt = {0, 50000};
  setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof rt);
  errno = 0;
  n = recv(pair[0], buf, 1, 0);
  printf("recv with SO_RCVTIMEO: %zd %s\n", n, err_name(errno));
  int nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  n = recv(nb, buf, 1, 0);
  printf("recv on non-blocking unconnected: %zd %d\n", n, errno == ENOTCONN || errno == EAGAIN);
  close(nb);
  close(pair[1]);
  close(pair[0]);
  errno = 0;
  n = recv(pair[0], buf, 1, 0);
  printf("recv on closed: %zd %s\n", n, err_name(errno));

  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_INET;
  int rc = getaddrinfo("localhost", NULL, &hints, &res);
  char text[INET_ADDRSTRLEN] = "?";
  if (rc == 0) inet_ntop(AF_INET, &((struct sockaddr_in*)res->ai_addr)->sin_addr, text, sizeof text);
  printf("getaddrinfo: %d %s\n", rc, text);
  if (res) freeaddrinfo(res);

  pid_t child = fork();
  if (child == 0) {
    write(p[1], "child\n", 6);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  FILE* f = fdopen(p[0], "r");
  char line[32] = {0};
  printf("fork+fdopen: %s", fgets(line, sizeof line, f) ? line : "(nothing)\n");
  fclose(f);
  close(p[1]);

  FILE* pp = popen("echo popen-ok", "r");
  memset(line, 0, sizeof line);
  printf("popen: %s", pp && fgets(line, sizeof line, pp) ? line : "(nothing)\n");
  if (pp) pclose(pp);
  close(l);
  return 3;
}
