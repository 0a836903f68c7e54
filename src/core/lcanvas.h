/* lcanvas: the Lua-free C core of the Canvas LMS client.
 *
 * A program without Lua links liblcanvas and uses this header alone:
 * create a client, make requests (blocking, or several at once through the
 * transfer API, which is what the Lua scheduler drives), read JSON, follow
 * pagination, and get classified errors. */
#ifndef LCANVAS_H
#define LCANVAS_H

#include <stddef.h>
#include <stdint.h>
#include "lcanvas_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum lc_kind {
    LC_OK = 0,
    LC_BAD_REQUEST,          /* 400 */
    LC_INVALID_ACCESS_TOKEN, /* 401 with WWW-Authenticate */
    LC_UNAUTHORIZED,         /* 401 without it */
    LC_RATE_LIMIT_EXCEEDED,  /* 429, or 403 "Rate Limit Exceeded" */
    LC_FORBIDDEN,            /* any other 403 */
    LC_RESOURCE_DOES_NOT_EXIST, /* 404 */
    LC_CONFLICT,             /* 409 */
    LC_UNPROCESSABLE_ENTITY, /* 422 */
    LC_CANVAS_EXCEPTION,     /* any other status >= 400 */
    LC_NETWORK_ERROR,        /* refused, reset, DNS, TLS */
    LC_TIMEOUT,
    LC_INVALID_RESPONSE,     /* a 2xx body that cannot be understood */
    LC_REQUIRED_FIELD_MISSING, /* caller-side validation, before any request */
    LC_FOREIGN_ORIGIN,       /* a server-supplied URL on another origin */
    LC_INVALID_ARGUMENT,     /* bad configuration or request from the caller */
    LC_OUT_OF_MEMORY,
    LC_INTERRUPTED,          /* stopped by lc_interrupt() (SIGINT, SIGTERM) */
    LC_LIMIT_EXCEEDED,       /* one of the client's limits (lc_error.limit names it) */
    LC_KIND_COUNT
} lc_kind;

/* The name users see ("ResourceDoesNotExist", "NetworkError", ...). */
const char *lc_kind_name(lc_kind kind);
/* Kind classification of an HTTP answer (LC_OK for status < 400). */
lc_kind lc_classify(long status, int has_www_authenticate, const char *body, size_t body_len);

typedef struct lc_header {
    char *name;   /* as received */
    char *value;
} lc_header;
/* The names and values of one header set live in one block, which starts
 * at headers[0].name (freed with the set). */

typedef struct lc_error {
    lc_kind kind;
    long    status;          /* 0 when no HTTP answer */
    char   *message;         /* human text, never the token */
    char   *method;
    char   *url;             /* never carries the token */
    char   *body;            /* raw answer body, may be NULL */
    size_t  body_len;
    char   *error_report_id; /* from the body, when Canvas sent one */
    lc_header *headers;
    size_t  nheaders;
    const char *limit;       /* LC_LIMIT_EXCEEDED: the option's name
                                ("max_response_size", ...); static, not freed */
} lc_error;

