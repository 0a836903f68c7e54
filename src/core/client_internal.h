/* Private to the core's HTTP client: the lc_client and lc_xfer structs, and
 * the functions its files call in one another. One header so that each
 * file (client.c url.c xfer.c engine.c oauth.c) can keep to its one job
 * while they share the two structs. Not installed; nothing outside
 * src/core includes it. */
#ifndef LC_CLIENT_INTERNAL_H
#define LC_CLIENT_INTERNAL_H

#include <stdint.h>
#include <curl/curl.h>

#include "lcanvas.h"
#include "buf.h"

#include "lc_internal.h"

/* X_AWAIT_TOKEN: held (in the active list) until the OAuth2 refresh in
 * flight ends; then it goes back to X_WAITING or fails with the refresh. */
enum { X_NEW, X_WAITING, X_RUNNING, X_AWAIT_TOKEN, X_DONE };

struct lc_xfer {
    lc_client *c;
    char *method, *url, *body;
    size_t body_len;
    struct curl_slist *headers;
    struct curl_slist *auth_node; /* the Authorization line, linked in front of `headers` */
    uint64_t token_gen;          /* the client's token generation the last attempt sent */
    int token_retried;           /* already retried once after a token refresh */
    int is_refresh;              /* the client's own OAuth2 refresh transfer */
    int no_retry, raw_url, state, attempt, failed;
    int shared_hl;               /* headers is the client's fixed_hl, not ours */
    int plain_get;               /* this attempt set no per-method option: no reset needed */
    int throttled;               /* throttled answers so far (own retry budget) */
    int popped;                  /* taken off the done queue by lc_client_next_done */
    const char *over_limit;      /* the limit this attempt broke (aborted by a callback) */
    size_t hdr_bytes;            /* header bytes received by this attempt */
    double held;                 /* seconds of retry waits so far, in all */
    int abandoned;               /* nobody wants the answer: freed when it ends */
    int is_timer;                /* lc_timer_new: sends nothing, done at not_before */
    int keep_3xx;                /* a 3xx is the answer, not an error */
    double delay;                /* seconds from submit to the first start */
    int (*sink)(void *, const char *, size_t);  /* 2xx body goes here (a download) */
    void *sink_ud;
    uint64_t max_sink, sunk;     /* its limit, and bytes handed to it */
    int sinking;                 /* this attempt's body goes to the sink (2xx) */
    int sink_failed;             /* the sink refused: a local write error */
    char **form;                 /* name, value pairs, NULL-terminated */
    char *upload_file, *upload_field, *upload_name, *upload_type;
    curl_mime *mime;
    double not_before, started;
    double deadline;             /* a running attempt fails as Timeout at this time */
    CURL *easy;
    lc_buf rbody;
    lc_header *hdrs;             /* this attempt's answer headers, pointing into hbuf */
    size_t nhdrs, caphdrs;
    lc_buf hbuf;                 /* name\0value\0 of every header, in order */
    lc_response resp;
    lc_error err;
    void *ud;
    lc_xfer *prev, *next;        /* the client's active list */
    lc_xfer *done_next;          /* the client's finished queue */
    char errbuf[CURL_ERROR_SIZE];
};

