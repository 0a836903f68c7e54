--- The CSVs of the account reports the sandbox runs, made from its store as
-- canvas-lms's account_reports plugin makes them
-- (gems/plugins/account_reports/lib/account_reports/: engine.rb lists the
-- reports and their parameters, sis_exporter.rb writes provisioning_csv and
-- sis_export_csv, student_reports.rb last_user_access_csv, report_helper.rb
-- the extra_text notes and the dates in the account's time zone).
--
--   M.REPORTS: {report=, title=, parameters = {{name, description, required}...}, run = fn(r)}
--   run(r) with r = {app=, account=, root=, parameters=}: returns a list of
--   {name=, rows=} (one: a CSV; several: a zip of name.csv), or nothing (no
--   file: the report ends in error); raises for a bad term or course id.
local csvlib = require "lcanvas.sandbox.csv"
local course_data = require "lcanvas.sandbox.course_data"
local SisCsv = require "lcanvas.sandbox.sis_csv"
local util = require "lcanvas.sandbox.util"

local M = {}

-- Time -------------------------------------------------------------------------

local function epoch(iso)
  local y, mo, d, h, mi, s = tostring(iso):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then return nil end
  return SisCsv.days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600
    + tonumber(mi) * 60 + tonumber(s)
end

-- America/Denver: UTC-7, or UTC-6 from the second Sunday of March (02:00
-- local) to the first Sunday of November (02:00 local), as the US has since 2007.
local function denver_offset(t)
  local y = tonumber(os.date("!%Y", t))
  local function sunday(month, n)
    local days = SisCsv.days_from_civil(y, month, 1)
    local wday = (days + 4) % 7   -- 1970-01-01 was a Thursday; 0 is Sunday
    return days + (7 - wday) % 7 + 7 * (n - 1)
  end
  local start = sunday(3, 2) * 86400 + 9 * 3600
  local stop = sunday(11, 1) * 86400 + 8 * 3600
  return (t >= start and t < stop) and -6 or -7
end

--- default_timezone_format: a stored time in the account's time zone, ISO
-- 8601 with its offset (America/Denver, else UTC); nil stays nil.
function M.local_time(iso, zone)
  local t = iso and epoch(iso)
  if not t then return nil end
  if zone == "America/Denver" then
    local off = denver_offset(t)
    return os.date("!%Y-%m-%dT%H:%M:%S", t + off * 3600)
      .. string.format("%s%02d:00", off < 0 and "-" or "+", math.abs(off))
  end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

-- Helpers ------------------------------------------------------------------------

local function bool(v) return util.truthy(type(v) == "string" and v:lower() or v) end
local function present(v) return v ~= nil and tostring(v):match("%S") ~= nil end

-- User#first_name / last_name from "Last, First" (User.name_parts).
local function name_parts(u)
  local last, first = (u.sortable_name or ""):match("^(.-),%s*(.*)$")
  if last then return first ~= "" and first or nil, last ~= "" and last or nil end
  local f, l = (u.name or ""):match("^(.-)%s+(%S+)$")
  return f or u.name, l
end

local function sorted(t, key)
  local out = {}
  for _, x in pairs(t) do out[#out + 1] = x end
  table.sort(out, function(a, b) return (key and a[key] or a.id) < (key and b[key] or b.id) end)
  return out
end

local function add_extra(r, text)
  local p = r.parameters
  if present(p.extra_text) then p.extra_text = p.extra_text .. " " .. text else p.extra_text = text end
end

-- api_find of the report's term or course (an unknown one raises).
local function term_of(r)
  local ref = r.parameters.enrollment_term_id or r.parameters.enrollment_term
  if not present(ref) then return nil end
  local t = r.app.store:find_term(r.root.id, tostring(ref), course_data.today(r.app))
  if not t then error("Couldn't find EnrollmentTerm with API id '" .. tostring(ref) .. "'", 0) end
  return t
end
local function course_of(r)
  local ref = r.parameters.course_id or r.parameters.course
  if not present(ref) then return nil end
  local c = r.app.store:lookup("courses", tostring(ref))
  if not c or c.root_account_id ~= r.root.id then
    error("Couldn't find Course with API id '" .. tostring(ref) .. "'", 0)
  end
  return c
end

-- The users of an account: its own, and those enrolled in its courses
-- (UserAccountAssociation).
local function user_in(store, u, account)
  if util.in_account(store, u, account.id) then return true end
  for _, e in ipairs(store:enrollments_of(u.id)) do
    local c = store.courses[e.course_id]
    if c and e.enrollment_state ~= "deleted" and store:account_under(c.account_id, account.id) then return true end
  end
  return false
end

local function login_state(u) return u.pseudonym_state or "active" end

-- The SIS exporter --------------------------------------------------------------

local SIS_CSV_REPORTS = { "users", "accounts", "terms", "courses", "sections", "enrollments", "groups",
  "group_membership", "group_categories", "xlist", "user_observers", "admins" }

local COURSE_STATE = { claimed = "unpublished", created = "unpublished", completed = "concluded", deleted = "deleted",
  available = "active" }

local function exporter(sis)
  return function(r)
    local app, store, account, root = r.app, r.app.store, r.account, r.root
    local zone = root.default_time_zone or "America/Denver"
    local p = r.parameters
    local term = term_of(r)
    add_extra(r, string.format("Term: %s;", term and term.name or "All Terms"))
    local include_deleted = present(p.include_deleted) and bool(p.include_deleted)
    if include_deleted then add_extra(r, "Include Deleted Objects;") end
    local by_sis = present(p.created_by_sis)
    local under = function(c) return store:account_under(c.account_id, account.id) end
    local in_term = function(c) return not term or c.enrollment_term_id == term.id end
    local function created_by_sis(x) return x.sis_import_id ~= nil end

    local build = {}
    function build.users()
      local head = sis and { "user_id", "integration_id", "authentication_provider_id", "login_id", "password",
        "first_name", "last_name", "full_name", "sortable_name", "short_name", "email", "status" }
        or { "canvas_user_id", "user_id", "integration_id", "authentication_provider_id", "login_id", "first_name",
          "last_name", "full_name", "sortable_name", "short_name", "email", "status", "created_by_sis" }
      head[#head + 1] = "pronouns"   -- the sandbox's root account has pronouns on
      local rows = { head }
      for _, u in ipairs(sorted(store.users)) do
        local state = login_state(u)
        local ok = u.login_id and (not sis or u.sis_user_id) and (not by_sis or u.sis_import_id)
          and (state ~= "deleted" or (include_deleted and u.sis_user_id))
          and (account == root or user_in(store, u, account))
        if ok then
          local first, last = name_parts(u)
          local row, n = {}, 0
          local function put(x) n = n + 1; row[n] = x end
          if not sis then put(u.id) end
          put(u.sis_user_id); put(u.integration_id); put(nil); put(u.login_id)
          if sis then put(nil) end   -- password
          put(first); put(last); put(u.name); put(u.sortable_name); put(u.short_name); put(u.email); put(state)
          if not sis then put(created_by_sis(u)) end
          put(u.pronouns)
          row.n = n
          rows[#rows + 1] = row
        end
      end
      return rows
    end
    function build.accounts()
      local rows = { sis and { "account_id", "parent_account_id", "name", "status" }
        or { "canvas_account_id", "account_id", "canvas_parent_id", "parent_account_id", "name", "status",
          "created_by_sis" } }
      for _, a in ipairs(sorted(store.accounts)) do
        local parent = store.accounts[a.parent_account_id]
        local ok = parent and store:root_of(a.id) == root.id and (not sis or a.sis_account_id)
          and (not by_sis or a.sis_import_id)
          and (a.workflow_state ~= "deleted" or (include_deleted and a.sis_account_id))
          and (account == root or a.parent_account_id == account.id)
        if ok then
          local row = sis and { a.sis_account_id, parent.sis_account_id, a.name, a.workflow_state, n = 4 }
            or { a.id, a.sis_account_id, parent.id, parent.sis_account_id, a.name, a.workflow_state,
              created_by_sis(a), n = 7 }
          rows[#rows + 1] = row
        end
      end
      return rows
    end
    function build.terms()
      local rows = { sis and { "term_id", "name", "status", "start_date", "end_date" }
        or { "canvas_term_id", "term_id", "name", "status", "start_date", "end_date", "created_by_sis" } }
      for _, t in ipairs(sorted(store.terms)) do
        local ok = t.root_account_id == root.id and (not sis or t.sis_term_id) and (not by_sis or t.sis_import_id)
          and (t.workflow_state ~= "deleted" or (include_deleted and t.sis_term_id))
        if ok then
          local s, e = M.local_time(t.start_at, zone), M.local_time(t.end_at, zone)
          rows[#rows + 1] = sis and { t.sis_term_id, t.name, t.workflow_state, s, e, n = 5 }
            or { t.id, t.sis_term_id, t.name, t.workflow_state, s, e, created_by_sis(t), n = 7 }
        end
      end
      return rows
    end
    function build.courses()
      local rows = { sis and { "course_id", "integration_id", "short_name", "long_name", "account_id", "term_id",
        "status", "start_date", "end_date", "course_format", "blueprint_course_id" }
        or { "canvas_course_id", "course_id", "integration_id", "short_name", "long_name", "canvas_account_id",
          "account_id", "canvas_term_id", "term_id", "status", "start_date", "end_date", "course_format",
          "canvas_blueprint_course_id", "blueprint_course_id", "created_by_sis" } }
      for _, c in ipairs(sorted(store.courses)) do
        local live = c.workflow_state ~= "deleted" and c.workflow_state ~= "completed"
        local ok = c.root_account_id == root.id and (not sis or c.sis_course_id) and (not by_sis or c.sis_import_id)
          and (live or (include_deleted and (c.workflow_state ~= "deleted" or c.sis_course_id)))
          and under(c) and in_term(c)
        if ok then
          local a, t = store.accounts[c.account_id] or {}, store.terms[c.enrollment_term_id] or {}
          local state = sis and ((c.workflow_state == "deleted" or c.workflow_state == "completed") and c.workflow_state
            or "active") or COURSE_STATE[c.workflow_state]
          local s, e
          if c.restrict_enrollments_to_course_dates then
            s, e = M.local_time(c.start_at, zone), M.local_time(c.end_at, zone)
          end
          rows[#rows + 1] = sis and { c.sis_course_id, c.integration_id, c.course_code, c.name, a.sis_account_id,
            t.sis_term_id, state, s, e, nil, nil, n = 11 }
            or { c.id, c.sis_course_id, c.integration_id, c.course_code, c.name, c.account_id, a.sis_account_id,
              c.enrollment_term_id, t.sis_term_id, state, s, e, nil, nil, nil, created_by_sis(c), n = 16 }
        end
      end
      return rows
    end
    function build.sections()
      local rows = { sis and { "section_id", "course_id", "integration_id", "name", "status", "start_date", "end_date" }
        or { "canvas_section_id", "section_id", "canvas_course_id", "course_id", "integration_id", "name", "status",
          "start_date", "end_date", "canvas_account_id", "account_id", "created_by_sis" } }
      for _, s in ipairs(sorted(store.sections)) do
        local c = store.courses[s.course_id]
        local ok = c and c.root_account_id == root.id and under(c) and in_term(c) and (not by_sis or s.sis_import_id)
          and (include_deleted and (s.workflow_state ~= "deleted" or (s.sis_section_id and c.sis_course_id))
            or (not include_deleted and s.workflow_state ~= "deleted" and c.workflow_state ~= "deleted"))
          and (not sis or (s.sis_section_id and c.sis_course_id))
        if ok then
          local a = store.accounts[c.account_id] or {}
          local st, en
          if s.restrict_enrollments_to_section_dates then
            st, en = M.local_time(s.start_at, zone), M.local_time(s.end_at, zone)
          end
          rows[#rows + 1] = sis and { s.sis_section_id, c.sis_course_id, s.integration_id, s.name, s.workflow_state, st,
            en, n = 7 }
            or { s.id, s.sis_section_id, c.id, c.sis_course_id, s.integration_id, s.name, s.workflow_state, st, en,
              a.id, a.sis_account_id, created_by_sis(s), n = 12 }
        end
      end
      return rows
    end
    function build.enrollments()
      local rows = { sis and { "course_id", "user_id", "role", "role_id", "section_id", "status", "associated_user_id",
        "limit_section_privileges" }
        or { "canvas_course_id", "course_id", "canvas_user_id", "user_id", "role", "role_id", "canvas_section_id",
          "section_id", "status", "canvas_associated_user_id", "associated_user_id", "created_by_sis",
          "base_role_type", "limit_section_privileges", "canvas_enrollment_id" } }
      local list = {}
      for _, e in ipairs(store.enrollments) do list[#list + 1] = e end
      table.sort(list, function(a, b) return a.id < b.id end)
      for _, e in ipairs(list) do
        local s = store.sections[e.course_section_id] or {}
        local c = store.courses[s.course_id or e.course_id]
        local u = store.users[e.user_id]
        local state = e.enrollment_state
        local ok = c and u and u.login_id and c.root_account_id == root.id and under(c) and in_term(c)
          and (not by_sis or e.sis_import_id)
          and (include_deleted and (state ~= "deleted" or e.sis_import_id)
            or (not include_deleted and state ~= "deleted" and state ~= "completed"))
          and (include_deleted or login_state(u) ~= "deleted")
          and (not sis or ((state ~= "rejected" and state ~= "invited" and state ~= "creation_pending")
            and (c.sis_course_id or s.sis_section_id)))
        if ok then
          local shown
          if s.workflow_state == "deleted" or c.workflow_state == "deleted" then shown = "deleted"
          elseif state == "invited" or state == "creation_pending" then shown = "invited"
          elseif state == "completed" then shown = "concluded"
          else shown = state end
          local role = store.roles[e.role_id]
          local sis_role = (role and role.workflow_state ~= "built_in") and role.name or course_data.sis_type(e.type)
          local assoc = e.associated_user_id and store.users[e.associated_user_id]
          rows[#rows + 1] = sis and { c.sis_course_id, u.sis_user_id, sis_role, e.role_id, s.sis_section_id, shown,
            assoc and assoc.sis_user_id, e.limit_privileges_to_course_section == true, n = 8 }
            or { e.course_id, c.sis_course_id, u.id, u.sis_user_id, sis_role, e.role_id, e.course_section_id,
              s.sis_section_id, shown, e.associated_user_id, assoc and assoc.sis_user_id or nil, created_by_sis(e),
              e.type, e.limit_privileges_to_course_section == true, e.id, n = 15 }
        end
      end
      return rows
    end
    -- The sandbox has no groups: these files have their headers only.
    function build.groups()
      return { sis and { "group_id", "group_category_id", "account_id", "course_id", "name", "status" }
        or { "canvas_group_id", "group_id", "canvas_group_category_id", "group_category_id", "canvas_account_id",
          "account_id", "canvas_course_id", "course_id", "name", "status", "created_by_sis", "context_id",
          "context_type", "max_membership" } }
    end
    function build.group_membership()
      return { sis and { "group_id", "user_id", "status" }
        or { "canvas_group_id", "group_id", "canvas_user_id", "user_id", "status", "created_by_sis" } }
    end
    function build.group_categories()
      return { sis and { "group_category_id", "account_id", "course_id", "category_name", "status" }
        or { "canvas_group_category_id", "group_category_id", "context_id", "context_type", "name", "role",
          "self_signup", "group_limit", "auto_leader", "status" } }
    end
    function build.xlist()
      local rows = { sis and { "xlist_course_id", "section_id", "status" }
        or { "canvas_xlist_course_id", "xlist_course_id", "canvas_section_id", "section_id", "status",
          "canvas_nonxlist_course_id", "nonxlist_course_id" } }
      for _, s in ipairs(sorted(store.sections)) do
        local c, nx = store.courses[s.course_id], store.courses[s.nonxlist_course_id or -1]
        local ok = c and nx and c.root_account_id == root.id and under(c) and in_term(c)
          and (not by_sis or s.sis_import_id) and (not sis or (c.sis_course_id and s.sis_section_id))
          and (include_deleted and ((c.workflow_state ~= "deleted" and s.workflow_state ~= "deleted")
            or (c.sis_course_id and s.sis_section_id))
            or (not include_deleted and c.workflow_state ~= "deleted" and c.workflow_state ~= "completed"
              and s.workflow_state ~= "deleted"))
        if ok then
          rows[#rows + 1] = sis and { c.sis_course_id, s.sis_section_id, s.workflow_state, n = 3 }
            or { c.id, c.sis_course_id, s.id, s.sis_section_id, s.workflow_state, nx.id, nx.sis_course_id, n = 7 }
        end
      end
      return rows
    end
    function build.user_observers()
      local rows = { sis and { "observer_id", "student_id", "status" }
        or { "canvas_observer_id", "observer_id", "canvas_student_id", "student_id", "status", "created_by_sis" } }
      local st = app.observee_state and app.observee_state()
      -- the sandbox's links were not made by SIS: the SIS format, which
      -- wants SIS-made links only, has none
      if not sis and not by_sis then
        for _, l in ipairs(st and st.links or {}) do
          local o, s = store.users[l.observer_id], store.users[l.student_id]
          if o and s and o.login_id and s.login_id and l.root_account_id == root.id
              and (account == root or user_in(store, s, account)) then
            rows[#rows + 1] = { o.id, o.sis_user_id, s.id, s.sis_user_id, "active", false, n = 6 }
          end
        end
      end
      return rows
    end
    function build.admins()
      local rows = { sis and { "user_id", "account_id", "role_id", "role", "status" }
        or { "admin_user_name", "canvas_user_id", "user_id", "canvas_account_id", "account_id", "role_id", "role",
          "status", "created_by_sis" } }
      local list = {}
      for _, au in ipairs(store.account_users) do list[#list + 1] = au end
      table.sort(list, function(a, b) return a.id < b.id end)
      for _, au in ipairs(list) do
        local u, a, role = store.users[au.user_id], store.accounts[au.account_id], store.roles[au.role_id]
        local ok = u and a and role and u.login_id and store:account_under(a.id, account.id)
          and (include_deleted or au.workflow_state ~= "deleted") and not sis
        if ok then
          rows[#rows + 1] = { u.name, u.id, u.sis_user_id, a.id, a.sis_account_id, role.id, role.name,
            au.workflow_state, false, n = 9 }
        end
      end
      return rows
    end

    local chosen = {}
    for _, name in ipairs(SIS_CSV_REPORTS) do
      if p[name] ~= nil and bool(p[name]) then chosen[#chosen + 1] = name end
    end
    local files = {}
    for _, name in ipairs(chosen) do files[#files + 1] = name .. " " end
    add_extra(r, "Reports: " .. table.concat(files))
    local out = {}
    for _, name in ipairs(chosen) do out[#out + 1] = { name = name, rows = build[name]() } end
    return out
  end
end

-- last_user_access_csv: each active login's last request, in the account's zone.
local function last_user_access(r)
  local store, account, root = r.app.store, r.account, r.root
  local zone = root.default_time_zone or "America/Denver"
  local term, course = term_of(r), course_of(r)
  add_extra(r, string.format("Term: %s;", term and term.name or "All Terms"))
  if course then add_extra(r, string.format("For Course: %d;", course.id)) end
  local include_deleted = present(r.parameters.include_deleted) and bool(r.parameters.include_deleted)
  local rows = { { "user id", "user sis id", "user name", "last access at", "last ip" } }
  for _, u in ipairs(sorted(store.users)) do
    local ok = u.login_id and login_state(u) == "active" and (account == root or user_in(store, u, account))
    if ok and (term or course) then
      ok = false
      for _, e in ipairs(store:enrollments_of(u.id)) do
        local c = store.courses[e.course_id]
        if c and (include_deleted or e.enrollment_state ~= "deleted") and (not term or c.enrollment_term_id == term.id)
            and (not course or c.id == course.id) then
          ok = true
        end
      end
    end
    if ok then
      rows[#rows + 1] = { u.id, u.sis_user_id, u.sortable_name, M.local_time(u.last_login, zone), nil, n = 5 }
    end
  end
  return { { name = "last_user_access", rows = rows } }
end

local TERM_PARAM = { "enrollment_term_id", "The canvas id of the term of courses to report on" }
local function sis_parameters(what)
  local list = { TERM_PARAM }
  for _, name in ipairs({ "users", "accounts", "terms", "courses", "sections", "enrollments", "groups",
    "group_categories", "group_membership" }) do
    list[#list + 1] = { name, string.format("Get the %s file for %s", what, name) }
  end
  list[#list + 1] = { "xlist", string.format("Get the %s file for cross listed courses", what) }
  list[#list + 1] = { "user_observers", string.format("Get the %s file for user_observers", what) }
  list[#list + 1] = { "admins", string.format("Get the %s file for admins", what) }
  list[#list + 1] = { "created_by_sis", "Only include objects that were created by sis" }
  list[#list + 1] = { "include_deleted", "Include deleted objects" }
  return list
end

--- The reports the sandbox runs, in the order engine.rb registers them.
M.REPORTS = {
  { report = "last_user_access_csv", title = "Last User Access", run = last_user_access, parameters = {
    { "enrollment_term_id", "The canvas id of the term to get grades from" },
    { "course_id", "The course to report on" },
    { "include_deleted", "Include deleted objects" } } },
  { report = "provisioning_csv", title = "Provisioning", run = exporter(false),
    parameters = sis_parameters("Provisioning") },
  { report = "sis_export_csv", title = "SIS Export", run = exporter(true), parameters = sis_parameters("SIS") },
}

--- A report's files as the bytes of one CSV, or a zip of name.csv files.
function M.render(files)
  if #files == 1 then return csvlib.format(files[1].rows), "csv" end
  local entries = {}
  for i, f in ipairs(files) do entries[i] = { name = f.name .. ".csv", data = csvlib.format(f.rows) } end
  return require("lcanvas.sandbox.zip").write(entries), "zip"
end

return M
