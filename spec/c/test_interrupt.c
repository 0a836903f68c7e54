/* lc_interrupt() from a signal handler ends the engine's waits: a request
 * to a server that never answers and a retry wait each end within the one
 * lc_client_run call the signal arrives in (whose own limit is 20 s), as
 * Interrupted; the stop is sticky until lc_interrupt_clear(). The server is
 * a loopback socket that listens and never accepts (the kernel completes
 * the connection, nobody answers), then a closed port (refused: a retry). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "lcanvas.h"

static void on_alarm(int sig)
{
    (void)sig;
    lc_interrupt();
}

/* SIGALRM (so lc_interrupt) in 100 ms. */
static void interrupt_soon(void)
{
    struct itimerval t = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &t, NULL);
}

static int listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    *port = ntohs(a.sin_port);
    return s;
}

/* Drives c until x is done or `rounds` calls of lc_client_run(c, wait_ms)
 * passed; returns the calls made. */
static int drive(lc_client *c, lc_xfer *x, int rounds, long wait_ms)
{
    int n = 0;
    while (n < rounds && !lc_xfer_done(x)) {
        lc_client_run(c, wait_ms);
        n++;
    }
    return n;
}

static lc_kind kind_of(lc_xfer *x)
{
    lc_error *err = NULL;
    if (lc_xfer_result(x, NULL, &err) == 0) return LC_OK;
    return err->kind;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    CHECK(lc_interrupt_init() == 0);
    CHECK(!lc_interrupted());

    int port = 0;
    int s = listener(&port);
    CHECK(s >= 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    lc_config cfg = { .base_url = url, .token = "t0k3n-for-tests", .max_retries = 3,
                      .backoff_base_s = 10, .backoff_max_s = 10 };
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    CHECK(c != NULL);
    if (!c) return check_report();
    lc_request req = { .method = "GET", .path = "users/self" };

    /* A request in progress: nobody answers. */
    lc_xfer *x = lc_xfer_new(c, &req, &err);
    lc_xfer_submit(x);
    drive(c, x, 3, 20);  /* connected, request sent, waiting */
    CHECK(!lc_xfer_done(x));
    interrupt_soon();
    CHECK(drive(c, x, 1, 20000) == 1);  /* the one call ended with it */
    CHECK(lc_xfer_done(x));
    CHECK(kind_of(x) == LC_INTERRUPTED);
    CHECK(strcmp(lc_kind_name(LC_INTERRUPTED), "Interrupted") == 0);
    lc_xfer_free(x);
    CHECK(lc_client_pending(c) == 0);

    /* Sticky: the next request fails at once, sending nothing. */
    lc_stats st0, st1;
    lc_client_stats(c, &st0);
    lc_response resp;
    CHECK(lc_perform(c, &req, &resp, &err) == -1);
    CHECK(err.kind == LC_INTERRUPTED);
    lc_client_stats(c, &st1);
    CHECK(st1.requests == st0.requests);
    lc_response_clear(&resp);
    lc_error_clear(&err);

    /* Cleared; now a retry wait (the port refuses, the next try is 10 s
     * away). */
    lc_interrupt_clear();
    CHECK(!lc_interrupted());
    close(s);
    x = lc_xfer_new(c, &req, &err);
    lc_xfer_submit(x);
    for (int i = 0; i < 50 && !lc_xfer_done(x); i++) {
        lc_client_stats(c, &st1);
        if (st1.retries > st0.retries) break;
        lc_client_run(c, 20);
    }
    lc_client_stats(c, &st1);
    CHECK(st1.retries == st0.retries + 1);
    CHECK(!lc_xfer_done(x));
    interrupt_soon();
    CHECK(drive(c, x, 1, 20000) == 1);
    CHECK(kind_of(x) == LC_INTERRUPTED);
    lc_xfer_free(x);

    lc_interrupt_clear();
    lc_client_free(c);
    return check_report();
}
