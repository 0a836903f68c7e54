/* Driving the engine: libcurl's socket interface. libcurl says which
 * sockets to watch and when its timer runs out; whoever owns the loop (our
 * own poll(2) in lc_client_run, or a host's loop through the calls in
 * lcanvas.h's "driving from the host's own loop") calls
 * curl_multi_socket_action when either happens. engine.c decides what
 * starts, retries and finishes. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "client_internal.h"

/* ------------------------------------------------------------ sockets
 *
 * libcurl's socket interface: it tells us which sockets to watch and when
 * its timer runs out; we call curl_multi_socket_action when either
 * happens. The same bookkeeping serves lc_client_run's own poll(2) and a
 * host's loop (lcanvas.h, "driving from the host's own loop"). */

static int epoll_mask(int events)
{
    return (events & LC_POLL_IN ? EPOLLIN : 0) | (events & LC_POLL_OUT ? EPOLLOUT : 0);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    lc_client *c = userp;
    size_t i = 0;
    while (i < c->nsocks && c->socks[i].fd != (int)s) i++;
    if (what == CURL_POLL_REMOVE) {
        if (i == c->nsocks) return 0;
        c->socks[i] = c->socks[--c->nsocks];
        if (c->has_epfd) epoll_ctl(c->epfd, EPOLL_CTL_DEL, (int)s, NULL);
        return 0;
    }
    int ev = (what & CURL_POLL_IN ? LC_POLL_IN : 0) | (what & CURL_POLL_OUT ? LC_POLL_OUT : 0);
    int added = i == c->nsocks;
    if (added) {
        if (c->nsocks == c->capsocks) {
            size_t cap = c->capsocks ? c->capsocks * 2 : 8;
            lc_socket *n = realloc(c->socks, cap * sizeof *n);
            if (!n) return -1;
            c->socks = n;
            c->capsocks = cap;
        }
        c->socks[c->nsocks++].fd = (int)s;
    }
    c->socks[i].events = ev;
    if (c->has_epfd) {
        struct epoll_event e = {.events = (uint32_t)epoll_mask(ev), .data.fd = (int)s};
        if (epoll_ctl(c->epfd, added ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, (int)s, &e) != 0 && !added)
            epoll_ctl(c->epfd, EPOLL_CTL_ADD, (int)s, &e);
    }
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    lc_client *c = userp;
    c->curl_deadline = timeout_ms < 0 ? -1.0 : lc_now_s() + (double)timeout_ms / 1000.0;
    return 0;
}

void lc_engine_setup(lc_client *c)
{
    c->curl_deadline = -1.0;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
}

void lc_engine_teardown(lc_client *c)
{
    free(c->socks);
    c->socks = NULL;
    c->nsocks = c->capsocks = 0;
    if (c->has_epfd) close(c->epfd);
    c->has_epfd = 0;
}

size_t lc_client_sockets(const lc_client *c, lc_socket *out, size_t max)
{
    for (size_t i = 0; i < c->nsocks && i < max; i++) out[i] = c->socks[i];
    return c->nsocks;
}

int lc_client_pollfd(lc_client *c)
{
    if (c->has_epfd) return c->epfd;
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return -1;
    for (size_t i = 0; i < c->nsocks; i++) {
        struct epoll_event e = {.events = (uint32_t)epoll_mask(c->socks[i].events),
                                .data.fd = c->socks[i].fd};
        epoll_ctl(fd, EPOLL_CTL_ADD, c->socks[i].fd, &e);
    }
    /* A signal (lc_interrupt) makes the descriptor readable too, so a host
     * loop calls lc_client_step, which ends every transfer as Interrupted. */
    int intr = lc_interrupt_fd();
    if (intr >= 0) {
        struct epoll_event e = {.events = EPOLLIN, .data.fd = intr};
        epoll_ctl(fd, EPOLL_CTL_ADD, intr, &e);
    }
    c->epfd = fd;
    c->has_epfd = 1;
    return fd;
}

long lc_client_timeout_ms(const lc_client *c)
{
    double now = lc_now_s(), due = c->curl_deadline;
    for (const lc_xfer *x = c->active; x; x = x->next) {
        if (x->state == X_RUNNING) {
            if (due < 0 || x->deadline < due) due = x->deadline;
            continue;
        }
        if (x->state != X_WAITING) continue;
        /* Held by the rate gate until a running request answers: the
         * answer's socket activity is what wakes us. (A timer is never held.) */
        if (!x->is_timer && x->not_before <= now && lc_engine_gate_delay(c, now) < 0) continue;
        if (due < 0 || x->not_before < due) due = x->not_before;
    }
    if (due < 0) return -1;
    double ms = (due - now) * 1000.0;
    return ms <= 0 ? 0 : (long)ceil(ms);
}

