/* RFC 8288 Link header parsing, as Canvas sends it:
 *   <https://x/api/v1/users?page=2&per_page=10>; rel="next",<...>; rel="last"
 * Lua-free. */
#ifndef LC_LINK_H
#define LC_LINK_H

/* Returns a malloc'd copy of the URL whose rel (quoted or bare, compared
 * case-insensitively, and one of several space-separated rels) equals `rel`;
 * NULL when there is none or the header is malformed. */
char *lc_link_find(const char *header, const char *rel);

#endif