void lc_error_init(lc_error *e);
void lc_error_clear(lc_error *e);                       /* frees members, back to LC_OK */
/* Sets kind and a printf-style message (replacing any previous one). */
void lc_error_set(lc_error *e, lc_kind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Best human message from a Canvas error body: errors[0].message, errors
 * (a string), errors.<field>[0].message, message, or a short text body.
 * Returns malloc'd text or NULL. */
char *lc_error_message_from_body(const char *body, size_t len);

/* ---------------------------------------------------------------- client */

typedef enum lc_auth_scheme {
    LC_AUTH_BEARER = 0,       /* Canvas: Authorization: Bearer <token> */
    LC_AUTH_CATALOG_TOKEN     /* Catalog: Authorization: Token token="<key>" */
} lc_auth_scheme;

typedef struct lc_log_entry {
    const char *method;
    const char *url;          /* without the token (it never is in a URL) */
    long        status;       /* 0 when the transfer failed */
    lc_kind     kind;
    double      elapsed_ms;
    double      rate_remaining; /* NaN when the server sent none */
    int         attempt;      /* 0 for the first try */
    const char *request_body; size_t request_body_len;
    const char *response_body; size_t response_body_len;
} lc_log_entry;

typedef struct lc_config {
    const char *base_url;        /* "https://canvas.example.edu"; no /api/v1 */
    const char *token;
    lc_auth_scheme auth;
    const char *user_agent;      /* NULL: "lcanvas/<version>" */
    const char *ca_file;         /* extra CA bundle; verification is always on */
    const char *as_user_id;      /* masquerade every request */
    const char *api_prefix;      /* NULL: "api/v1/" */
    long   timeout_ms;           /* whole request; 0: 60000 */
    long   connect_timeout_ms;   /* 0: 10000 */
    int    allow_insecure;       /* permit http:// to a non-loopback host */
    int    max_retries;          /* < 0: default 3 */
    int    per_page;             /* list default; 0: 100 */
    int    string_ids;           /* send Accept: application/json+canvas-string-ids */
    double backoff_base_s;       /* first retry delay; 0: 0.5 s */
    double backoff_max_s;        /* 0: 30 s */
    double rate_low_water;       /* slow down below this remaining; 0: 100 */
    /* Limits against a hostile or broken server; each exceeded one fails the
     * request with LC_LIMIT_EXCEEDED naming it. */
    size_t max_response_size;    /* bytes of one answer's body after decoding
                                    (gzip/deflate), 0: LC_DEFAULT_MAX_RESPONSE */
    double rate_max_wait;        /* seconds of retry waits (Retry-After or
                                    backoff) one request may spend in all; a
                                    Retry-After above it fails at once; 0: 600 */
    double rate_max_remaining;   /* X-Rate-Limit-Remaining believed at most this
                                    (below 0 reads as 0); 0: 1e6 */
    uint64_t max_download_size;  /* bytes of a body streamed to a sink (a
                                    download), 0: LC_DEFAULT_MAX_DOWNLOAD */
    void (*on_log)(void *ud, const lc_log_entry *entry);
    void  *log_ud;
    /* OAuth2 refresh (Bearer auth only; all three or none). With them an
     * answer 401 + WWW-Authenticate makes the client POST
     * <base>/login/oauth2/token (grant_type=refresh_token) once, take the
     * new access token and retry the request once; every transfer that
     * failed or would start meanwhile waits for that one refresh. `token`
     * may then be NULL: the first request refreshes first. When the token
     * endpoint said when the token expires, it is refreshed shortly before. */
    const char *refresh_client_id;
    const char *refresh_client_secret;
    const char *refresh_token;
} lc_config;

#define LC_DEFAULT_MAX_RESPONSE ((size_t)64 << 20)   /* 64 MiB */
#define LC_DEFAULT_MAX_DOWNLOAD ((uint64_t)16 << 30) /* 16 GiB */

typedef struct lc_client lc_client;

/* NULL on error, with `err` saying why (LC_INVALID_ARGUMENT, LC_OUT_OF_MEMORY). */
lc_client *lc_client_new(const lc_config *cfg, lc_error *err);
/* A client with no origin and no token, for timers only (lc_timer_new): a
 * program that wants the engine's waits (interruptible by lc_interrupt,
 * drivable from a host loop) without talking to a Canvas. lc_xfer_new
 * refuses requests on it. */
lc_client *lc_clock_new(lc_error *err);
void       lc_client_free(lc_client *c);
const char *lc_client_base_url(const lc_client *c);     /* normalised, ends with '/' */
const char *lc_client_api_url(const lc_client *c);      /* base + "api/v1/" */
/* Last X-Rate-Limit-Remaining / X-Request-Cost seen (NaN before any). */
void lc_client_rate_limit(const lc_client *c, double *remaining, double *cost);
/* Counters for observability and tests. */
typedef struct lc_stats {
    uint64_t requests;        /* HTTP attempts sent */
    uint64_t retries;
    uint64_t throttle_waits;  /* starts delayed because the bucket ran low */
    double   throttle_wait_s;
    uint64_t token_refreshes; /* OAuth2 refreshes sent */
} lc_stats;
void lc_client_stats(const lc_client *c, lc_stats *out);
/* When the current access token expires (seconds since the epoch), as the
 * last OAuth2 refresh said; 0 when unknown (no refresh yet, or no expires_in). */
double lc_client_token_expires_at(const lc_client *c);
/* A copy of s[0..len) (NUL-terminated, length in *out_len) with every
 * secret the client holds now (access token, also one refreshed since;
 * refresh token; client secret) replaced by "[REDACTED]", for printing
 * what would be sent. NULL when out of memory. Free with lc_free. */
char *lc_client_redact(const lc_client *c, const char *s, size_t len, size_t *out_len);
/* True when `url` is on the client's origin (scheme, host, port). */
int lc_client_same_origin(const lc_client *c, const char *url);

/* The origin "scheme://host:port" of an absolute http:// or https:// URL:
 * scheme and host lower case, user info dropped, the port always written
 * (the scheme's default, 80 or 443, when the URL has none), e.g.
 * "HTTPS://User@Files.Example.com/a?b" -> "https://files.example.com:443".
 * NULL for anything else (a relative URL, another scheme, no host), with
 * `err` (may be NULL) saying why. Free the result with lc_free. */
char *lc_url_origin(const char *url, lc_error *err);
/* Frees memory the core handed to the caller (lc_url_origin's result). */
void  lc_free(void *p);

/* ------------------------------------------------ parameters and paths */

typedef struct lc_value lc_value;   /* the JSON value tree, <lcanvas/value.h> */

/* Rails parameters, as every request encodes them: an LC_T_OBJECT becomes
 * "user[name]=Jo&include[]=a&include[]=b" (keys sorted, form-escaped;
 * null and empty tables send nothing). Free with lc_free; NULL with `err`
 * (may be NULL) for anything but an object. */
char *lc_encode_params(const lc_value *params, lc_error *err);
/* One path segment (an id, "sis_user_id:X", a name): everything but
 * A-Z a-z 0-9 - _ ~ : is percent-encoded, '/' and '.' included
 * ("sis_user_id:CS/101.1" -> "sis_user_id:CS%2F101%2E1"). Free with
 * lc_free; NULL when out of memory. */
char *lc_encode_segment(const char *s, size_t len);
/* A path of segments: each part between '/' encoded as by
 * lc_encode_segment ("users/a b" -> "users/a%20b"). */
char *lc_encode_path(const char *path);
/* 1 when `path` may go into a request as it is; 0 (err: LC_INVALID_ARGUMENT
 * naming the byte and the escaped form) when it holds a byte no URL may
 * hold unescaped: a space, a control character, non-ASCII, " < > \ ^ ` { | } #.
 * A request's relative path is checked so, and refused before anything is
 * sent: lcanvas never guesses which characters were meant literally. */
int   lc_path_check(const char *path, lc_error *err);

/* ---------------------------------------------------------------- requests */

typedef struct lc_request {
    const char *method;        /* "GET", "POST", "PUT", "DELETE" */
    const char *path;          /* relative to the API root ("users/5"), already
                                  escaped (lc_encode_path; see lc_path_check),
                                  or an absolute URL on the client's origin */
    const char *query;         /* encoded "a=1&b[]=2" or NULL; appended */
    const char *body;          /* request body or NULL */
    size_t      body_len;
    const char *content_type;  /* NULL with a body: form-urlencoded */
    int         is_list;       /* add per_page unless the query has one */
    int         no_retry;      /* never retry (e.g. upload steps) */
    int         raw_url;       /* `path` is an absolute URL that gets no token
                                  (e.g. an upload_url on another host) */
    const char *extra_headers; /* "Name: value\n..." or NULL */
    const char *const *form_fields; /* with upload_file: name, value, ..., NULL,
                                  sent unchanged before the file part */
    const char *upload_file;   /* stream a multipart form with this file last */
    const char *upload_field;  /* the file part's field name ("file") */
    const char *upload_name;   /* the file name sent */
    const char *upload_type;   /* the part's content type or NULL */
    long        delay_ms;      /* start no earlier than this long after
                                  lc_xfer_submit (polling a job, say) */
    int         keep_3xx;      /* a 3xx answer is the result, its Location
                                  for the caller to follow (with or without
                                  the token, as it decides); raw_url implies it */
    /* Streaming a download: a 2xx answer's body goes to `sink` piece by
     * piece instead of into the response (any other answer is kept, for its
     * error). sink returns 0 to go on, anything else stops the transfer
     * (LC_INVALID_ARGUMENT, "the download's destination refused the data").
     * The body may have max_download_size bytes (this request's if set,
     * else the client's; LC_LIMIT_EXCEEDED "max_download_size" past it).
     * The request timeout then counts from the last byte received, not from
     * the start, and a transfer whose sink got bytes is never retried. */
    int       (*sink)(void *ud, const char *data, size_t len);
    void       *sink_ud;
    uint64_t    max_download_size;
} lc_request;

typedef struct lc_response {
    long       status;
    char      *body;
    size_t     body_len;
    lc_header *headers;
    size_t     nheaders;
    char      *url;            /* the URL requested */
} lc_response;

void        lc_response_init(lc_response *r);
void        lc_response_clear(lc_response *r);
/* Case-insensitive header lookup; the last one wins. NULL if absent. */
const char *lc_response_header(const lc_response *r, const char *name);
/* The rel="next" URL of the Link header (malloc'd) or NULL. */
char       *lc_response_next_url(const lc_response *r);

/* Blocking request with retries. 0 on a 2xx answer (response filled), and
 * on a 3xx only for a raw_url or keep_3xx request (redirects are never
 * followed; to an API request a 3xx is LC_INVALID_RESPONSE); -1 otherwise
 * (error filled; response holds what arrived). */
int lc_perform(lc_client *c, const lc_request *req, lc_response *resp, lc_error *err);

/* -------------------------------------------- transfers (many at once) */

typedef struct lc_xfer lc_xfer;

/* Prepares a transfer (copies everything it needs from `req`).
 * NULL with `err` filled when the request is refused up front. */
lc_xfer *lc_xfer_new(lc_client *c, const lc_request *req, lc_error *err);
/* Queues it; it starts as soon as the rate gate allows. */
void     lc_xfer_submit(lc_xfer *x);
/* Drives every queued transfer: waits up to `max_wait_ms` for progress.
 * Returns how many transfers finished (completed, with retries exhausted or
 * a final answer) during the call, or -1 on an internal error. */
int      lc_client_run(lc_client *c, long max_wait_ms);
/* Number of transfers queued, waiting for a retry, or running. */
int      lc_client_pending(const lc_client *c);
/* Pops a finished transfer (in completion order), or NULL. */
lc_xfer *lc_client_next_done(lc_client *c);
int      lc_xfer_done(const lc_xfer *x);
/* 0 when the answer was 2xx (3xx: raw_url or keep_3xx only; a timer: status 0);
 * -1 with the error otherwise. The response
 * and error stay owned by the transfer. */
int      lc_xfer_result(lc_xfer *x, lc_response **resp, lc_error **err);
void    *lc_xfer_userdata(const lc_xfer *x);
void     lc_xfer_set_userdata(lc_xfer *x, void *ud);
/* Bytes the running answer announced (Content-Length), -1 when unknown;
 * and bytes handed to the request's sink so far. */
int64_t  lc_xfer_expected_size(const lc_xfer *x);
uint64_t lc_xfer_sunk(const lc_xfer *x);
/* A transfer that sends nothing and finishes, successfully and with no
 * answer (status 0), delay_ms after lc_xfer_submit: the engine's clock. It
 * is driven, polled, interrupted (LC_INTERRUPTED) and freed like any
 * transfer, and never waits for the rate gate. */
lc_xfer *lc_timer_new(lc_client *c, long delay_ms, lc_error *err);
/* Cancels if still running and frees. */
void     lc_xfer_free(lc_xfer *x);
/* Gives the transfer up: frees it now unless it is running, in which case
 * it finishes in the background (no retries) and the engine frees it. */
void     lc_xfer_abandon(lc_xfer *x);

/* -------------------------------------------- stopping on a signal */

/* Makes lc_interrupt() wake the engine at once (a pipe polled with the
 * sockets). Call it once before installing the signal handlers; 0 or -1. */
int      lc_interrupt_init(void);
/* Async-signal-safe: every transfer of every client fails as
 * LC_INTERRUPTED at its next step (waits included), and so does every later
 * one until lc_interrupt_clear(). */
void     lc_interrupt(void);
int      lc_interrupted(void);
void     lc_interrupt_clear(void);

/* ------------------------------------- driving from the host's own loop
 *
 * lc_client_run blocks in poll(2) for up to its limit. A program with its
 * own event loop (poll, epoll, libuv, cqueues ...) instead watches the
 * client's sockets itself and calls in when one is ready or the timeout
 * expired; nothing here blocks:
 *
 *   n = lc_client_sockets(c, socks, 16);      -- fds and LC_POLL_IN/OUT wanted
 *   t = lc_client_timeout_ms(c);              -- -1: no timer, 0: call now
 *   ... poll(own fds + socks, min(t, own timers)) ...
 *   lc_client_socket_action(c, fd, revents);  -- for each ready socket
 *   lc_client_socket_action(c, LC_SOCKET_TIMEOUT, 0);  -- when t expired
 *   while ((x = lc_client_next_done(c))) ...  -- finished transfers
 *
 * Built on libcurl's socket interface: the set changes as connections open
 * and close, so read it again after each call. A loop that registers
 * descriptors once can use lc_client_pollfd instead: one descriptor,
 * readable whenever a socket of the client is ready; then lc_client_step. */

enum { LC_POLL_IN = 1, LC_POLL_OUT = 2, LC_POLL_ERR = 4 };
#define LC_SOCKET_TIMEOUT (-1)

typedef struct lc_socket {
    int fd;
    int events;               /* LC_POLL_IN | LC_POLL_OUT: what to wait for */
} lc_socket;

/* Copies up to `max` watched sockets into `out`; returns how many there are
 * (which may exceed `max`). */
size_t lc_client_sockets(const lc_client *c, lc_socket *out, size_t max);
/* Milliseconds until the client must be called even if no socket is ready
 * (libcurl's timers, retry backoff, queued requests): -1 when only socket
 * activity matters, 0 when a call is due now. */
long   lc_client_timeout_ms(const lc_client *c);
/* Acts on `fd` being ready for `events` (LC_POLL_* bits; 0: let libcurl
 * find out), or on the timeout with LC_SOCKET_TIMEOUT; also starts queued
 * transfers that are due. Returns how many transfers finished (see
 * lc_client_next_done), -1 on an internal error. Never blocks. When
 * several sockets are ready at once, lc_client_step handles them in one
 * round, which keeps the rate estimate exact. */
int    lc_client_socket_action(lc_client *c, int fd, int events);
/* One non-blocking round: checks every watched socket itself, then acts
 * as lc_client_socket_action does. */
int    lc_client_step(lc_client *c);
/* A single descriptor (Linux epoll) that is readable whenever one of the
 * client's sockets is ready; register it for reading and call
 * lc_client_step when it is, or when lc_client_timeout_ms expires. Owned by
 * the client (closed by lc_client_free). -1 where it cannot be made. */
int    lc_client_pollfd(lc_client *c);

#ifdef __cplusplus
}
#endif
#endif
