--- The id types Canvas looks each kind of resource up by: canvas-lms
-- lib/api.rb, SIS_MAPPINGS and sis_parse_id. A path id may be a number, or
-- "<type>:<value>" (also "hex:<type>:<hex>") for one of these types, or a
-- word its controller takes ("self"); Canvas answers anything else with
-- 404. A row's id argument names its set (`ids = ids.users`), and the
-- invoker refuses any other type before sending. Words are the
-- controllers' own: users "self" (api_find), accounts "self", "default"
-- and "site_admin" (accounts_controller, api_find), terms "default" and
-- "current" (terms_api_controller).
local M = {
  courses = { resource = "courses", "sis_course_id", "sis_integration_id", "lti_context_id", "uuid" },
  enrollment_terms = { resource = "terms", "sis_term_id", "sis_integration_id",
    words = { "default", "current" } },
  users = { resource = "users", "sis_user_id", "sis_login_id", "sis_integration_id", "lti_context_id",
    "lti_user_id", "lti_1_1_id", "lti_1_3_id", "uuid", words = { "self" } },
  accounts = { resource = "accounts", "sis_account_id", "sis_integration_id", "lti_context_id", "uuid",
    words = { "self", "default", "site_admin" } },
  course_sections = { resource = "sections", "sis_section_id", "sis_integration_id" },
  groups = { resource = "groups", "sis_group_id", "lti_context_id" },
  group_categories = { resource = "group categories", "sis_group_category_id" },
  assignments = { resource = "assignments", "sis_assignment_id", "lti_context_id" },
  --- ids.plain: resources Canvas finds by their numeric id only (no SIS mapping).
  plain = { resource = "these objects (by number)" },
}

return M