struct lc_client {
    char *base, *api, *origin;
    char *auth_header, *ua_header, *accept_header;
    lc_auth_scheme auth;
    /* OAuth2 refresh. The secrets live here and in the refresh transfer's
     * body only; both are wiped when freed. */
    char *token;                 /* current access token (NULL until the first refresh) */
    char *rf_client_id, *rf_secret, *rf_token;
    lc_xfer *refresh_x;          /* the refresh in flight, or NULL */
    uint64_t token_gen;          /* bumped by every new token */
    double token_expires, token_expires_wall, token_margin; /* 0: unknown */
    int refresh_dead;            /* the server refused the refresh token: stop asking */
    lc_kind rf_fail_kind;        /* why the last refresh failed (no secrets in it) */
    long rf_fail_status;
    char *rf_fail_msg, *rf_fail_body;
    char *rf_url;                /* <base>/login/oauth2/token */
    char *ca_file, *as_user_id;
    /* The proxy libcurl would pick from the environment for the origin's
     * scheme, and no_proxy: "" for none. Read once; see proxy_from_env(). */
    char *proxy, *noproxy;
    long timeout_ms, connect_timeout_ms;
    int max_retries, per_page;
    double backoff_base, backoff_max, low_water;
    size_t max_response;         /* bytes of one decoded answer body */
    uint64_t max_download;       /* bytes of a body streamed to a sink */
    double rate_max_wait, rate_max_remaining;
    void (*on_log)(void *, const lc_log_entry *);
    void *log_ud;
    CURLM *multi;
    CURL **pool;                 /* idle easy handles, client options already set */
    size_t npool, cappool;
    struct curl_slist *fixed_hl; /* User-Agent, Accept, Expect: shared by bodyless requests */
    /* The current Authorization line in front of fixed_hl, for bodyless
     * requests; the lists of earlier tokens stay (wiped at the end) since
     * an easy handle may still point at one. */
    struct curl_slist *auth_hl, **retired_hl;
    size_t nretired_hl;
    uint64_t auth_hl_gen;
    lc_xfer *active, *active_tail;  /* in submission order: first come, first started */
    lc_xfer *done_head, *done_tail;
    int nrunning, nactive;
    double rl_remaining, rl_cost, rl_time;
    int rl_known;
    uint64_t nstarted, rl_started; /* attempts started, in total and by the last report */
    uint64_t rng;
    lc_stats stats;
    /* The sockets libcurl asked to watch (engine.c), the deadline of its
     * timer (monotonic s, < 0: none) and, once a host asked for one, an
     * epoll descriptor mirroring the sockets. */
    lc_socket *socks;
    size_t nsocks, capsocks;
    double curl_deadline;
    int epfd, has_epfd;
};

/* ---- str.c: lc_xstrdup, lc_xstrndup, lc_wipe_free, lc_has_control_char */
#include "lc_str.h"

/* ---- secrets.c: the Authorization line of a token, and keeping secrets
 * out of what is printed */
LC_INTERNAL char *lc_make_auth_header(lc_auth_scheme auth, const char *token);
/* Replaces, in place, every occurrence of the client's secrets (access
 * token, refresh token, client secret; 8 bytes or longer) in s[0..len) by
 * '*'. For anything the server sent back that reaches an error or a log. */
LC_INTERNAL void lc_scrub_secrets(const lc_client *c, char *s, size_t len);

/* A copy of s[0..len) with each secret replaced by "[REDACTED]" (for the
 * log); NULL when out of memory. */
LC_INTERNAL char *lc_redact_dup(const lc_client *c, const char *s, size_t len, size_t *out_len);

/* ---- url.c */
typedef struct lc_origin {
    char *scheme, *host;   /* lower case; curl_free'd by lc_origin_free */
    long port;             /* the scheme's default filled in */
} lc_origin;
LC_INTERNAL int  lc_origin_parse(const char *url, lc_origin *o, char **path_out);
LC_INTERNAL void lc_origin_free(lc_origin *o);
/* Is the URL's host loopback (localhost, 127.0.0.0/8, [::1])? */
LC_INTERNAL int  lc_url_is_loopback(const char *url);
/* Trims and checks a configured base URL. 1 with *trimmed (no trailing
 * slash) and *origin ("scheme://host[:port]") malloc'd; 0 with err set. */
LC_INTERNAL int  lc_base_url_check(const char *base_url, int allow_insecure,
                                   char **trimmed, char **origin, lc_error *err);
/* `ref` resolved against the absolute URL `base` (RFC 3986, 5.2), as a
 * malloc'd string; NULL when either does not parse. */
