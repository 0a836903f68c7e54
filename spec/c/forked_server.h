/* A local HTTP server for the C tests: a child process accepting on a
 * loopback port and handing each connection to serve(fd, arg). Returns the
 * child's pid (-1 when no socket could be made), the port in *port. */
#ifndef FORKED_SERVER_H
#define FORKED_SERVER_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

static pid_t forked_server(int *port, void (*serve)(int fd, int arg), int arg)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
            int fd = accept(s, NULL, NULL);
            if (fd < 0) continue;
            serve(fd, arg);
            close(fd);
        }
    }
    close(s);
    return pid;
}
#endif
