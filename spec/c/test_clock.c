/* The engine's clock: timers (lc_timer_new) on a clock client
 * (lc_clock_new) and on an ordinary one end when due, in order, shown in
 * lc_client_timeout_ms so a host loop wakes for them; a signal ends a long
 * one at once as Interrupted; a clock refuses HTTP requests. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"
#include "lcanvas.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
    (void)sig;
    lc_interrupt();
}

/* Drives c until x is done; returns the seconds it took. */
static double wait_done(lc_client *c, lc_xfer *x)
{
    double t0 = now_s();
    for (int i = 0; i < 1000 && !lc_xfer_done(x); i++) lc_client_run(c, 1000);
    return now_s() - t0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    CHECK(lc_interrupt_init() == 0);

    lc_error err;
    lc_error_init(&err);
    lc_client *clock = lc_clock_new(&err);
    CHECK(clock != NULL);
    if (!clock) return check_report();

    /* Nothing to do: no timer. */
    CHECK(lc_client_timeout_ms(clock) == -1);

    /* One timer: due after its delay, not before; successful, no answer. */
    lc_xfer *t = lc_timer_new(clock, 150, &err);
    CHECK(t != NULL);
    lc_xfer_submit(t);
    long ms = lc_client_timeout_ms(clock);
    CHECK(ms > 100 && ms <= 150);
    CHECK(lc_client_pending(clock) == 1);
    double took = wait_done(clock, t);
    CHECK(lc_xfer_done(t));
    CHECK(took >= 0.140 && took < 0.5);
    lc_response *resp = NULL;
    lc_error *xerr = NULL;
    CHECK(lc_xfer_result(t, &resp, &xerr) == 0);
    CHECK(resp->status == 0 && resp->body == NULL);
    CHECK(lc_client_next_done(clock) == t);
    lc_xfer_free(t);
    CHECK(lc_client_pending(clock) == 0);

    /* Two timers end in the order they are due, not submitted. */
    lc_xfer *late = lc_timer_new(clock, 250, &err), *soon = lc_timer_new(clock, 50, &err);
    lc_xfer_submit(late);
    lc_xfer_submit(soon);
    wait_done(clock, soon);
    CHECK(lc_xfer_done(soon) && !lc_xfer_done(late));
    CHECK(lc_client_next_done(clock) == soon);
    wait_done(clock, late);
    CHECK(lc_client_next_done(clock) == late);
    lc_xfer_free(soon);
    lc_xfer_free(late);

    /* A 0 ms timer is due at the next round. */
    t = lc_timer_new(clock, 0, &err);
    lc_xfer_submit(t);
    CHECK(lc_client_timeout_ms(clock) == 0);
    CHECK(lc_client_step(clock) == 1);
    CHECK(lc_xfer_done(t));
    lc_xfer_free(t);

    /* A signal ends a long wait within the one call it arrives in. */
    t = lc_timer_new(clock, 30000, &err);
    lc_xfer_submit(t);
    struct itimerval it = { { 0, 0 }, { 0, 100000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    double t0 = now_s();
    lc_client_run(clock, 20000);
    CHECK(lc_xfer_done(t));
    CHECK(now_s() - t0 < 0.5);
    CHECK(lc_xfer_result(t, NULL, &xerr) == -1 && xerr->kind == LC_INTERRUPTED);
    lc_xfer_free(t);
    lc_interrupt_clear();

    /* A clock sends no HTTP. */
    lc_request req = { .method = "GET", .path = "users/self" };
    CHECK(lc_xfer_new(clock, &req, &err) == NULL);
    CHECK(err.kind == LC_INVALID_ARGUMENT);
    lc_error_clear(&err);
    CHECK(!lc_client_same_origin(clock, "http://127.0.0.1/"));
    lc_client_free(clock);

    /* Timers on an ordinary client too (a refused port: nothing is sent). */
    lc_config cfg = { .base_url = "http://127.0.0.1:9", .token = "t0k3n-for-tests" };
    lc_client *c = lc_client_new(&cfg, &err);
    CHECK(c != NULL);
    t = lc_timer_new(c, 60, &err);
    lc_xfer_submit(t);
    took = wait_done(c, t);
    CHECK(took >= 0.055 && took < 0.5);
    lc_stats st;
    lc_client_stats(c, &st);
    CHECK(st.requests == 0);
    /* Freed before it is due: nothing is left behind. */
    lc_xfer *u = lc_timer_new(c, 5000, &err);
    lc_xfer_submit(u);
    lc_xfer_free(u);
    CHECK(lc_client_pending(c) == 0);
    lc_xfer_free(t);
    lc_client_free(c);
    return check_report();
}
