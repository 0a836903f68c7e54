/* lcanvas.User. Most methods are rows of the endpoint table below, run by
 * the generic invoker in resource.c; the few that need more than "verb +
 * path + return type" are written out in C or in the Lua front module
 * (lua/lcanvas/user.lua: create_folder, upload, resolve_path, ...). */
#include "lcb_objects.h"
#include "object.h"

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

    /* ---- users-methods: the rest of canvasapi's User class */
    {"create_communication_channel", "POST", "users/{id}/communication_channels",
     "CommunicationChannel", 0, NULL,
     "Add a communication channel (communication_channel[address], [type])."},
    {"get_communication_channels", "GET", "users/{id}/communication_channels",
     "CommunicationChannel", 1, NULL, "The user's communication channels, by position."},
    {"get_assignments", "GET", "users/{id}/courses/{1}/assignments", "Assignment", 1, NULL,
     "The user's assignments in a course (object or id)."},
    {"get_authentication_events", "GET", "audit/authentication/users/{id}",
     "AuthenticationEvent", 1, "events", "Login and logout events of the user (admins)."},
    {"get_avatars", "GET", "users/{id}/avatars", "Avatar", 1, NULL,
     "The avatar options the user can choose from."},
    {"get_calendar_events_for_user", "GET", "users/{id}/calendar_events", "CalendarEvent", 1,
     NULL, "Calendar events the user can see."},
    {"get_closed_poll_sessions", "GET", "poll_sessions/closed", "PollSession", 1,
     "poll_sessions", "Closed poll sessions available to the current user."},
    {"get_open_poll_sessions", "GET", "poll_sessions/opened", "PollSession", 1,
     "poll_sessions", "Open poll sessions available to the current user."},
    {"get_color", "GET", "users/{id}/colors/{1}", "dict", 0, NULL,
     "The custom colour saved for an asset such as \"course_42\" ({hexcode=})."},
    {"get_colors", "GET", "users/{id}/colors", "dict", 0, NULL,
     "Every custom colour the user saved ({custom_colors={...}})."},
    {"get_content_export", "GET", "users/{id}/content_exports/{1}", "ContentExport", 0, NULL,
     "One content export (object or id)."},
    {"get_content_exports", "GET", "users/{id}/content_exports", "ContentExport", 1, NULL,
     "Past and pending content exports of the user."},
    {"get_content_migration", "GET", "users/{id}/content_migrations/{1}", "ContentMigration",
     0, NULL, "One content migration (object or id)."},
    {"get_migration_systems", "GET", "users/{id}/content_migrations/migrators", "Migrator", 1,
     NULL, "The migration types available to the user."},
    {"get_enabled_features", "GET", "users/{id}/features/enabled", "raw", 0, NULL,
     "Names of the features enabled for the user (a list of strings)."},
    {"get_enrollments", "GET", "users/{id}/enrollments", "Enrollment", 1, NULL,
     "The user's enrollments (state[], type[] filters)."},
    {"get_eportfolios", "GET", "users/{id}/eportfolios", "EPortfolio", 1, NULL,
     "The user's ePortfolios."},
    {"get_file", "GET", "users/{id}/files/{1}", "File", 0, NULL,
     "One of the user's files (object or id)."},
    {"get_file_quota", "GET", "users/{id}/files/quota", "dict", 0, NULL,
     "Total and used storage quota ({quota=, quota_used=})."},
    {"get_files", "GET", "users/{id}/files", "File", 1, NULL, "The user's files."},
    {"get_folder", "GET", "users/{id}/folders/{1}", "Folder", 0, NULL,
     "One of the user's folders (object or id)."},
    {"get_folders", "GET", "users/{id}/folders", "Folder", 1, NULL,
     "Every folder of the user, flat (subfolders included)."},
    {"get_grade_change_events_for_grader", "GET", "audit/grade_change/graders/{id}",
     "GradeChangeEvent", 1, "events", "Grade changes made by this user as grader (admins)."},
    {"get_grade_change_events_for_student", "GET", "audit/grade_change/students/{id}",
     "GradeChangeEvent", 1, "events", "Grade changes made to this student's grades (admins)."},
    {"get_licenses", "GET", "users/{id}/content_licenses", "License", 1, NULL,
     "Licenses that can be applied to the user's files."},
    {"get_missing_submissions", "GET", "users/{id}/missing_submissions", "Assignment", 1, NULL,
     "Past-due assignments the student has not submitted."},
    {"get_user_logins", "GET", "users/{id}/logins", "Login", 1, NULL,
     "The user's logins (pseudonyms)."},
    {"remove_usage_rights", "DELETE", "users/{id}/usage_rights", "dict", 0, NULL,
     "Remove usage rights from files (file_ids[])."},
    {"set_usage_rights", "PUT", "users/{id}/usage_rights", "UsageRights", 0, NULL,
     "Set usage rights on files (file_ids[], usage_rights[use_justification], ...)."},
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

/* tostring templates of the resource types User methods return (types
 * without one print as "Type: <name or title> (<id>)"). */
static const char *const user_resource_formats[][2] = {
    {"Folder", "{full_name} ({id})"},
    {"File", "{display_name} ({id})"},
    {"CommunicationChannel", "{address} ({id})"},
    {"ContentMigration", "{migration_type_title} ({id})"},
    {"ContentExport", "{export_type} export ({id})"},
    {"Migrator", "{name} ({type})"},
    {"Feature", "{display_name} ({feature})"},
    {"FeatureFlag", "{feature}: {state}"},
    {"Avatar", "{display_name} ({type})"},
    {"AuthenticationEvent", "{event_type} {created_at}"},
    {"GradeChangeEvent", "{event_type} ({id})"},
    {"Enrollment", "{type} ({id})"},
    {"Login", "{unique_id} ({id})"},
    {"UsageRights", "{use_justification}: {message}"},
    {"License", "{name} ({id})"},
    {NULL, NULL},
};

void lcb_open_user(lua_State *L)
{
    lcb_resource_format(L, "User", "{name} ({id})");
    lcb_register_endpoints(L, "User", user_endpoints);
    lcb_register_endpoints(L, "User", observee_endpoints);
    lcb_register_endpoints(L, "User", user_api_endpoints);
    for (int i = 0; user_resource_formats[i][0]; i++)
        lcb_resource_format(L, user_resource_formats[i][0], user_resource_formats[i][1]);
}
