/* The new access token must not linger in memory the core frees: an OAuth
 * refresh runs against a small HTTP server in a child process, and every
 * block the core frees meanwhile is searched for the token first. free is
 * wrapped for this program only (-Wl,--wrap=free in CMakeLists.txt), so the
 * core's calls reach __wrap_free; libcurl's own (a shared library) do not. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "forked_server.h"
#include "lcanvas.h"

/* 48 distinct characters, so that a byte of a block names the one place in
 * the token it could continue from (see scan). */
#define SECRET "Qz7Kx2Wm9Vb4Nc6Lp8Jr3Hf5Dg0Sa1TyEuRiOoPhGjFkMnBw"
#define OLD_TOKEN "expired-access-token"
/* A leaked piece this long counts: the scratch copy of a parse, say, keeps
 * the token's tail once shorter strings overwrote its head. */
#define FRAG 12

void __real_free(void *p);
void __wrap_free(void *p);

static int watching;          /* scan only while the refresh runs */
static size_t freed_blocks;   /* blocks freed while watching */
static size_t secret_blocks;  /* of those, holding a piece of SECRET */
static size_t last_hit_size;
static long secret_pos[256];  /* byte -> its index in SECRET, or -1 */

/* Does the block hold FRAG bytes of SECRET in a row? */
static int scan(const unsigned char *p, size_t n)
{
    const size_t k = sizeof SECRET - 1;
    for (size_t i = 0; i + FRAG <= n; i++) {
        long j = secret_pos[p[i]];
        if (j >= 0 && (size_t)j + FRAG <= k && memcmp(p + i, SECRET + j, FRAG) == 0) return 1;
    }
    return 0;
}

void __wrap_free(void *p)
{
    if (p && watching) {
        size_t n = malloc_usable_size(p);
        freed_blocks++;
        if (scan(p, n)) {
            secret_blocks++;
            last_hit_size = n;
        }
    }
    __real_free(p);
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void answer(int fd, const char *status, const char *extra, const char *body)
{
    char head[512];
    snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%s"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, extra, strlen(body));
    put(fd, head);
    put(fd, body);
}

/* Value of header `name` (with its ": ") in the request head, up to CR. */
static void header_value(const char *req, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    const char *h = strstr(req, name);
    if (!h) return;
    h += strlen(name);
    size_t n = strcspn(h, "\r\n");
    if (n >= cap) n = cap - 1;
    memcpy(out, h, n);
    out[n] = '\0';
}

/* One request per connection. The Authorization header of every API
 * request goes to `seen` (a line each), for the parent to check. */
static void serve(int fd, int seen)
{
    char req[8192];
    size_t n = 0;
    char *end = NULL;
    while (n < sizeof req - 1 && !end) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = '\0';
        end = strstr(req, "\r\n\r\n");
    }
    if (!end) return;
    char path[256] = "", len[32], auth[256];
    sscanf(req, "%*s %255s", path);
    header_value(req, "\nContent-Length: ", len, sizeof len);
    /* Read the whole form: closing on unread bytes would reset the answer. */
    size_t want = (size_t)(end + 4 - req) + (size_t)strtoul(len, NULL, 10);
    while (n < want && n < sizeof req - 1) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0) return;
        n += (size_t)r;
        req[n] = '\0';
    }
    if (strcmp(path, "/login/oauth2/token") == 0) {
        if (!strstr(req, "grant_type=refresh_token") || !strstr(req, "refresh_token=rf-tok3n-for-tests")) {
            answer(fd, "400 Bad Request", "", "{\"error\":\"invalid_request\"}");
            return;
        }
        /* Canvas's shape; the token first, so later strings overwrite the
         * parser's scratch copy of its head only. */
        answer(fd, "200 OK", "",
               "{\"access_token\":\"" SECRET "\",\"token_type\":\"Bearer\","
               "\"user\":{\"id\":42,\"name\":\"Jimi Hendrix\"},\"expires_in\":3600}");
        return;
    }
    header_value(req, "\nAuthorization: ", auth, sizeof auth);
    char line[300];
    snprintf(line, sizeof line, "%s\n", auth);
    put(seen, line);
    if (strcmp(auth, "Bearer " SECRET) == 0)
        answer(fd, "200 OK", "", "{\"id\":1,\"name\":\"Self\"}");
    else
        answer(fd, "401 Unauthorized", "WWW-Authenticate: Bearer realm=\"canvas-lms\"\r\n",
               "{\"errors\":[{\"message\":\"Invalid access token.\"}]}");
}

/* What the server wrote to the pipe so far (it has answered already). */
static void read_seen(int fd, char *out, size_t cap)
{
    size_t n = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (n < cap - 1 && poll(&p, 1, 200) > 0) {
        ssize_t r = read(fd, out + n, cap - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    out[n] = '\0';
}

int main(void)
{
    for (size_t i = 0; i < 256; i++) secret_pos[i] = -1;
    for (size_t i = 0; i < sizeof SECRET - 1; i++) secret_pos[(unsigned char)SECRET[i]] = (long)i;

    /* The wrap is live, for the core's frees too (lc_free is the core's):
     * without this the checks below could pass with free not wrapped. */
    char *probe = malloc(64);
    CHECK(probe != NULL);
    if (!probe) return check_report();
    snprintf(probe, 64, "x%sx", SECRET + 10);
    watching = 1;
    lc_free(probe);
    watching = 0;
    CHECK(freed_blocks == 1 && secret_blocks == 1);
    freed_blocks = secret_blocks = 0;

    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    int port = 0;
    pid_t server = forked_server(&port, serve, pipefd[1]);
    CHECK(server > 0);
    if (server <= 0) return check_report();
    close(pipefd[1]);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    lc_config cfg = { .base_url = url, .token = OLD_TOKEN, .max_retries = 0,
                      .refresh_client_id = "10000000000001",
                      .refresh_client_secret = "client-s3cret-for-tests",
                      .refresh_token = "rf-tok3n-for-tests" };
    lc_error err;
    lc_error_init(&err);
    lc_client *c = lc_client_new(&cfg, &err);
    CHECK(c != NULL);
    if (!c) return check_report();

    /* The old token gets a 401 + WWW-Authenticate: the client refreshes and
     * retries once, all inside this one call. */
    lc_response resp;
    lc_request req = { .method = "GET", .path = "users/self" };
    watching = 1;
    int rc = lc_perform(c, &req, &resp, &err);
    watching = 0;
    CHECK(rc == 0);
    CHECK(resp.status == 200);
    if (rc != 0) fprintf(stderr, "    error: %s\n", err.message ? err.message : "(none)");
    lc_stats st;
    lc_client_stats(c, &st);
    CHECK(st.token_refreshes == 1);
    char seen[1024];
    read_seen(pipefd[0], seen, sizeof seen);
    CHECK(strcmp(seen, "Bearer " OLD_TOKEN "\nBearer " SECRET "\n") == 0);
    /* The refresh freed blocks (the answer, its decoded tree, the
     * transfer), and none still held the token. */
    CHECK(freed_blocks > 0);
    CHECK(secret_blocks == 0);
    if (secret_blocks)
        fprintf(stderr, "    %zu freed block(s) held the token (the last %zu bytes)\n",
                secret_blocks, last_hit_size);
    lc_response_clear(&resp);
    lc_error_clear(&err);

    /* The client's own copies (token, Authorization line) go wiped too. */
    freed_blocks = secret_blocks = 0;
    watching = 1;
    lc_client_free(c);
    watching = 0;
    CHECK(freed_blocks > 0);
    CHECK(secret_blocks == 0);
    close(pipefd[0]);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    return check_report();
}
