/* bench/common/server.c — see server.h. */
#include "server.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t bench_server_start(const char *bin, const char *const *args, const char *log, char *base, size_t n)
{
    int fds[2];
    if (pipe(fds)) return -1;
    pid_t pid = fork();
    if (pid < 0) { close(fds[0]); close(fds[1]); return -1; }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        FILE *lf = fopen(log, "a");
        if (lf) dup2(fileno(lf), 2);
        const char *argv[32] = {bin, "serve", "--host", "127.0.0.1", "--port", "0"};
        size_t k = 6;
        for (size_t i = 0; args && args[i] && k < 31; i++) argv[k++] = args[i];
        argv[k] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256];
    base[0] = '\0';
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (poll(&p, 1, 120000) <= 0 || !fgets(line, sizeof line, f)) break;
        char *u = strstr(line, "http://");
        if (u) {
            u[strcspn(u, "\n")] = '\0';
            snprintf(base, n, "%s", u);
            break;
        }
    }
    fclose(f);  /* the server's later stdout lines, if any, go nowhere */
    if (!base[0]) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

void bench_server_stop(pid_t pid)
{
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
