/* What a download needs from the engine, against a small HTTP server in a
 * child process: a 2xx body streamed to a sink (never held), its limit
 * (announced by Content-Length, or passed while a chunked body streams),
 * a sink that refuses (a full disk), no retry once the sink got bytes, an
 * error answer kept for its error even with a sink, a 3xx handed back
 * (keep_3xx) instead of refused, and a request delayed by delay_ms. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "forked_server.h"
#include "lcanvas.h"

#define BIG (3u << 20)   /* 3 MiB */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void put(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void puts_fd(int fd, const char *s) { put(fd, s, strlen(s)); }

/* Byte i of the big body. */
static char big_byte(size_t i) { return (char)((i * 31 + 7) & 0xff); }

/* One request per connection: reads the head, answers by path. */
static void serve(int fd, int unused)
{
    (void)unused;
    char req[4096];
    size_t n = 0;
    while (n < sizeof req - 1) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    char path[256] = "";
    sscanf(req, "%*s %255s", path);
    char head[512];
    if (strncmp(path, "/api/v1/big", 11) == 0) {
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\nConnection: close\r\n\r\n",
                 BIG);
        puts_fd(fd, head);
        char buf[65536];
        for (size_t off = 0; off < BIG; off += sizeof buf) {
            size_t k = BIG - off < sizeof buf ? BIG - off : sizeof buf;
            for (size_t i = 0; i < k; i++) buf[i] = big_byte(off + i);
            put(fd, buf, k);
        }
    } else if (strcmp(path, "/api/v1/chunked") == 0) {
        /* No Content-Length: the limit is only known as bytes pass it. */
        puts_fd(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        char chunk[4096 + 16];
        memset(chunk, 'x', sizeof chunk);
        for (int i = 0; i < 64; i++) {
            put(fd, "1000\r\n", 6);
            put(fd, chunk, 4096);
            put(fd, "\r\n", 2);
        }
        puts_fd(fd, "0\r\n\r\n");
    } else if (strcmp(path, "/api/v1/cut") == 0) {
        /* Promises more than it sends, then hangs up: a network error after bytes. */
        puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n");
        char buf[1000];
        memset(buf, 'c', sizeof buf);
        put(fd, buf, sizeof buf);
    } else if (strcmp(path, "/api/v1/missing") == 0) {
        const char *body = "{\"errors\":[{\"message\":\"The specified resource does not exist.\"}]}";
        snprintf(head, sizeof head, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(body));
        puts_fd(fd, head);
        puts_fd(fd, body);
    } else if (strcmp(path, "/api/v1/moved") == 0) {
        puts_fd(fd, "HTTP/1.1 302 Found\r\nLocation: http://storage.example/f/1?sig=abc\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
        puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    "Connection: close\r\n\r\n{}");
    }
}

typedef struct sink_state {
    size_t got;
    int bad;          /* a byte differed from the big body */
    size_t refuse_at; /* refuse once this much arrived (0: never) */
    int calls;
} sink_state;

static int sink(void *ud, const char *data, size_t len)
{
    sink_state *s = ud;
    s->calls++;
    if (s->refuse_at && s->got + len > s->refuse_at) return -1;
    for (size_t i = 0; i < len; i++)
        if (data[i] != big_byte(s->got + i)) s->bad = 1;
    s->got += len;
    return 0;
}

static int count_sink(void *ud, const char *data, size_t len)
{
    (void)data;
    ((sink_state *)ud)->got += len;
    return 0;
}

int main(void)
{
    int port = 0;
    pid_t server = forked_server(&port, serve, 0);
    CHECK(server > 0);
    if (server <= 0) return check_report();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    lc_config cfg = { .base_url = url, .token = "t0k3n-for-tests", .max_retries = 2,
                      .backoff_base_s = 0.01, .backoff_max_s = 0.01,
                      .max_response_size = 64 << 10 };
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    CHECK(c != NULL);
    if (!c) return check_report();
    lc_response resp;
    lc_stats st0, st1;

    /* 3 MiB streamed to the sink (the client holds 64 KiB at most), exact. */
    sink_state s = {0};
    lc_request req = { .method = "GET", .path = "big", .sink = sink, .sink_ud = &s };
    CHECK(lc_perform(c, &req, &resp, &err) == 0);
    CHECK(resp.status == 200);
    CHECK(resp.body_len == 0);
    CHECK(s.got == BIG && !s.bad);
    CHECK(s.calls > 1);
    lc_response_clear(&resp);

    /* Over the download limit, announced by Content-Length: refused before the body. */
    memset(&s, 0, sizeof s);
    req.max_download_size = BIG - 1;
    CHECK(lc_perform(c, &req, &resp, &err) == -1);
    CHECK(err.kind == LC_LIMIT_EXCEEDED);
    CHECK(err.limit && strcmp(err.limit, "max_download_size") == 0);
    CHECK(err.message && strstr(err.message, "max_download_size"));
    CHECK(s.got == 0);
    lc_error_clear(&err);
    lc_response_clear(&resp);

    /* Over it while a chunked body streams: stopped as it passes it. */
    sink_state cs = {0};
    lc_request chunked = { .method = "GET", .path = "chunked", .sink = count_sink, .sink_ud = &cs,
                           .max_download_size = 100000 };
    CHECK(lc_perform(c, &chunked, &resp, &err) == -1);
    CHECK(err.kind == LC_LIMIT_EXCEEDED && err.limit && strcmp(err.limit, "max_download_size") == 0);
    CHECK(cs.got <= 100000);
    lc_error_clear(&err);
    lc_response_clear(&resp);
    /* Within it (256 KiB, over max_response_size, which does not apply). */
    memset(&cs, 0, sizeof cs);
    chunked.max_download_size = 0;
    CHECK(lc_perform(c, &chunked, &resp, &err) == 0);
    CHECK(cs.got == 64 * 4096);
    lc_response_clear(&resp);

    /* A sink that refuses: a local failure, not retried, not Canvas's. */
    memset(&s, 0, sizeof s);
    s.refuse_at = 100000;
    req.max_download_size = 0;
    lc_client_stats(c, &st0);
    CHECK(lc_perform(c, &req, &resp, &err) == -1);
    CHECK(err.kind == LC_INVALID_ARGUMENT);
    CHECK(err.message && strstr(err.message, "refused"));
    lc_client_stats(c, &st1);
    CHECK(st1.requests == st0.requests + 1);
    lc_error_clear(&err);
    lc_response_clear(&resp);

    /* Cut off after some bytes: a network error, and no retry (the bytes are out). */
    sink_state cut = {0};
    lc_request cutreq = { .method = "GET", .path = "cut", .sink = count_sink, .sink_ud = &cut };
    lc_client_stats(c, &st0);
    CHECK(lc_perform(c, &cutreq, &resp, &err) == -1);
    CHECK(err.kind == LC_NETWORK_ERROR);
    lc_client_stats(c, &st1);
    CHECK(st1.requests == st0.requests + 1);
    CHECK(cut.got == 1000);
    lc_error_clear(&err);
    lc_response_clear(&resp);
    /* Without a sink the same fault is retried (max_retries = 2). */
    lc_request plain_cut = { .method = "GET", .path = "cut" };
    lc_client_stats(c, &st0);
    CHECK(lc_perform(c, &plain_cut, &resp, &err) == -1);
    lc_client_stats(c, &st1);
    CHECK(st1.requests == st0.requests + 3);
    CHECK(err.kind == LC_NETWORK_ERROR);
    lc_error_clear(&err);
    lc_response_clear(&resp);

    /* An error answer keeps its body for the error, sink or not. */
    memset(&s, 0, sizeof s);
    lc_request missing = { .method = "GET", .path = "missing", .sink = sink, .sink_ud = &s };
    CHECK(lc_perform(c, &missing, &resp, &err) == -1);
    CHECK(err.kind == LC_RESOURCE_DOES_NOT_EXIST);
    CHECK(err.message && strcmp(err.message, "The specified resource does not exist.") == 0);
    CHECK(s.got == 0);
    lc_error_clear(&err);
    lc_response_clear(&resp);

    /* A 3xx: refused for an API request, handed back with keep_3xx. */
    lc_request moved = { .method = "GET", .path = "moved" };
    CHECK(lc_perform(c, &moved, &resp, &err) == -1);
    CHECK(err.kind == LC_INVALID_RESPONSE);
    lc_error_clear(&err);
    lc_response_clear(&resp);
    moved.keep_3xx = 1;
    CHECK(lc_perform(c, &moved, &resp, &err) == 0);
    CHECK(resp.status == 302);
    const char *loc = lc_response_header(&resp, "location");
    CHECK(loc && strcmp(loc, "http://storage.example/f/1?sig=abc") == 0);
    lc_response_clear(&resp);

    /* delay_ms holds the start. */
    lc_request later = { .method = "GET", .path = "users/self", .delay_ms = 200 };
    double t0 = now_s();
    CHECK(lc_perform(c, &later, &resp, &err) == 0);
    CHECK(now_s() - t0 >= 0.195);
    CHECK(resp.status == 200);
    lc_response_clear(&resp);

    lc_client_free(c);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    return check_report();
}
