/* The client's secrets (access token, refresh token, client secret) and
 * everything that keeps them out of sight: the Authorization line they go
 * into, scrubbing them from what a server sent back before it reaches an
 * error, and redacting them from what a log or a dry run prints. One file,
 * so that every place a secret could leak from is read in one sitting. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "client_internal.h"

/* A secret of 8 bytes or more is found wherever it appears. A shorter one
 * (a test token, a short client secret) is found only as a whole token:
 * not inside a longer run of token characters, so that a 3-byte secret
 * does not blank every word that contains those 3 letters. */
#define MIN_SECRET 8

static int token_char(char ch)
{
    unsigned char c = (unsigned char)ch;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' ||
           c >= 0x80;
}

/* Length of the secret at s[i] (0: none there). */
static size_t secret_at(const char *s, size_t len, size_t i, const char *secret)
{
    size_t k = secret ? strlen(secret) : 0;
    if (!k || len - i < k || s[i] != secret[0] || memcmp(s + i, secret, k) != 0) return 0;
    if (k >= MIN_SECRET) return k;
    if ((i > 0 && token_char(s[i - 1])) || (i + k < len && token_char(s[i + k]))) return 0;
    return k;
}

static void mask_all(char *s, size_t len, const char *secret)
{
    if (!s || !secret || !*secret) return;
    for (size_t i = 0; i < len; i++) {
        size_t k = secret_at(s, len, i, secret);
        if (k) {
            memset(s + i, '*', k);
            i += k - 1;
        }
    }
}

void lc_scrub_secrets(const lc_client *c, char *s, size_t len)
{
    mask_all(s, len, c->token);
    mask_all(s, len, c->rf_token);
    mask_all(s, len, c->rf_secret);
}

char *lc_redact_dup(const lc_client *c, const char *s, size_t len, size_t *out_len)
{
    const char *secrets[] = {c->token, c->rf_token, c->rf_secret};
    lc_buf b;
    lc_buf_init(&b);
    lc_buf_reserve(&b, len + 1);
    for (size_t i = 0; i < len;) {
        size_t hit = 0;
        for (size_t k = 0; k < 3 && !hit; k++) hit = secret_at(s, len, i, secrets[k]);
        if (hit) {
            lc_buf_puts(&b, "[REDACTED]");
            i += hit;
        } else {
            lc_buf_putc(&b, s[i++]);
        }
    }
    return lc_buf_detach(&b, out_len);
}

char *lc_client_redact(const lc_client *c, const char *s, size_t len, size_t *out_len)
{
    return lc_redact_dup(c, s, len, out_len);
}

char *lc_make_auth_header(lc_auth_scheme auth, const char *token)
{
    lc_buf b;
    lc_buf_init(&b);
    /* Sized up front: a growing buffer would leave copies in freed memory. */
    lc_buf_reserve(&b, strlen(token) + 40);
    if (auth == LC_AUTH_CATALOG_TOKEN)
        lc_buf_printf(&b, "Authorization: Token token=\"%s\"", token);
    else
        lc_buf_printf(&b, "Authorization: Bearer %s", token);
    return lc_buf_detach(&b, NULL);
}
