/* pure_c.c: lcanvas from C without Lua. Prints who the token belongs to,
 * then every user of account 1, following the pagination links Canvas
 * sends (never guessing page numbers).
 *
 *   cc pure_c.c $(pkg-config --cflags --libs lcanvas) -o pure_c
 *   CANVAS_API_URL=https://school.instructure.com CANVAS_API_TOKEN=... \
 *       ./pure_c [per_page [search_term]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcanvas/lcanvas.h>
#include <lcanvas/json.h>

static int fail(lc_error *err)
{
    fprintf(stderr, "pure_c: %s: %s\n", lc_kind_name(err->kind),
            err->message ? err->message : "(no message)");
    lc_error_clear(err);
    return 1;
}

/* Parses a response body; NULL (with a message) if it is not JSON. */
static lc_value *decode(const lc_response *resp)
{
    char msg[128];
    lc_value *v = lc_json_decode(resp->body, resp->body_len, msg, sizeof msg);
    if (!v) fprintf(stderr, "pure_c: bad JSON from %s: %s\n", resp->url, msg);
    return v;
}

static void print_user(const char *label, const lc_value *user)
{
    const lc_value *id = lc_object_get(user, "id");
    const char *name = lc_value_str(lc_object_get(user, "name"));
    printf("%s %lld %s\n", label, id && id->type == LC_T_INT ? (long long)id->u.i : -1LL,
           name ? name : "?");
}

int main(int argc, char **argv)
{
    const char *per_page = argc > 1 ? argv[1] : "10";
    const char *search = argc > 2 ? argv[2] : NULL;   /* letters only: sent as is */
    lc_config cfg = {0};
    cfg.base_url = getenv("CANVAS_API_URL");
    cfg.token = getenv("CANVAS_API_TOKEN");
    cfg.max_retries = -1;                      /* the default */
    if (!cfg.base_url || !cfg.token) {
        fprintf(stderr, "pure_c: set CANVAS_API_URL and CANVAS_API_TOKEN\n");
        return 2;
    }
    printf("lcanvas %s\n", LCANVAS_VERSION);

    lc_error err;
    lc_error_init(&err);
    lc_client *client = lc_client_new(&cfg, &err);
    if (!client) return fail(&err);

    /* One request: GET users/self. */
    lc_response resp;
    lc_response_init(&resp);
    lc_request req = {0};
    req.method = "GET";
    req.path = "users/self";
    if (lc_perform(client, &req, &resp, &err) != 0) {
        lc_response_clear(&resp);
        lc_client_free(client);
        return fail(&err);
    }
    lc_value *me = decode(&resp);
    lc_response_clear(&resp);
    if (!me) { lc_client_free(client); return 1; }
    print_user("me:", me);
    lc_value_free(me);

    /* A list: the first page by path, the next ones by their Link URL. */
    char query[160];
    snprintf(query, sizeof query, "per_page=%s%s%s", per_page,
             search ? "&search_term=" : "", search ? search : "");
    char *next = NULL;
    int pages = 0, users = 0, status = 0;
    req.path = "accounts/1/users";
    req.query = query;
    for (;;) {
        lc_response_init(&resp);
        if (lc_perform(client, &req, &resp, &err) != 0) {
            lc_response_clear(&resp);
            status = fail(&err);
            break;
        }
        lc_value *page = decode(&resp);
        if (!page || page->type != LC_T_ARRAY) {
            lc_value_free(page);
            lc_response_clear(&resp);
            status = 1;
            break;
        }
        pages++;
        for (size_t i = 0; i < page->u.arr.n; i++, users++)
            print_user("user:", page->u.arr.items[i]);
        lc_value_free(page);
        free(next);
        next = lc_response_next_url(&resp);   /* absolute, on the same origin */
        lc_response_clear(&resp);
        if (!next) break;
        req.path = next;
        req.query = NULL;                       /* the link carries it */
    }
    free(next);
    if (status == 0) printf("pages: %d users: %d\n", pages, users);
    lc_client_free(client);
    return status;
}