LC_INTERNAL char *lc_url_resolve(const char *base, const char *ref);
/* The full URL of a request: API root, query, per_page and as_user_id. */
LC_INTERNAL int  lc_build_url(const lc_client *c, const lc_request *req, lc_buf *b,
                              lc_error *err);

/* ---- xfer.c and response.c: one transfer's curl easy handle and its answer */
LC_INTERNAL const char *lc_find_header(const lc_header *h, size_t n, const char *name);
LC_INTERNAL void lc_headers_free(lc_header *h, size_t n);
/* response.c: points the name/value pairs of h into the block holding
 * them (after the block moved or was copied). */
LC_INTERNAL void lc_headers_point(lc_header *h, size_t n, char *block);
/* Readies x->easy for the next attempt (1), or 0 when out of memory. */
LC_INTERNAL int  lc_xfer_prepare(lc_xfer *x);
/* Gives the easy handle back to the client's pool, drops the mime form. */
LC_INTERNAL void lc_xfer_release_easy(lc_xfer *x);
LC_INTERNAL void lc_xfer_free_auth_lists(lc_client *c);  /* at client free */
/* Moves the attempt's body and headers into x->resp. */
LC_INTERNAL void lc_xfer_take_response(lc_xfer *x, long status);
/* x->err from an HTTP error answer: message, body, report id, headers. */
LC_INTERNAL void lc_xfer_fill_http_error(lc_xfer *x, long status, lc_kind kind);

/* Headers of one answer, in all: libcurl refuses one line over 100 KiB
 * and (7.88) 300 KiB in all; ours holds whatever libcurl version. */
#define LC_MAX_HEADER_BYTES ((size_t)256 << 10)


/* ---- engine.c, loop.c (setup, teardown) */
LC_INTERNAL double lc_now_s(void);                        /* the monotonic clock */
/* Takes x off the active list into the done queue (or frees it). */
LC_INTERNAL void lc_engine_finish(lc_xfer *x);
/* Takes x out of the multi handle, the active list and the done queue. */
LC_INTERNAL void lc_engine_forget(lc_xfer *x);
/* Hooks libcurl's socket and timer callbacks to the client (lc_client_new),
 * and releases what they keep (lc_client_free, after the multi cleanup). */
LC_INTERNAL void lc_engine_setup(lc_client *c);
/* engine.c for loop.c: start the transfers that are due (returns how many
 * finished instead: timers, failed starts), collect the finished ones
 * (returns how many finished), the rate gate's delay. */
LC_INTERNAL int    lc_engine_start_due(lc_client *c, double now);
LC_INTERNAL int    lc_engine_collect(lc_client *c);
/* Ends every running attempt past its deadline as Timeout; how many finished. */
LC_INTERNAL int    lc_engine_expire(lc_client *c, double now);
LC_INTERNAL double lc_engine_gate_delay(const lc_client *c, double now);
LC_INTERNAL void lc_engine_teardown(lc_client *c);

/* ---- oauth.c */
/* 1 when x may start now; 0 when it waits for a refresh or has failed. */
LC_INTERNAL int  lc_oauth_token_ready(lc_client *c, lc_xfer *x, double now);
/* The refresh transfer x ended: take its token or fail the waiters. */
LC_INTERNAL void lc_oauth_refresh_finished(lc_client *c, lc_xfer *x);
/* After an InvalidAccessToken answer: 0 when x now waits to retry with a new
 * token, 1 when it failed with the refresh's error, -1 when the ordinary
 * retry policy decides. */
LC_INTERNAL int  lc_oauth_after_invalid_token(lc_client *c, lc_xfer *x, double now);

/* ---- interrupt.c */
/* The pipe that is readable once lc_interrupt() ran, or -1 before
 * lc_interrupt_init(). */
LC_INTERNAL int  lc_interrupt_fd(void);
/* engine.c: ends every transfer of c as Interrupted; how many finished. */
LC_INTERNAL int  lc_engine_interrupt_all(lc_client *c);

#endif
