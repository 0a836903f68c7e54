/* poll_loop.c: lcanvas requests driven from the program's own poll(2)
 * loop, which keeps doing its other work (here: a 100 ms ticker) while
 * the answers are on their way. Starts `count` GET requests for `path` at
 * once, prints each answer's user as it arrives, then the ticker's record.
 *
 *   cc poll_loop.c $(pkg-config --cflags --libs lcanvas) -o poll_loop
 *   CANVAS_API_URL=... CANVAS_API_TOKEN=... ./poll_loop [path [count]]
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lcanvas/lcanvas.h>
#include <lcanvas/json.h>

#define MAX_FDS 64

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One finished transfer: its user, or its error. Returns 0 when it failed. */
static int report(lc_xfer *x)
{
    lc_response *resp;
    lc_error *err;
    int ok = lc_xfer_result(x, &resp, &err) == 0;
    if (ok) {
        lc_value *v = lc_json_decode(resp->body, resp->body_len, NULL, 0);
        const lc_value *id = v ? lc_object_get(v, "id") : NULL;
        const char *name = v ? lc_value_str(lc_object_get(v, "name")) : NULL;
        printf("user: %lld %s\n", id && id->type == LC_T_INT ? (long long)id->u.i : -1LL,
               name ? name : "?");
        lc_value_free(v);
    } else {
        fprintf(stderr, "poll_loop: %s: %s\n", lc_kind_name(err->kind),
                err->message ? err->message : "(no message)");
    }
    lc_xfer_free(x);
    return ok;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "users/self";
    int count = argc > 2 ? atoi(argv[2]) : 4;
    lc_config cfg = {0};
    cfg.base_url = getenv("CANVAS_API_URL");
    cfg.token = getenv("CANVAS_API_TOKEN");
    cfg.max_retries = -1;
    if (!cfg.base_url || !cfg.token || count < 1) {
        fprintf(stderr, "poll_loop: set CANVAS_API_URL and CANVAS_API_TOKEN\n");
        return 2;
    }
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    if (!c) {
        fprintf(stderr, "poll_loop: %s\n", err.message);
        lc_error_clear(&err);
        return 1;
    }
    lc_request req = {.method = "GET", .path = path};
    for (int i = 0; i < count; i++) {
        lc_xfer *x = lc_xfer_new(c, &req, &err);
        if (!x) {
            fprintf(stderr, "poll_loop: %s\n", err.message);
            lc_error_clear(&err);
            lc_client_free(c);
            return 2;
        }
        lc_xfer_submit(x);
    }

    double start = now_s(), tick_due = start + 0.1, worst = 0;
    int ticks = 0, left = count, failed = 0;
    while (left > 0) {
        /* The program's own work: a ticker, on time. */
        double t = now_s();
        if (t >= tick_due) {
            if (t - tick_due > worst) worst = t - tick_due;
            ticks++;
            tick_due += 0.1;
        }
        /* Wait for the client's sockets, its timeout or the next tick. */
        lc_socket socks[MAX_FDS];
        struct pollfd pf[MAX_FDS];
        size_t n = lc_client_sockets(c, socks, MAX_FDS);
        if (n > MAX_FDS) n = MAX_FDS;
        for (size_t i = 0; i < n; i++) {
            pf[i].fd = socks[i].fd;
            pf[i].events = (short)((socks[i].events & LC_POLL_IN ? POLLIN : 0) |
                                   (socks[i].events & LC_POLL_OUT ? POLLOUT : 0));
            pf[i].revents = 0;
        }
        long wait = (long)((tick_due - now_s()) * 1000.0) + 1;
        long ct = lc_client_timeout_ms(c);
        if (ct >= 0 && ct < wait) wait = ct;
        if (wait < 0) wait = 0;
        int ready = poll(pf, (nfds_t)n, (int)wait);
        for (size_t i = 0; ready > 0 && i < n; i++) {
            if (!pf[i].revents) continue;
            int ev = (pf[i].revents & POLLIN ? LC_POLL_IN : 0) |
                     (pf[i].revents & POLLOUT ? LC_POLL_OUT : 0) |
                     (pf[i].revents & (POLLERR | POLLHUP) ? LC_POLL_ERR : 0);
            if (lc_client_socket_action(c, pf[i].fd, ev) < 0) return 1;
        }
        if (lc_client_socket_action(c, LC_SOCKET_TIMEOUT, 0) < 0) return 1;
        lc_xfer *x;
        while ((x = lc_client_next_done(c))) {
            if (!report(x)) failed++;
            left--;
        }
    }
    printf("elapsed_ms: %.0f ticks: %d worst_late_ms: %.1f\n", (now_s() - start) * 1000.0, ticks,
           worst * 1000.0);
    lc_client_free(c);
    return failed ? 1 : 0;
}
