/* Stopping on a signal. A signal is process-wide, so this is the core's one
 * piece of process-wide state: a flag, and a pipe that becomes readable when
 * the flag is set. lc_interrupt() only stores and writes, both
 * async-signal-safe, so a SIGINT/SIGTERM handler may call it. The engine
 * polls the pipe next to its sockets: a wait for an answer, for a retry or
 * at the rate gate ends at once, and every transfer fails as Interrupted.
 * The flag stays set (the pipe is not drained) until lc_interrupt_clear():
 * a process stopping on a signal sends nothing more. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "client_internal.h"

static volatile sig_atomic_t interrupted;
static int wake[2] = { -1, -1 };

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

int lc_interrupt_init(void)
{
    if (wake[0] >= 0) return 0;
    int p[2];
    if (pipe(p) != 0) return -1;
    if (!set_flags(p[0]) || !set_flags(p[1])) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    wake[1] = p[1];
    wake[0] = p[0];
    return 0;
}

void lc_interrupt(void)
{
    int saved = errno;
    interrupted = 1;
    if (wake[1] >= 0) {
        ssize_t r = write(wake[1], "!", 1);  /* a full pipe is readable anyway */
        (void)r;
    }
    errno = saved;
}

int lc_interrupted(void)
{
    return interrupted != 0;
}

void lc_interrupt_clear(void)
{
    char buf[64];
    interrupted = 0;
    if (wake[0] >= 0)
        while (read(wake[0], buf, sizeof buf) > 0) {
        }
}

int lc_interrupt_fd(void)
{
    return wake[0];
}
