/* lcanvas.User. Most methods are rows of the endpoint table below, run by
 * the generic invoker in resource.c; the few that need more than "verb +
 * path + return type" are written out in C or in the Lua front module. */
#include "binding.h"

static const lcb_endpoint user_endpoints[] = {
    {"edit", "PUT", "users/{id}", "self", 0, NULL,
     "Modify this user; the object is updated in place."},
    {"get_profile", "GET", "users/{id}/profile", "dict", 0, NULL,
     "The user's profile."},
    {"get_courses", "GET", "users/{id}/courses", "Course", 1, NULL,
     "The courses the user is enrolled in."},
    {"get_page_views", "GET", "users/{id}/page_views", "PageView", 1, NULL,
     "The user's page view history."},
    {"create_pairing_code", "POST", "users/{id}/observer_pairing_codes", "PairingCode", 0, NULL,
     "A pairing code an observer can use to link to this student."},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

/* Observers and pairing codes (canvas-user-observees-api). Returned users
 * carry observation_link_root_account_ids. add_observee_with_credentials is
 * checked for its required fields in lua/lcanvas/observees.lua. */
static const lcb_endpoint observee_endpoints[] = {
    {"get_observees", "GET", "users/{id}/observees", "User", 1, NULL,
     "The users this user observes (include = {\"avatar_url\"})."},
    {"get_observers", "GET", "users/{id}/observers", "User", 1, NULL,
     "The users observing this user."},
    {"add_observee_with_credentials", "POST", "users/{id}/observees", "User", 0, NULL,
     "Observe a student given a pairing_code, an access_token or observee credentials."},
    {"show_observee", "GET", "users/{id}/observees/{1}", "User", 0, NULL,
     "One user this user observes."},
    {"show_observer", "GET", "users/{id}/observers/{1}", "User", 0, NULL,
     "One user observing this user."},
    {"add_observee", "PUT", "users/{id}/observees/{1}", "User", 0, NULL,
     "Observe a student by id (admins; root_account_id scopes the link)."},
    {"remove_observee", "DELETE", "users/{id}/observees/{1}", "User", 0, NULL,
     "Stop observing a student (root_account_id removes only that link)."},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

/* Users API extras on User (settings, dashboard, graded submissions); the
 * hand-written ones (split, merge_into, custom data, dashboard updates) are
 * in lua/lcanvas/users_api.lua. */
static const lcb_endpoint user_api_endpoints[] = {
    {"get_settings", "GET", "users/{id}/settings", "dict", 0, NULL,
     "The user's settings (manual_mark_as_read, collapse_global_nav, ...)."},
    {"update_settings", "PUT", "users/{id}/settings", "dict", 0, NULL,
     "Change settings, e.g. {manual_mark_as_read = true}; returns all settings."},
    {"get_dashboard_positions", "GET", "users/{id}/dashboard_positions", "dict", 0, NULL,
     "The user's dashboard card positions, {dashboard_positions = {course_42 = 1, ...}}."},
    {"get_graded_submissions", "GET", "users/{id}/graded_submissions", "Submission", 1, NULL,
     "The user's most recently graded submissions (include = {\"assignment\"}, ...)."},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

void lcb_open_user(lua_State *L)
{
    lcb_resource_format(L, "User", "{name} ({id})");
    lcb_register_endpoints(L, "User", user_endpoints);
    lcb_register_endpoints(L, "User", observee_endpoints);
    lcb_register_endpoints(L, "User", user_api_endpoints);
}