/* Runs libcurl's timer while it is due (it may set a new one at 0). */
static int timers_due(lc_client *c)
{
    int running;
    for (int i = 0; i < 16 && c->curl_deadline >= 0 && c->curl_deadline <= lc_now_s(); i++) {
        c->curl_deadline = -1.0;
        if (curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
            return -1;
    }
    return 0;
}

static int curl_mask(int events)
{
    return (events & LC_POLL_IN ? CURL_CSELECT_IN : 0) |
           (events & LC_POLL_OUT ? CURL_CSELECT_OUT : 0) |
           (events & LC_POLL_ERR ? CURL_CSELECT_ERR : 0);
}

/* After libcurl acted on the ready sockets: its timers, then every
 * finished attempt, and only then new starts, so that the rate gate
 * counts from the latest answers (starting between two answers would let
 * the second one's report forget the start). */
static int round_end(lc_client *c)
{
    if (timers_due(c) < 0) return -1;
    int finished = lc_engine_collect(c);
    double now = lc_now_s();
    finished += lc_engine_expire(c, now);
    finished += lc_engine_start_due(c, now);
    if (timers_due(c) < 0) return -1;
    return finished + lc_engine_collect(c);
}

int lc_client_socket_action(lc_client *c, int fd, int events)
{
    int running;
    if (lc_interrupted()) return lc_engine_interrupt_all(c);
    if (fd != LC_SOCKET_TIMEOUT &&
        curl_multi_socket_action(c->multi, fd, curl_mask(events), &running) != CURLM_OK)
        return -1;
    return round_end(c);
}

/* Polls every watched socket for up to wait_ms and acts on what is ready.
 * The interrupt pipe (interrupt.c) is polled too, so a signal ends the
 * wait at once and every transfer finishes as Interrupted. */
static int poll_act(lc_client *c, long wait_ms)
{
    if (lc_interrupted()) return lc_engine_interrupt_all(c);
    struct pollfd stack[32], *pf = stack;
    size_t n = c->nsocks;
    if (n + 1 > sizeof stack / sizeof stack[0]) {
        pf = malloc((n + 1) * sizeof *pf);
        if (!pf) return -1;
    }
    for (size_t i = 0; i < n; i++) {
        pf[i].fd = c->socks[i].fd;
        pf[i].events = (short)((c->socks[i].events & LC_POLL_IN ? POLLIN : 0) |
                               (c->socks[i].events & LC_POLL_OUT ? POLLOUT : 0));
        pf[i].revents = 0;
    }
    int intr = lc_interrupt_fd();
    nfds_t npoll = (nfds_t)n;
    if (intr >= 0) pf[npoll++] = (struct pollfd){.fd = intr, .events = POLLIN};
    int failed = 0, running;
    int r = poll(pf, npoll, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
    if (lc_interrupted()) {
        if (pf != stack) free(pf);
        return lc_engine_interrupt_all(c);
    }
    for (size_t i = 0; r > 0 && i < n; i++) {
        if (!pf[i].revents) continue;
        int ev = (pf[i].revents & POLLIN ? LC_POLL_IN : 0) |
                 (pf[i].revents & POLLOUT ? LC_POLL_OUT : 0) |
                 (pf[i].revents & (POLLERR | POLLHUP | POLLNVAL) ? LC_POLL_ERR : 0);
        if (curl_multi_socket_action(c->multi, pf[i].fd, curl_mask(ev), &running) != CURLM_OK)
            failed = 1;
    }
    if (pf != stack) free(pf);
    if (failed) return -1;
    return round_end(c);
}

int lc_client_step(lc_client *c)
{
    return poll_act(c, 0);
}

/* ------------------------------------------------------------ driving */

int lc_client_run(lc_client *c, long max_wait_ms)
{
    int finished = poll_act(c, 0);
    if (finished != 0 || c->nactive == 0) return finished;
    /* Sleep in poll until a socket is ready, a timer or a delayed start is
     * due, or the caller's limit. */
    long wait = max_wait_ms < 0 ? 0 : max_wait_ms;
    long t = lc_client_timeout_ms(c);
    if (t >= 0 && t < wait) wait = t;
    return poll_act(c, wait);
}

int lc_perform(lc_client *c, const lc_request *req, lc_response *resp, lc_error *err)
{
    lc_response_init(resp);
    lc_xfer *x = lc_xfer_new(c, req, err);
    if (!x) return -1;
    lc_xfer_submit(x);
    while (x->state != X_DONE) {
        if (lc_client_run(c, 1000) < 0) {
            lc_xfer_free(x);
            lc_error_set(err, LC_NETWORK_ERROR, "the transfer engine failed");
            return -1;
        }
    }
    /* Other transfers that finished meanwhile stay queued for whoever
     * drives them; lc_xfer_free takes only ours out of the queue. */
    *resp = x->resp;
    lc_response_init(&x->resp);
    int rc = 0;
    if (x->failed) {
        lc_error_clear(err);
        *err = x->err;
        lc_error_init(&x->err);
        rc = -1;
    }
    lc_xfer_free(x);
    return rc;
}
