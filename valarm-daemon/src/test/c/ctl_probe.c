/*
 * valarm's control-socket probe: connects to a unix stream socket, sends one line, prints the reply line.
 * Run as another user (setpriv --reuid=65534 ...) to check that the daemon refuses it.
 *
 *   ctl_probe SOCKET 'REQUEST'
 *
 * Output: "connect errno=NAME" if the connect failed, else "reply " and the daemon's line (or "eof").
 * Exit status 0 if a reply came, 1 otherwise, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOCKET 'REQUEST'\n", argv[0]);
        return 2;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("connect errno=%s\n", strerrorname_np(errno));
        return 1;
    }
    char line[4096];
    snprintf(line, sizeof line, "%s\n", argv[2]);
    if (write(fd, line, strlen(line)) < 0) {
        printf("write errno=%s\n", strerrorname_np(errno));
        return 1;
    }
    char buf[65536];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
        if (memchr(buf, '\n', n) || n == sizeof buf - 1) {
            break;
        }
    }
    buf[n] = 0;
    if (n == 0) {
        printf("eof\n");
        return 1;
    }
    printf("reply %s", buf);
    return 0;
}
