--- lcanvas.User: a Canvas user. Everything about the type is here: its
-- endpoint rows (data, compiled once by core.define_rows into the C
-- invoker), its hand-written methods (each says why it is not a row), its
-- tostring format and the doc lines the reference is made from.
local core = require "lcanvas.core"
local args = require "lcanvas.args"
local upload = require "lcanvas.upload"

core.define_type("User", { format = "{name} ({id})", doc = "a Canvas user" })

-- The include[] values lib/api/v1/user.rb's user_json honours outside a
-- course (UserObserveesController's lists pass include[] through to it).
local USER_JSON_INCLUDES = { "avatar_url", "avatar_state", "first_name", "last_name", "email", "bio", "title",
  "locale", "effective_locale", "confirmation_url", "last_login", "permissions", "terms_of_use",
  "custom_links", "time_zone", "lti_id", "uuid", "sis_user_id" }

local User = core.define_rows("User", {
  { name = "edit", method = "PUT", path = "users/{id}", returns = "self",
    params = { "user", "override_sis_stickiness" }, source = "UsersController#update",
    doc = "Modify this user; the object is updated in place." },
  { name = "get_profile", method = "GET", path = "users/{id}/profile",
    params = { "include" }, include = { "user_services", "links", "uuid" },
      source = "ProfileController#settings",
    doc = "The user's profile." },
  { name = "get_courses", method = "GET", path = "users/{id}/courses", returns = "Course",
    list = true,
    -- what courses_for_user reads (account_id, which this row once listed, it does not)
    params = { "include", "state", "enrollment_role", "enrollment_role_id", "enrollment_type",
      "enrollment_state", "current_domain_only", "root_account_id", "observed_user_id",
      "exclude_blueprint_courses", "homeroom" },
      source = "CoursesController#user_index (courses_for_user)",
    doc = "The courses the user is enrolled in." },
  { name = "get_page_views", method = "GET", path = "users/{id}/page_views",
    returns = "PageView", list = true,
    params = { "start_time", "end_time" },
      source = "PageViewsController#index",
    doc = "The user's page view history." },
  { name = "create_pairing_code", method = "POST", path = "users/{id}/observer_pairing_codes",
    returns = "PairingCode", item_fields = { user_id = "{id}" },
    params = {}, source = "ObserverPairingCodesApiController#create",
    doc = "A pairing code an observer can use to link to this student." },

  -- The rest of canvasapi's User class
  { name = "create_communication_channel", method = "POST",
    path = "users/{id}/communication_channels", returns = "CommunicationChannel",
    params = { "communication_channel", "skip_confirmation", "build_pseudonym" },
      source = "CommunicationChannelsController#create",
    doc = "Add a communication channel (communication_channel[address], [type])." },
  { name = "get_communication_channels", method = "GET",
    path = "users/{id}/communication_channels", returns = "CommunicationChannel", list = true,
    params = {}, source = "CommunicationChannelsController#index",
    doc = "The user's communication channels, by position." },
  -- (docs): user_index hands off to the course index's shared helpers
  -- (index_apis), which read their filters in several places; not read through.
  { name = "get_assignments", method = "GET", path = "users/{id}/courses/{1}/assignments",
    returns = "Assignment", list = true,
    args = { "course" },
    params = { "include", "search_term", "override_assignment_dates",
      "needs_grading_count_by_section", "bucket", "assignment_ids", "order_by", "post_to_sis",
      "new_quizzes" }, unknown = "warn", source = "AssignmentsApiController#user_index (docs)",
    doc = "The user's assignments in a course (object or id)." },
  { name = "get_authentication_events", method = "GET", path = "audit/authentication/users/{id}",
    returns = "AuthenticationEvent", list = true, root = "events",
    params = { "start_time", "end_time" },
      source = "AuthenticationAuditApiController#for_user",
    doc = "Login and logout events of the user (the user themself, or admins)." },
  { name = "get_avatars", method = "GET", path = "users/{id}/avatars", returns = "Avatar",
    list = true,
    params = {}, source = "ProfileController#profile_pics",
    doc = "The avatar options the user can choose from." },
  -- (docs): user_index runs index, whose options are read per event type in
  -- get_options and the search helpers; not read through.
  { name = "get_calendar_events_for_user", method = "GET", path = "users/{id}/calendar_events",
    returns = "CalendarEvent", list = true,
    params = { "type", "start_date", "end_date", "undated", "all_events", "context_codes",
      "excludes", "includes", "submission_types", "exclude_submission_types", "important_dates",
      "blackout_date" }, unknown = "warn",
      source = "CalendarEventsApiController#user_index (docs)",
    doc = "Calendar events the user can see." },
  { name = "get_closed_poll_sessions", method = "GET", path = "poll_sessions/closed",
    returns = "PollSession", list = true, root = "poll_sessions",
    params = {}, source = "Polling::PollSessionsController#closed",
    doc = "Closed poll sessions available to the current user." },
  { name = "get_open_poll_sessions", method = "GET", path = "poll_sessions/opened",
    returns = "PollSession", list = true, root = "poll_sessions",
    params = {}, source = "Polling::PollSessionsController#opened",
    doc = "Open poll sessions available to the current user." },
  { name = "get_color", method = "GET", path = "users/{id}/colors/{1}",
    args = { "asset_string" },
    params = {}, source = "UsersController#get_custom_color",
    doc = "The custom colour saved for an asset such as \"course_42\" ({hexcode=})." },
  { name = "get_colors", method = "GET", path = "users/{id}/colors",
    params = {}, source = "UsersController#get_custom_colors",
    doc = "Every custom colour the user saved ({custom_colors={...}})." },
  { name = "get_content_export", method = "GET", path = "users/{id}/content_exports/{1}",
    returns = "ContentExport",
    args = { "export" },
    params = {}, source = "ContentExportsApiController#show",
    doc = "One content export (object or id)." },
  { name = "get_content_exports", method = "GET", path = "users/{id}/content_exports",
    returns = "ContentExport", list = true,
    params = {}, source = "ContentExportsApiController#index",
    doc = "Past and pending content exports of the user." },
  { name = "get_content_migration", method = "GET", path = "users/{id}/content_migrations/{1}",
    returns = "ContentMigration",
    args = { "migration" },
    params = {}, source = "ContentMigrationsController#show",
    doc = "One content migration (object or id)." },
  { name = "get_migration_systems", method = "GET",
    path = "users/{id}/content_migrations/migrators", returns = "Migrator", list = true,
    params = {},
      source = "ContentMigrationsController#available_migrators",
    doc = "The migration types available to the user." },
  { name = "get_enabled_features", method = "GET", path = "users/{id}/features/enabled",
    params = {}, source = "FeatureFlagsController#enabled_features",
    doc = "Names of the features enabled for the user (a list of strings)." },
  -- (docs): index builds its filters in helper scopes (enrollments_for_index and
  -- the SIS lookups); not read through.
  { name = "get_enrollments", method = "GET", path = "users/{id}/enrollments",
    returns = "Enrollment", list = true,
    params = { "type", "role", "state", "include", "enrollment_term_id", "grading_period_id",
      "sis_account_id", "sis_course_id", "sis_section_id", "sis_user_id", "created_for_sis_id" },
      unknown = "warn", source = "EnrollmentsApiController#index (docs)",
    doc = "The user's enrollments (state[], type[] filters)." },
  { name = "get_eportfolios", method = "GET", path = "users/{id}/eportfolios",
    returns = "EPortfolio", list = true,
    params = { "include" }, source = "EportfoliosApiController#index",
    doc = "The user's ePortfolios." },
  { name = "get_file", method = "GET", path = "users/{id}/files/{1}", returns = "File",
    args = { "file" },
    params = { "include", "replacement_chain_context_type", "replacement_chain_context_id", "verifier",
      "use_verifiers" }, source = "FilesController#api_show",
    doc = "One of the user's files (object or id)." },
  { name = "get_file_quota", method = "GET", path = "users/{id}/files/quota",
    params = {}, source = "FilesController#api_quota",
    doc = "Total and used storage quota ({quota=, quota_used=})." },
  { name = "get_files", method = "GET", path = "users/{id}/files", returns = "File", list = true,
    params = { "content_types", "exclude_content_types", "search_term", "include", "only", "sort",
      "sort_by", "order", "category", "use_verifiers" }, source = "FilesController#api_index",
    doc = "The user's files." },
  { name = "get_folder", method = "GET", path = "users/{id}/folders/{1}", returns = "Folder",
    args = { "folder" },
    params = {}, source = "FoldersController#show",
    doc = "One of the user's folders (object or id)." },
  { name = "get_folders", method = "GET", path = "users/{id}/folders", returns = "Folder",
    list = true,
    params = { "sort_by" }, source = "FoldersController#list_all_folders",
    doc = "Every folder of the user, flat (subfolders included)." },
  { name = "get_grade_change_events_for_grader", method = "GET",
    path = "audit/grade_change/graders/{id}", returns = "GradeChangeEvent", list = true,
    root = "events",
    params = { "start_time", "end_time", "include" }, include = { "current_grade" },
      source = "GradeChangeAuditApiController#for_grader (query_options, render_events)",
    doc = "Grade changes made by this user as grader (admins)." },
  { name = "get_grade_change_events_for_student", method = "GET",
    path = "audit/grade_change/students/{id}", returns = "GradeChangeEvent", list = true,
    root = "events",
    params = { "start_time", "end_time", "include" }, include = { "current_grade" },
      source = "GradeChangeAuditApiController#for_student (query_options, render_events)",
    doc = "Grade changes made to this student's grades (admins)." },
  { name = "get_licenses", method = "GET", path = "users/{id}/content_licenses",
    returns = "License", list = true,
    params = {}, source = "UsageRightsController#licenses",
    doc = "Licenses that can be applied to the user's files." },
  { name = "get_missing_submissions", method = "GET", path = "users/{id}/missing_submissions",
    returns = "Assignment", list = true,
    params = { "observed_user_id", "include", "filter", "course_ids" },
      include = { "planner_overrides", "course" }, source = "UsersController#missing_submissions",
    doc = "Past-due assignments the student has not submitted." },
  { name = "get_user_logins", method = "GET", path = "users/{id}/logins", returns = "Login",
    list = true,
    params = {}, source = "PseudonymsController#index",
    doc = "The user's logins (pseudonyms)." },
  { name = "remove_usage_rights", method = "DELETE", path = "users/{id}/usage_rights",
    params = { "file_ids", "folder_ids" },
      source = "UsageRightsController#remove_usage_rights",
    doc = "Remove usage rights from files (file_ids[])." },
  { name = "set_usage_rights", method = "PUT", path = "users/{id}/usage_rights",
    returns = "UsageRights",
    params = { "file_ids", "folder_ids", "publish", "usage_rights" },
      source = "UsageRightsController#set_usage_rights",
    doc = "Set usage rights on files (file_ids[], usage_rights[use_justification], ...)." },

  -- A positional argument that is a parameter, or a list whose items get
  -- the user's id (as canvasapi sets it).
  { name = "create_folder", method = "POST", path = "users/{id}/folders", returns = "Folder",
    args = { { "name", check = "string" } },
    params = { "name", "parent_folder_id", "parent_folder_path", "lock_at", "unlock_at", "locked",
      "hidden", "position", "source_folder_id" },
      source = "FoldersController#create (process_folder_params)",
    doc = "Create a folder named `name` (parent_folder_path or parent_folder_id in params)." },
  -- (docs): create's settings are checked by each migration plugin's own
  -- validator (read dynamically), and update_migration reads more optional keys.
  { name = "create_content_migration", method = "POST", path = "users/{id}/content_migrations",
    returns = "ContentMigration", item_fields = { user_id = "{id}" },
    args = { { "migration_type", check = "string", what = "migration_type (a string or a Migrator)",
               from = { Migrator = "type" } } },
    params = { "migration_type", "pre_attachment", "settings", "date_shift_options",
      "selective_import", "select" }, unknown = "warn",
      source = "ContentMigrationsController#create (docs)",
    doc = "Start a content migration; migration_type is a type string or an lcanvas.Migrator; " ..
      "the result has user_id set." },
  { name = "get_content_migrations", method = "GET", path = "users/{id}/content_migrations",
    returns = "ContentMigration", list = true, item_fields = { user_id = "{id}" },
    params = {}, source = "ContentMigrationsController#index",
    doc = "The user's content migrations, each with user_id set." },
  -- (docs): the newest FeatureFlagsController#index in the index reads no
  -- parameter, while Canvas's current docs list hide_inherited_enabled; kept
  -- from the docs until the code that reads it is found.
  { name = "get_features", method = "GET", path = "users/{id}/features", returns = "Feature",
    list = true, item_fields = { user_id = "{id}" },
    params = {}, unknown = "warn", source = "FeatureFlagsController#index (docs)",
    doc = "The features that apply to the user, each with user_id set." },
  { name = "get_feature_flag", method = "GET", path = "users/{id}/features/flags/{1}",
    returns = "FeatureFlag",
    args = { { "feature", check = "string", what = "feature (a name or a Feature)",
               from = { Feature = "feature" } } },
    params = {}, source = "FeatureFlagsController#show",
    doc = "The flag of one feature for the user; feature is an lcanvas.Feature or a name." },
  { name = "export_content", method = "POST", path = "users/{id}/content_exports",
    returns = "ContentExport", args = { { "export_type", check = "string" } },
    params = { "export_type", "skip_notifications", "select", "version" },
      source = "ContentExportsApiController#create",
    doc = "Start a content export (export_type \"zip\" for users)." },
  { name = "update_color", method = "PUT", path = "users/{id}/colors/{1}",
    args = { { "asset_string", check = "string" }, { "hexcode", check = "string" } },
    params = { "hexcode" }, source = "UsersController#set_custom_color",
    doc = "Save a custom colour for an asset such as \"course_42\" (the \"#\" is optional); " ..
      "returns {hexcode=...}." },
  { name = "resolve_path", method = "GET", path = "users/{id}/folders/by_path{*1}",
    returns = "Folder", list = true, args = { { "full_path", check = "string_or_nil" } },
    params = {}, source = "FoldersController#resolve_path",
    doc = "The folders from the user's root down to full_path (\"a b/c\"; each segment " ..
      "escaped), or the root folder alone." },

  -- Observers and pairing codes (canvas-user-observees-api). Returned users
  -- carry observation_link_root_account_ids.
  { name = "get_observees", method = "GET", path = "users/{id}/observees", returns = "User",
    list = true,
    params = { "include" }, include = USER_JSON_INCLUDES,
      source = "UserObserveesController#index",
    doc = "The users this user observes; include = {\"avatar_url\", \"uuid\", ...} (any user_json include)." },
  { name = "get_observers", method = "GET", path = "users/{id}/observers", returns = "User",
    list = true,
    params = { "include" }, include = USER_JSON_INCLUDES,
      source = "UserObserveesController#observers",
    doc = "The users observing this user." },
  { name = "add_observee_with_credentials", method = "POST", path = "users/{id}/observees",
    returns = "User",
    params = { "observee", "access_token", "pairing_code", "root_account_id" },
      source = "UserObserveesController#create",
    doc = "Observe a student given a pairing_code, an access_token or observee credentials." },
  { name = "show_observee", method = "GET", path = "users/{id}/observees/{1}", returns = "User",
    args = { "observee" },
    params = {}, source = "UserObserveesController#show",
    doc = "One user this user observes." },
  { name = "show_observer", method = "GET", path = "users/{id}/observers/{1}", returns = "User",
    args = { "observer" },
    params = {}, source = "UserObserveesController#show_observer",
    doc = "One user observing this user." },
  { name = "add_observee", method = "PUT", path = "users/{id}/observees/{1}", returns = "User",
    args = { "observee" },
    params = { "root_account_id" }, source = "UserObserveesController#update",
    doc = "Observe a student by id (admins); without root_account_id only the current domain's " ..
      "root account is linked, \"all\" links every one the two share." },
  { name = "remove_observee", method = "DELETE", path = "users/{id}/observees/{1}",
    returns = "User",
    args = { "observee" },
    -- Sent all the same (callers written from the docs keep working), with
    -- a warning: the DELETE removes the link for every root account.
    params = {}, source = "UserObserveesController#destroy",
    ignored = { root_account_id = "UserObserveesController#destroy never reads it and removes " ..
      "the link for every root account" },
    doc = "Stop observing a student: Canvas removes the link for every root account (a " ..
      "root_account_id is sent but ignored by Canvas, with a warning)." },

  -- Users API: settings, dashboard, graded submissions
  { name = "get_settings", method = "GET", path = "users/{id}/settings",
    params = {}, source = "UsersController#settings (GET)",
    doc = "The user's settings (manual_mark_as_read, collapse_global_nav, ...)." },
  { name = "update_settings", method = "PUT", path = "users/{id}/settings",
    params = { "manual_mark_as_read", "collapse_global_nav", "collapse_course_nav",
      "hide_dashcard_color_overlays", "release_notes_badge_disabled",
      "comment_library_suggestions_enabled", "elementary_dashboard_disabled",
      "default_to_block_editor" }, source = "UsersController#settings (PUT, BOOLEAN_PREFS)",
    doc = "Change settings, e.g. {manual_mark_as_read = true}; returns all settings." },
  { name = "get_dashboard_positions", method = "GET", path = "users/{id}/dashboard_positions",
    params = {}, source = "UsersController#get_dashboard_positions",
    doc = "The user's dashboard card positions, {dashboard_positions = {course_42 = 1, ...}}." },
  { name = "get_graded_submissions", method = "GET", path = "users/{id}/graded_submissions",
    returns = "Submission", list = true,
    params = { "include", "only_current_enrollments", "only_published_assignments" },
      include = { "assignment" }, source = "UsersController#user_graded_submissions",
    doc = "The user's most recently graded submissions (include = {\"assignment\"}, ...)." },
  { name = "update_dashboard_positions", method = "PUT", path = "users/{id}/dashboard_positions",
    args = { { "dashboard_positions", check = "table",
               message = "positions must be a table like {course_42 = 1}" } },
    params = { "dashboard_positions" }, source = "UsersController#set_dashboard_positions",
    doc = "Set dashboard card positions, e.g. {course_42 = 1}; " ..
      "returns {dashboard_positions = {...}} with every position." },

  -- Users API endpoints canvasapi 3.4 has no method for.
  { name = "set_feature_flag", method = "PUT", path = "users/{id}/features/flags/{1}",
    returns = "FeatureFlag",
    args = { { "feature", check = "string", what = "feature (a name or a Feature)",
               from = { Feature = "feature" } },
             { "state", check = "string", what = "state (\"on\" or \"off\")" } },
    params = { "state" }, source = "FeatureFlagsController#update",
    doc = "Set the user's flag of a feature to state \"on\" or \"off\"; returns the FeatureFlag." },
  { name = "remove_feature_flag", method = "DELETE", path = "users/{id}/features/flags/{1}",
    returns = "FeatureFlag",
    args = { { "feature", check = "string", what = "feature (a name or a Feature)",
               from = { Feature = "feature" } } },
    params = {}, source = "FeatureFlagsController#delete",
    doc = "Remove the user's own flag of a feature (the account's setting applies again); " ..
      "returns the removed FeatureFlag." },
  { name = "update_text_editor_preference", method = "PUT", path = "users/{id}/text_editor_preference",
    args = { { "text_editor_preference", check = "string_or_nil",
               what = "text_editor_preference (\"rce\", \"block_editor\" or \"\")" } },
    params = { "text_editor_preference" }, source = "UsersController#set_text_editor_preference",
    doc = "Set the user's default text editor, \"rce\" or \"block_editor\" (\"\" clears it); " ..
      "returns {text_editor_preference=}." },
  { name = "update_files_ui_version_preference", method = "PUT",
    path = "users/{id}/files_ui_version_preference",
    args = { { "files_ui_version", check = "string", what = "files_ui_version (\"v1\" or \"v2\")" } },
    params = { "files_ui_version" }, source = "UsersController#set_files_ui_version_preference",
    doc = "Set the user's files UI version, \"v1\" or \"v2\"; returns {files_ui_version=}." },

  -- Custom data: ns is a parameter, scope ("a/b" or {"a", "b"}) a path of
  -- any depth; the answer is unwrapped from {data = ...}.
  { name = "get_custom_data", method = "GET", path = "users/{id}/custom_data{*2}", field = "data",
    args = { { "ns", check = "string", message = "ns (the namespace) must be a non-empty string" },
             "scope" },
    params = { "ns" }, source = "CustomDataController#get_data",
    doc = "The data stored under namespace ns at scope (\"a/b\" or {\"a\", \"b\"}); " ..
      "JSON types are kept." },
  { name = "set_custom_data", method = "PUT", path = "users/{id}/custom_data{*2}", field = "data",
    json = true,
    args = { { "ns", check = "string", message = "ns (the namespace) must be a non-empty string" },
             "scope",
             { "data", check = "present", message = "data is required" } },
    params = { "ns", "data" }, source = "CustomDataController#set_data",
    doc = "Store data (any JSON value but a bare null; lcanvas.null inside tables is null) under ns " ..
      "at scope, nil for the whole namespace (a JSON body); returns what was stored." },
  { name = "delete_custom_data", method = "DELETE", path = "users/{id}/custom_data{*2}",
    field = "data",
    args = { { "ns", check = "string", message = "ns (the namespace) must be a non-empty string" },
             "scope" },
    params = { "ns" }, source = "CustomDataController#delete_data",
    doc = "Delete the data under ns at scope, all of ns without one; returns what was deleted." },
})

-- Hand-written methods -------------------------------------------------------

local argerror, segment, params_with = args.argerror, args.segment, args.params_with

local function base(self, fname)
  return "users/" .. segment(self, 0, fname)
end

-- Not a row: two requests (the PUT now, then a lazy list).
--- User:moderate_all_eportfolios(params): set spam_status ("marked_as_spam", "marked_as_safe") on all the user's active ePortfolios now (PUT users/:id/eportfolios); returns a PaginatedList of the user's lcanvas.EPortfolio.
function User.moderate_all_eportfolios(self, params)
  local p = params_with(params, 1, "moderate_all_eportfolios")
  local c = core.client_of(self)
  local path = base(self, "moderate_all_eportfolios") .. "/eportfolios"
  -- Sent at once (a PUT must not wait for someone to iterate); the list
  -- then reads the moderated portfolios back lazily.
  c:request("PUT", path, p)
  return core.list(c, "EPortfolio", path)
end

-- A DELETE that Canvas answers with a bare `ok`, which is not JSON.
local function delete_ok(self, params, fname, suffix)
  local p = params_with(params, 1, fname)
  local c = core.client_of(self)
  local path = base(self, fname) .. suffix
  local ok, res = pcall(c.request, c, "DELETE", path, p)
  if ok then return res == nil and "ok" or res end
  local is_err = type(res) == "table" and getmetatable(res) == getmetatable(core.error("CanvasException", ""))
  if is_err and res.kind == "InvalidResponse" and res.status >= 200 and res.status < 300 then
    local body = (res.body or ""):match("^%s*(.-)%s*$")
    if body == "ok" then return "ok" end
  end
  error(res, 0)
end

-- Neither action reads a parameter: one given would be ignored by Canvas.
local function no_params(params, fname, action)
  if params ~= nil and (type(params) ~= "table" or next(params) ~= nil) then
    local k = type(params) == "table" and next(params) or nil
    argerror(1, fname, type(params) ~= "table" and ("table expected, got " .. type(params))
      or string.format("Canvas does not read '%s' here and would ignore it: %s reads no parameters",
        tostring(k), action))
  end
end

-- Not a row: Canvas answers with a bare `ok`, which is not JSON.
--- User:terminate_sessions(): end all the user's browser sessions and revoke their access tokens (DELETE users/:id/sessions; Canvas reads no parameters); returns "ok".
function User.terminate_sessions(self, params)
  no_params(params, "terminate_sessions", "UsersController#terminate_sessions")
  return delete_ok(self, nil, "terminate_sessions", "/sessions")
end

-- Not a row: the same bare `ok` answer.
--- User:expire_mobile_sessions(): log the user out of every mobile app: their mobile access tokens expire (DELETE users/:id/mobile_sessions, admins with "manage user logins"; Canvas reads no parameters); returns "ok".
function User.expire_mobile_sessions(self, params)
  no_params(params, "expire_mobile_sessions", "UsersController#expire_mobile_sessions")
  return delete_ok(self, nil, "expire_mobile_sessions", "/mobile_sessions")
end

-- Not a row: the answer is a list of users, not one object.
--- User:split(): undo the merges into this user (POST users/:id/split); returns a sequence of Users, the split user and those split off, sorted by short name as Canvas renders them.
function User:split()
  local canvas = core.client_of(self)
  local answer = canvas:request("POST", base(self, "split") .. "/split")
  if type(answer) ~= "table" then
    error(core.error("InvalidResponse", "split: expected a list of users"), 2)
  end
  local users = {}
  for i, attrs in ipairs(answer) do users[i] = core.object("User", attrs, canvas) end
  return users
end

-- Not a row: two path shapes, and the receiver's attributes are replaced,
-- not overlaid (returns = "self" overlays).
--- User:merge_into(dest [, {destination_account_id = id}]): merge this user into dest and delete it (PUT users/:id/merge_into/:dest, or .../merge_into/accounts/:account/users/:dest); this object becomes the destination user, updated in place and returned.
function User:merge_into(dest, opts)
  args.params(opts, 2, "merge_into")
  local canvas = core.client_of(self)
  local path = base(self, "merge_into") .. "/merge_into/"
  local account = opts and opts.destination_account_id
  if account ~= nil then
    path = path .. "accounts/" .. segment(account, 2, "merge_into") .. "/users/"
  end
  path = path .. segment(dest, 1, "merge_into")
  local answer = canvas:request("PUT", path)
  if args.dry_run(answer) then
    self.dry_run = true   -- a dry run sent nothing: the object stays as it was, marked
    return self
  end
  if type(answer) ~= "table" then
    error(core.error("InvalidResponse", "merge_into: expected a user object"), 2)
  end
  -- The source no longer exists: nothing of the deleted user may linger.
  local old = {}
  for k in pairs(self) do old[#old + 1] = k end
  for _, k in ipairs(old) do self[k] = nil end
  for k, v in pairs(answer) do self[k] = v end
  return self
end

-- Upload ---------------------------------------------------------------------------

-- Not a row: three requests, the second to storage without the token
-- (lua/lcanvas/upload.lua, Canvas's protocol for every context).
--- User:upload(file [, params]): upload a file (a path or an open file handle) to the user's files in Canvas's three steps (POST users/:id/files with name and size, a multipart POST to upload_url that never gets the token, then the File from a 3xx Location or the 201 answer); params: name, content_type, parent_folder_path, parent_folder_id, on_duplicate. Returns true and the File as a plain table (under a dry run, true and `{dry_run = true, ...}` after printing step 1).
function User.upload(self, file, params)
  return upload.run(core.client_of(self), base(self, "upload") .. "/files", file, params, "upload", 1)
end

-- Custom data ---------------------------------------------------------------

local put_custom_data = User.set_custom_data

-- Wraps the row: CustomDataController#set_data answers 400 "no data
-- specified" for a bare null (params[:data] is nil to Rails), so that is
-- refused before sending, as the BadRequest Canvas would give.
--- User:set_custom_data(ns, scope, data): store data (any JSON value but a bare null: lcanvas.null as the whole value is refused before sending with BadRequest, as Canvas answers 400 "no data specified"; inside tables it is null) under ns at scope, nil for the whole namespace (a JSON body); returns what was stored.
function User.set_custom_data(self, ns, scope, data, ...)
  if data == core.null then
    local err = core.error("BadRequest", "set_custom_data: data cannot be lcanvas.null: Canvas " ..
      "answers 400 \"no data specified\" (CustomDataController#set_data); use delete_custom_data " ..
      "to remove a value")
    err.field = "data"
    error(err, 2)
  end
  return put_custom_data(self, ns, scope, data, ...)
end

-- Observers -----------------------------------------------------------------

local post_observee = User.add_observee_with_credentials

local function present(v) return v ~= nil and v ~= "" and v ~= core.null end

-- Wraps the row: one of three alternatives must be complete before sending.
--- User:add_observee_with_credentials(params): observe a student given `pairing_code`, `access_token` or `observee = {unique_id=, password=}` (RequiredFieldMissing before sending when none is complete).
function User.add_observee_with_credentials(self, params)
  if params ~= nil and type(params) ~= "table" then
    error("bad argument #1 to 'add_observee_with_credentials' (table expected, got "
      .. type(params) .. ")", 2)
  end
  params = params or {}
  if not present(params.pairing_code) and not present(params.access_token) then
    local obs = params.observee
    if obs ~= nil and type(obs) ~= "table" then
      error("bad argument #1 to 'add_observee_with_credentials' (observee must be a table "
        .. "{unique_id=, password=})", 2)
    end
    for _, field in ipairs({ "unique_id", "password" }) do
      if type(obs) ~= "table" or not present(obs[field]) then
        core.missing_field("User:add_observee_with_credentials", "observee[" .. field .. "]",
          " (or a pairing_code or an access_token)")
      end
    end
  end
  return post_observee(self, params)
end

-- What the hand-written methods send (not rows; for doc/endpoints.md and
-- spec/endpoints_spec.lua). `sends`: what the method itself adds.
core.describe_hand("User", {
  moderate_all_eportfolios = { method = "PUT", path = "users/{id}/eportfolios",
    params = { "spam_status" }, unknown = "unchecked",
    source = "EportfoliosApiController#moderate_all" },
  terminate_sessions = { method = "DELETE", path = "users/{id}/sessions", params = {},
    source = "UsersController#terminate_sessions" },
  expire_mobile_sessions = { method = "DELETE", path = "users/{id}/mobile_sessions", params = {},
    source = "UsersController#expire_mobile_sessions" },
  split = { method = "POST", path = "users/{id}/split", params = {}, unknown = "none",
    source = "UsersController#split" },
  merge_into = { method = "PUT", path = "users/{id}/merge_into/{1}", args = { "dest" }, params = {},
    unknown = "none", source = "UsersController#merge_into" },
  upload = { method = "POST", path = "users/{id}/files", sends = { "name", "size" },
    params = { "name", "size", "content_type", "parent_folder_id", "parent_folder_path", "on_duplicate" },
    unknown = "unchecked",
    source = "UsersController#create_file (api_attachment_preflight)" },
})

-- What the endpoint spec (spec/endpoints_spec.lua) runs against the sandbox's
-- demo data: user 3 (Sam Student) seen by the admin, and per method its
-- arguments, or a function making the state the method needs (w.as(role)
-- is a client of that sandbox user, w.tmpfile(text) a file to upload).
local function uploaded(w)
  local sam = w.as("student"):get_current_user()
  local _, file = sam:upload(w.tmpfile("spec file\n"), { name = "spec.txt" })
  return sam, file
end

core.define_type("User", {
  examples = {
    receiver = function(w) return w.canvas:get_user(3) end,
    args = {
      edit = { { user = { short_name = "Sammy" } } },
      get_assignments = { 1 },
      create_communication_channel = { { communication_channel = { address = "sam@spec.test", type = "email" } } },
      create_folder = { "Spec folder" },
      create_content_migration = { "zip_file_importer", { settings = { file_url = "https://spec.test/a.zip" } } },
      get_content_migration = function(_, u)
        return u, { u:create_content_migration("zip_file_importer",
          { settings = { file_url = "https://spec.test/a.zip" } }) }
      end,
      export_content = { "zip" },
      get_content_export = function(_, u) return u, { u:export_content("zip") } end,
      get_color = function(_, u)
        u:update_color("course_1", "#ff0000")
        return u, { "course_1" }
      end,
      update_color = { "course_1", "#00ff00" },
      get_feature_flag = function(_, u) return u, { u:get_features():first() } end,
      set_feature_flag = function(_, u) return u, { u:get_features():first(), "on" } end,
      remove_feature_flag = function(_, u)
        local f = u:get_features():first()
        u:set_feature_flag(f, "on")
        return u, { f }
      end,
      get_file = function(w) local sam, file = uploaded(w); return sam, { file.id } end,
      get_folder = function(_, u) return u, { u:get_folders():first() } end,
      resolve_path = { "Documents/Essays" },
      set_usage_rights = function(w)
        local sam, file = uploaded(w)
        return sam, { { file_ids = { file.id }, usage_rights = { use_justification = "own_copyright" } } }
      end,
      remove_usage_rights = function(w)
        local sam, file = uploaded(w)
        return sam, { { file_ids = { file.id } } }
      end,
      upload = function(w)
        return w.as("student"):get_current_user(), { w.tmpfile("hello\n"), { name = "hello.txt" } }
      end,
      show_observee = function(w) return w.canvas:get_user(121), { 122 } end,
      show_observer = function(w) return w.canvas:get_user(122), { 121 } end,
      add_observee = function(w) return w.canvas:get_user(7), { 3 } end,
      remove_observee = function(w) return w.canvas:get_user(121), { 122 } end,
      add_observee_with_credentials = function(w)
        return w.as("parent"):get_current_user(),
          { { observee = { unique_id = "sam.student", password = "pass-sam.student" } } }
      end,
      update_settings = { { manual_mark_as_read = true } },
      update_dashboard_positions = { { course_1 = 1 } },
      moderate_all_eportfolios = { { spam_status = "marked_as_safe" } },
      update_text_editor_preference = { "rce" },
      update_files_ui_version_preference = { "v2" },
      get_custom_data = function(_, u)
        u:set_custom_data("org.example.spec", "k", 1)
        return u, { "org.example.spec", "k" }
      end,
      set_custom_data = { "org.example.spec", "k", { n = 1 } },
      delete_custom_data = function(_, u)
        u:set_custom_data("org.example.spec", "k", 1)
        return u, { "org.example.spec", "k" }
      end,
      merge_into = function(w) return w.canvas:get_user(300), { 301 } end,
      split = function(w)
        local u = w.canvas:get_user(302)
        u:merge_into(303)
        return u, {}
      end,
    },
  },
})

return User
