--- SIS CSV files applied to the sandbox's store, as canvas-lms's SIS
-- importers apply them (lib/sis/csv/import_refactored.rb finds each file's
-- importer from its headers; lib/sis/csv/*_importer.rb read the columns;
-- lib/sis/{account,term,course,section,user,enrollment}_importer.rb change
-- the records and word the per-row messages). accounts, terms, courses,
-- sections, users and enrollments are imported; any other file gets Canvas's
-- "Couldn't find Canvas CSV import headers".
--
-- An import keeps, on its batch record:
--   batch.errors    the SisBatchError rows: {file, message, row, failure}
--   batch.rollback  SisBatchRollBackData: each state a row changed
--                   ({type, record, field, prev, now, batch_mode, state})
-- and counts the rows each importer took in batch.data.counts.
local csv = require "lcanvas.sandbox.csv"
local zip = require "lcanvas.sandbox.zip"
local util = require "lcanvas.sandbox.util"

local M = {}

--- Every importer, in the order Canvas runs them; the counts carry them all.
M.IMPORTERS = { "change_sis_id", "account", "term", "abstract_course", "course", "section", "xlist", "user",
  "enrollment", "admin", "group_category", "group", "group_membership", "grade_publishing_results",
  "user_observer" }

local COUNT_KEY = { change_sis_id = "change_sis_ids", account = "accounts", term = "terms",
  abstract_course = "abstract_courses", course = "courses", section = "sections", xlist = "xlists",
  user = "users", enrollment = "enrollments", admin = "admins", group_category = "group_categories",
  group = "groups", group_membership = "group_memberships",
  grade_publishing_results = "grade_publishing_results", user_observer = "user_observers" }
M.COUNT_KEY = COUNT_KEY

-- The headers each supported importer recognises its files by (`*_csv?`),
-- tried in IMPORTERS order.
local DETECT = {
  { "account", function(h) return h.account_id and h.parent_account_id end },
  { "term", function(h) return h.term_id and h.name end },
  { "course", function(h) return h.course_id and h.short_name end },
  { "section", function(h) return h.section_id and h.name end },
  { "user", function(h) return h.user_id and h.login_id end },
  { "enrollment", function(h) return (h.section_id or h.course_id) and (h.user_id or h.user_integration_id) end },
}

-- What import_refactored.rb leaves out of a zip.
local function ignored(name)
  local l = name:lower()
  return l:find("__macosx", 1, true) or l:find("desktop d[bf]")
end

-- Rails's blank?: nil or only whitespace.
local function blank(v) return v == nil or tostring(v):match("^%s*$") ~= nil end
local function present(v) return not blank(v) end

local function ci_match(s, pattern) return s ~= nil and tostring(s):lower():find(pattern) ~= nil end

-- Days since 1970-01-01 of a civil date (proleptic Gregorian), so that
-- dates convert without the machine's time zone.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end
M.days_from_civil = days_from_civil

--- A date of a SIS file as the sandbox stores dates (ISO 8601 in UTC), and
-- whether it could be read (a blank one reads as nil). A bare date is
-- midnight UTC; a time without an offset is UTC.
local function parse_date(s)
  if blank(s) then return nil, true end
  s = tostring(s)
  local y, mo, d, rest = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)(.*)$")
  if not y then return nil, false end
  local h, mi, sec, zone = 0, 0, 0, ""
  if rest ~= "" then
    local hh, mm, ss, z = rest:match("^[T ](%d%d):(%d%d):?(%d*)%.?%d*%s*(.*)$")
    if not hh then return nil, false end
    h, mi, sec, zone = tonumber(hh), tonumber(mm), tonumber(ss) or 0, z
  end
  local t = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + h * 3600 + mi * 60 + sec
  if zone ~= "" and zone ~= "Z" and zone ~= "UTC" then
    local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil, false end
    local off = tonumber(oh) * 3600 + tonumber(om) * 60
    t = sign == "+" and t - off or t + off
  end
  return util.iso(t), true
end
M.parse_date = parse_date

--- A SIS import of `files` ({name=, data=}) into the store for `batch`.
-- opts: app, root (the root account), user_id (who started it), now.
-- Raises (a Lua error) for what Canvas fails on as an exception: a file it
-- cannot open as a zip.
function M.new(app, batch, root, attach)
  local store = app.store
  local self = { csvs = {}, total_rows = 1 }
  for _, k in ipairs(M.IMPORTERS) do self.csvs[k] = {} end
  local now = util.iso()

  local function add_error(file, message, row, failure)
    batch.errors[#batch.errors + 1] = { file = file, message = message, row = row, failure = failure == true,
      created_at = now }
  end
  self.add_error = add_error

  local function note(type_, record, field, prev, new, batch_mode)
    if prev == new then return end
    batch.rollback[#batch.rollback + 1] = { type = type_, record = record, field = field,
      prev = prev or "non-existent", now = new, batch_mode = batch_mode == true, state = "active" }
  end
  self.note = note

  -- Files ----------------------------------------------------------------------

  local function process_file(name, data)
    if not name:lower():match("%.csv$") then
      add_error(name, "Skipping unknown file type")
      return
    end
    if not utf8.len(data) then
      add_error(name, "Invalid UTF-8", nil, true)
      return
    end
    local rows = csv.parse(data)
    if not rows then
      add_error(name, "Malformed CSV", nil, true)
      return
    end
    if #rows == 0 then return end
    local headers, set = {}, {}
    for i, h in ipairs(rows[1]) do
      headers[i] = h:lower()
      set[headers[i]] = true
    end
    local importer
    for _, d in ipairs(DETECT) do
      if d[2](set) then importer = d[1] break end
    end
    if not importer then
      add_error(name, "Couldn't find Canvas CSV import headers", nil, true)
      return
    end
    local list = {}
    for i = 2, #rows do
      local r = rows[i]
      if not (#r == 1 and r[1] == "") then   -- blank lines are skipped
        local row = { lineno = r.line }
        for k, h in ipairs(headers) do
          local v = r[k]
          if v ~= nil then row[h] = v:match("^%s*(.-)%s*$") end
        end
        list[#list + 1] = row
      end
    end
    self.total_rows = self.total_rows + #list
    local att = attach and attach(name:match("[^/]+$"), data)
    table.insert(self.csvs[importer], { file = name, rows = list, attachment = att })
  end

  --- Reads the uploaded file: a zip of CSVs, one CSV, or (another extension)
  -- nothing, as prepare does.
  function self.prepare(files)
    for _, f in ipairs(files) do
      local ext = (f.name:match("%.([^./]+)$") or ""):lower()
      if ext == "zip" then
        local entries, err = zip.read(f.data)
        if not entries then error(err, 0) end
        for _, e in ipairs(entries) do
          if not e.dir and not ignored(e.name) then process_file(e.name, e.data) end
        end
      elseif ext == "csv" then
        process_file(f.name, f.data)
      end
    end
  end

  -- Lookups in the root account --------------------------------------------

  local function by_field(records, field, value)
    for _, r in pairs(records) do
      if r[field] ~= nil and tostring(r[field]) == value then return r end
    end
  end
  local function account_by_sis(id)
    local a = by_field(store.accounts, "sis_account_id", id)
    if a and store:account_under(a.id, root.id) then return a end
  end
  local function course_by_sis(id)
    local c = by_field(store.courses, "sis_course_id", id)
    if c and c.root_account_id == root.id then return c end
  end
  local function section_by_sis(id)
    local s = by_field(store.sections, "sis_section_id", id)
    local c = s and store.courses[s.course_id]
    if c and c.root_account_id == root.id then return s end
  end
  local function term_by_sis(id, active_only)
    for _, t in pairs(store.terms) do
      if t.root_account_id == root.id and t.sis_term_id == id and (not active_only or t.workflow_state == "active") then
        return t
      end
    end
  end
  local function login_state(u) return u.pseudonym_state or "active" end
  local function default_section(c)
    for _, s in ipairs(store:sections_of(c.id)) do
      if s.default_section then return s end
    end
    local s = { id = store:new_id(), course_id = c.id, name = c.name, default_section = true, workflow_state = "active",
      created_at = now }
    store.sections[s.id] = s
    return s
  end

  -- A course's state changes its enrollments (Course#update_enrolled_users):
  -- concluding completes the active and invited ones, deleting deletes all.
  local function course_state_changed(c, batch_mode)
    for _, e in ipairs(store:enrollments_in(c.id)) do
      local to
      if c.workflow_state == "completed" and (e.enrollment_state == "active" or e.enrollment_state == "invited") then
        to = "completed"
      elseif c.workflow_state == "deleted" and e.enrollment_state ~= "deleted" then
        to = "deleted"
      end
      if to then
        note("Enrollment", e, "enrollment_state", e.enrollment_state, to, batch_mode)
        e.enrollment_state, e.updated_at = to, now
      end
    end
  end
  self.course_state_changed = course_state_changed

  local function delete_section_enrollments(s, batch_mode)
    for _, e in ipairs(store.enrollments) do
      if e.course_section_id == s.id and e.enrollment_state ~= "deleted" then
        note("Enrollment", e, "enrollment_state", e.enrollment_state, "deleted", batch_mode)
        e.enrollment_state, e.updated_at = "deleted", now
      end
    end
  end
  self.delete_section_enrollments = delete_section_enrollments

  -- Importers: each returns nothing for a row it took, or a message -------

  local function skip_delete(status)
    return batch.options.skip_deletes and ci_match(status, "deleted")
  end

  local importers = {}

  function importers.account(r)
    local id = r.account_id
    if blank(id) then return "No account_id given for an account" end
    local parent
    if present(r.parent_account_id) then
      parent = account_by_sis(r.parent_account_id)
      if not parent then return "Parent account didn't exist for " .. id end
    end
    local a = account_by_sis(id)
    if not a then
      if blank(r.name) then return string.format("No name given for account %s, skipping", id) end
      if not ci_match(r.status, "^active") and not ci_match(r.status, "^deleted") then
        return string.format('Improper status "%s" for account %s, skipping', r.status or "", id)
      end
      local new_id = store:new_id()
      a = { id = new_id, root_account_id = root.id, created_at = now,
        uuid = string.format("SbxAccountUuid%026d", new_id) }
      store.accounts[a.id] = a
    end
    local prev = a.workflow_state
    a.parent_account_id = (parent or root).id
    if present(r.name) then a.name = r.name end
    a.integration_id = present(r.integration_id) and r.integration_id or nil
    a.sis_account_id, a.sis_import_id = id, batch.id
    if ci_match(r.status, "active") then a.workflow_state = "active"
    elseif ci_match(r.status, "deleted") then a.workflow_state = "deleted" end
    a.workflow_state = a.workflow_state or "active"
    note("Account", a, "workflow_state", prev, a.workflow_state)
  end

  function importers.term(r)
    local id = r.term_id
    if blank(id) then return "No term_id given for a term" end
    if not ci_match(r.status, "^active") and not ci_match(r.status, "^deleted") then
      return string.format('Improper status "%s" for term %s', r.status or "", id)
    end
    if skip_delete(r.status) then return false end
    local start_at, ok1 = parse_date(r.start_date)
    local end_at, ok2 = parse_date(r.end_date)
    if not (ok1 and ok2) then return "Bad date format for term " .. id end
    local t = term_by_sis(id)
    local kind = r.date_override_enrollment_type
    if present(kind) then
      if not t then return "Cannot set date override on non-existent term" end
      if not ({ StudentEnrollment = true, TeacherEnrollment = true, TaEnrollment = true,
          DesignerEnrollment = true })[kind] then
        return "Invalid date_override_enrollment_type"
      end
      t.overrides = t.overrides or {}
      if ci_match(r.status, "active") then t.overrides[kind] = { start_at = start_at, end_at = end_at }
      else t.overrides[kind] = nil end
      t.sis_import_id = batch.id
      return
    end
    if blank(r.name) then return "No name given for term " .. id end
    if not t then
      t = { id = store:new_id(), root_account_id = root.id, created_at = now }
      store.terms[t.id] = t
    end
    local prev = t.workflow_state
    t.name, t.sis_term_id, t.sis_import_id = r.name, id, batch.id
    t.integration_id = present(r.integration_id) and r.integration_id or nil
    t.workflow_state = ci_match(r.status, "active") and "active" or "deleted"
    t.start_at, t.end_at = start_at, end_at
    note("EnrollmentTerm", t, "workflow_state", prev, t.workflow_state)
  end

  function importers.course(r)
    local id = r.course_id
    local start_at, ok1 = parse_date(r.start_date)
    local end_at, ok2 = parse_date(r.end_date)
    if not (ok1 and ok2) then
      add_error(self.file, "Bad date format for course " .. tostring(id or ""), r.lineno)
      start_at, end_at = nil, nil
    end
    if blank(id) then return "No course_id given for a course" end
    if blank(r.short_name) then return "No short_name given for course " .. id end
    if blank(r.long_name) then return "No long_name given for course " .. id end
    local status = r.status or ""
    if not (ci_match(status, "^active") or ci_match(status, "^deleted") or ci_match(status, "^completed")
        or ci_match(status, "^unpublished")) then
      return string.format('Improper status "%s" for course %s', status, id)
    end
    if r.course_format ~= nil and present(r.course_format) and not (ci_match(r.course_format, "^online")
        or ci_match(r.course_format, "^on_campus") or ci_match(r.course_format, "^blended")
        or ci_match(r.course_format, "^not_set")) then
      return string.format('Invalid course_format "%s" for course %s', r.course_format, id)
    end
    if skip_delete(status) then return false end
    local c = course_by_sis(id)
    local new = c == nil
    if new then
      local cid = store:new_id()
      c = { id = cid, root_account_id = root.id, created_at = now, enrollment_term_id = store:default_term(root.id).id,
        uuid = string.format("SbxCourseUuid%027d", cid) }
    end
    local term = present(r.term_id) and term_by_sis(r.term_id, true)
    if term then c.enrollment_term_id = term.id end
    local account = (present(r.account_id) and account_by_sis(r.account_id))
      or (present(r.fallback_account_id) and account_by_sis(r.fallback_account_id))
    if account then c.account_id = account.id end
    c.account_id = c.account_id or root.id
    c.integration_id = present(r.integration_id) and r.integration_id or nil
    c.sis_course_id, c.sis_import_id = id, batch.id
    local prev = c.workflow_state
    if ci_match(status, "active") or status == "unpublished" then
      if prev == "completed" then c.workflow_state = "available"
      elseif prev == "deleted" or prev == "created" or prev == nil then c.workflow_state = "claimed" end
    elseif ci_match(status, "deleted") then c.workflow_state = "deleted"
    elseif ci_match(status, "completed") then c.workflow_state = "completed" end
    c.workflow_state = c.workflow_state or "claimed"
    c.start_at, c.end_at = start_at, end_at
    c.restrict_enrollments_to_course_dates = (start_at ~= nil or end_at ~= nil) or nil
    c.course_code, c.name = r.short_name, r.long_name
    c.updated_at = now
    if new then
      store.courses[c.id] = c
      default_section(c)
    end
    note("Course", c, "workflow_state", prev, c.workflow_state)
    if not new and prev ~= c.workflow_state then course_state_changed(c) end
  end

  function importers.section(r)
    local id, course_id, status = r.section_id, r.course_id, r.status or ""
    local start_at, ok1 = parse_date(r.start_date)
    local end_at, ok2 = parse_date(r.end_date)
    if not (ok1 and ok2) then
      add_error(self.file, "Bad date format for section " .. tostring(id or ""), r.lineno)
      start_at, end_at = nil, nil
    end
    if blank(id) then return "No section_id given for a section in course " .. tostring(course_id or "") end
    if blank(course_id) then return "No course_id given for a section " .. id end
    if blank(r.name) and ci_match(status, "^active") then
      return string.format("No name given for section %s in course %s", id, course_id)
    end
    if not (ci_match(status, "^active") or ci_match(status, "^deleted")) then
      return string.format('Improper status "%s" for section %s in course %s', status, id, course_id)
    end
    if skip_delete(status) then return false end
    local c = course_by_sis(course_id)
    if not c then return string.format("Section %s references course %s which doesn't exist", id, course_id) end
    local s = section_by_sis(id)
    if not s and blank(r.name) then
      return string.format("No name given for section %s in course %s", id, course_id)
    end
    local new = s == nil
    if new then s = { id = store:new_id(), course_id = c.id, created_at = now } end
    if new or present(r.name) then s.name = r.name end
    if s.course_id ~= c.id then
      -- a section listed under another course moves there (un-cross-listed)
      s.course_id, s.nonxlist_course_id = c.id, nil
      for _, e in ipairs(store.enrollments) do
        if e.course_section_id == s.id then e.course_id = c.id end
      end
    end
    local prev = s.workflow_state
    s.integration_id = present(r.integration_id) and r.integration_id or nil
    s.sis_section_id, s.sis_import_id = id, batch.id
    s.workflow_state = ci_match(status, "active") and "active" or "deleted"
    s.start_at, s.end_at = start_at, end_at
    s.restrict_enrollments_to_section_dates = (start_at ~= nil or end_at ~= nil) or nil
    if new then store.sections[s.id] = s end
    note("CourseSection", s, "workflow_state", prev, s.workflow_state)
    if s.workflow_state == "deleted" then delete_section_enrollments(s) end
  end

  -- User#name from the row (infer_user_name), and sortable_name (infer_sortable_name).
  local function user_name(r, prior)
    if present(r.full_name) then return r.full_name end
    if present(r.first_name) or present(r.last_name) then
      return (r.first_name or "") .. " " .. (r.last_name or "")
    end
    return (present(prior) and prior) or (present(r.sortable_name) and r.sortable_name)
      or (present(r.short_name) and r.short_name) or r.login_id
  end
  -- User.last_name_first for a name without a sortable one: "Last, First".
  local function last_name_first(name)
    local first, last = name:match("^(.-)%s+(%S+)$")
    return first and (last .. ", " .. first) or name
  end
  local function sortable(r, name, prior)
    if present(r.sortable_name) then return r.sortable_name end
    if present(r.full_name) then return last_name_first(name) end
    if present(r.last_name) or present(r.first_name) then
      return (r.last_name or "") .. ", " .. (r.first_name or "")
    end
    return prior or last_name_first(name)
  end

  local function set_login(u, login)
    if u.login_id and store.by_login[u.login_id:lower()] == u then store.by_login[u.login_id:lower()] = nil end
    u.login_id = login
    store.by_login[login:lower()] = u
  end

  function importers.user(r)
    local id, login, status = r.user_id, r.login_id, r.status or ""
    if blank(id) then return "No user_id given for a user" end
    if blank(login) then return "No login_id given for user " .. id end
    if not (ci_match(status, "^active") or ci_match(status, "^deleted")) then
      return "Improper status for user " .. id
    end
    if skip_delete(status) then return false end
    local active = not ci_match(status, "^deleted")
    local u = store.by_sis[id]
    local by_login = store.by_login[login:lower()]
    if by_login and login_state(by_login) ~= "active" then by_login = nil end
    u = u or by_login
    local function claimed(other)
      local who = other.sis_user_id and ("SIS ID " .. other.sis_user_id) or ("Canvas ID " .. other.id)
      return string.format("An existing Canvas user with the %s has already claimed %s's user_id requested "
        .. "login information, skipping", who, id)
    end
    if u then
      if u.sis_user_id and u.sis_user_id ~= id then
        return string.format("An existing Canvas user with the SIS ID %s has already claimed %s's user_id "
          .. "requested login information, skipping", u.sis_user_id, id)
      end
      if by_login and ((by_login ~= u and active) or (u.login_id or ""):lower() ~= login:lower()) then
        return claimed(by_login)
      end
    end
    if not active and u and u.id == batch.user_id then
      return string.format("Can't remove yourself user_id '%s'", id)
    end
    if present(r.integration_id) then
      for _, other in pairs(store.users) do
        if other ~= u and other.integration_id == r.integration_id and active then
          local who = other.sis_user_id and ("SIS ID " .. other.sis_user_id) or ("Canvas ID " .. other.id)
          return string.format("An existing Canvas user with the %s has already claimed %s's requested "
            .. "integration_id, skipping", who, id)
        end
      end
    end
    local prev
    if u then
      prev = login_state(u)
      u.name = user_name(r, u.name)
      u.sortable_name = sortable(r, u.name, u.sortable_name)
      if present(r.short_name) then u.short_name = r.short_name end
    else
      local uid = store:new_id()
      local name = user_name(r)
      u = { id = uid, name = name, sortable_name = sortable(r, name), short_name = present(r.short_name)
        and r.short_name or name, locale = "en", time_zone = "America/Denver", created_at = now,
        account_id = root.id, avatar_url = "https://sandbox.test/images/avatars/" .. uid .. ".png",
        uuid = string.format("SbxUserUuid%029d", uid) }
      u.sis_user_id = id
      store:add_user(u)
    end
    if u.sis_user_id ~= id then
      if u.sis_user_id then store.by_sis[u.sis_user_id] = nil end
      u.sis_user_id = id
    end
    store.by_sis[id] = u
    set_login(u, login)
    if present(r.integration_id) then u.integration_id = r.integration_id end
    u.pseudonym_state = active and "active" or "deleted"
    u.sis_import_id = batch.id
    if present(r.email) and tostring(r.email):match("^[^@%s]+@[^@%s]+$") then u.email = r.email end
    if present(r.password) then u.password = r.password end
    note("Pseudonym", u, "pseudonym_state", prev, u.pseudonym_state)
    if not active and prev then
      -- the user's last login went: their enrollments in this root account go too
      for _, e in ipairs(store:enrollments_of(u.id)) do
        if e.root_account_id == root.id and e.enrollment_state ~= "deleted" then
          note("Enrollment", e, "enrollment_state", e.enrollment_state, "deleted")
          e.enrollment_state, e.updated_at = "deleted", now
        end
      end
    end
  end

  local ROLE_TYPES = { { "^teacher$", "TeacherEnrollment" }, { "^student", "StudentEnrollment" },
    { "^ta$", "TaEnrollment" }, { "^observer$", "ObserverEnrollment" }, { "^designer$", "DesignerEnrollment" } }

  function importers.enrollment(r)
    local course_id, section_id, user_id, status = r.course_id, r.section_id, r.user_id, r.status or ""
    local start_at, ok1 = parse_date(r.start_date)
    local end_at, ok2 = parse_date(r.end_date)
    if not (ok1 and ok2) then
      add_error(self.file, string.format("Bad date format for user %s in %s %s", tostring(user_id or ""),
        blank(course_id) and "section" or "course", present(course_id) and course_id or tostring(section_id or "")),
        r.lineno)
      start_at, end_at = nil, nil
    end
    if blank(course_id) and blank(section_id) then return "No course_id or section_id given for an enrollment" end
    if blank(user_id) and blank(r.user_integration_id) then return "No user_id given for an enrollment" end
    if not (ci_match(status, "^active") or ci_match(status, "^deleted") or ci_match(status, "^completed")
        or ci_match(status, "^inactive")) then
      return string.format('Improper status "%s" for an enrollment', status)
    end
    if skip_delete(status) then return false end
    -- another root account's users: the sandbox has no trusted accounts
    if present(r.root_account) then return false end
    local u
    if present(user_id) then u = store.by_sis[user_id]
    else
      for _, x in pairs(store.users) do if x.integration_id == r.user_integration_id then u = x end end
    end
    if not u then return string.format("User %s didn't exist for user enrollment", user_id or r.user_integration_id) end
    local c = present(course_id) and course_by_sis(course_id) or nil
    local s = present(section_id) and section_by_sis(section_id) or nil
    if not c and not s then
      return string.format("Neither course %s nor section %s existed for user enrollment", course_id or "",
        section_id or "")
    end
    if present(section_id) and not s then return "An enrollment referenced a non-existent section " .. section_id end
    if present(course_id) and not c then return "An enrollment referenced a non-existent course " .. course_id end
    if not s or (blank(section_id) and not s.default_section) then s = default_section(c) end
    if not c or (blank(course_id) and c.id ~= s.course_id) then c = store.courses[s.course_id] end
    if c.id ~= s.course_id then return "An enrollment listed a section and a course that are unrelated" end
    local role = r.role or ""
    local custom, etype
    if present(r.role_id) then
      custom = store.roles[util.to_int(r.role_id) or -1]
      if custom and custom.base_role_type == "AccountMembership" then custom = nil end
    else
      for _, x in pairs(store.roles) do
        if x.name == role and x.base_role_type ~= "AccountMembership" and x.workflow_state ~= "inactive"
            and x.workflow_state ~= "deleted" then
          custom = x
        end
      end
    end
    local associated
    if custom then etype = custom.base_role_type
    else
      for _, m in ipairs(ROLE_TYPES) do
        if role:lower():find(m[1]) then etype = m[2] break end
      end
      if etype == "ObserverEnrollment" and present(r.associated_user_id) then
        local student = store.by_sis[r.associated_user_id]
        for _, e in ipairs(student and store:enrollments_in(c.id) or {}) do
          if e.user_id == student.id and e.type == "StudentEnrollment" and (not ci_match(status, "^active")
              or e.enrollment_state == "active" or e.enrollment_state == "invited") then
            associated = student.id
          end
        end
      end
    end
    if not etype then return string.format('Improper role "%s" for an enrollment', role) end
    local found
    for _, e in ipairs(store.enrollments) do
      if e.user_id == u.id and e.course_section_id == s.id and e.type == etype and e.associated_user_id == associated
          and (not custom or e.role_id == custom.id) then
        found = e
      end
    end
    local state
    if ci_match(status, "^active") then
      if login_state(u) ~= "deleted" then state = "active"
      else
        state = "deleted"
        add_error(self.file, string.format("Attempted enrolling of deleted user %s in course %s", user_id,
          course_id or ""), r.lineno)
      end
    elseif ci_match(status, "^deleted") then state = "deleted"
    elseif ci_match(status, "^completed") then state = "completed"
    else state = "inactive" end
    local prev = found and found.enrollment_state
    local e = found or app.add_enrollment(c, s, { user_id = u.id, type = etype, role = custom, state = state,
      associated_user_id = associated })
    e.enrollment_state, e.updated_at = state, now
    e.start_at, e.end_at = start_at, end_at
    e.limit_privileges_to_course_section = util.truthy(r.limit_section_privileges)
    e.sis_import_id = batch.id
    note("Enrollment", e, "enrollment_state", prev, state)
  end

  --- Runs every importer over its files, in Canvas's order; counts the
  -- rows each took.
  function self.run()
    local counts = batch.data.counts
    for _, kind in ipairs(M.IMPORTERS) do
      local files = self.csvs[kind]
      if #files > 0 then
        local n = 0
        for _, f in ipairs(files) do
          self.file = f.file
          for _, r in ipairs(f.rows) do
            local message = importers[kind](r)
            if message == nil then n = n + 1
            elseif message then add_error(f.file, message, r.lineno) end
          end
        end
        counts[COUNT_KEY[kind]] = n
        table.insert(batch.data.completed_importers, kind)
      end
    end
  end

  return self
end

--- The kinds of files an import found (data.supplied_batches).
function M.supplied(importer)
  local out = {}
  for _, k in ipairs(M.IMPORTERS) do
    if #importer.csvs[k] > 0 then out[#out + 1] = k end
  end
  return out
end

-- Statistics -----------------------------------------------------------------

-- The types SisBatch#statistics reports, with Canvas's states for each.
M.STAT_TYPES = { "Account", "EnrollmentTerm", "CommunicationChannel", "AbstractCourse", "Course", "CourseSection",
  "Enrollment", "GroupCategory", "Group", "GroupMembership", "Pseudonym", "UserObserver", "AccountUser" }

local function active_state(type_, s)
  if type_ == "Course" then return s == "claimed" or s == "created" or s == "available" end
  if type_ == "Group" then return s == "available" end
  if type_ == "GroupMembership" then return s == "accepted" end
  return s == "active"
end
local function restored_from(type_, s)
  if type_ == "Course" then return s == "completed" or s == "deleted" end
  if type_ == "Enrollment" then
    return s == "inactive" or s == "completed" or s == "rejected" or s == "deleted"
  end
  if type_ == "CommunicationChannel" then return s == "retired" or s == "unconfirmed" end
  return s == "deleted"
end

--- data.statistics from the batch's roll-back data (SisBatch#statistics).
function M.statistics(batch)
  local stats = { total_state_changes = #batch.rollback }
  for _, t in ipairs(M.STAT_TYPES) do
    local s = { created = 0, restored = 0, deleted = 0 }
    if t == "Course" or t == "Enrollment" then s.concluded = 0 end
    if t == "Enrollment" then s.deactivated = 0 end
    stats[t] = s
  end
  for _, rb in ipairs(batch.rollback) do
    local s = stats[rb.type]
    if (rb.prev == "non-existent" or rb.prev == "creation_pending") and active_state(rb.type, rb.now) then
      s.created = s.created + 1
    end
    if restored_from(rb.type, rb.prev) and active_state(rb.type, rb.now) then s.restored = s.restored + 1 end
    if s.concluded and rb.now == "completed" then s.concluded = s.concluded + 1 end
    if s.deactivated and rb.now == "inactive" then s.deactivated = s.deactivated + 1 end
    if rb.now == (rb.type == "CommunicationChannel" and "retired" or "deleted") then s.deleted = s.deleted + 1 end
  end
  return stats
end

--- Puts back every state the batch changed (restore_states_for_batch):
-- opts.undelete_only, unconclude_only, batch_mode narrow what is restored.
-- A record the batch created goes to deleted.
function M.restore(batch, opts)
  for _, rb in ipairs(batch.rollback) do
    local wanted = rb.state == "active"
      and (not opts.undelete_only or rb.now == "deleted" or rb.now == "retired")
      and (not opts.unconclude_only or rb.now == "completed")
      and (not opts.batch_mode or rb.batch_mode)
    if wanted then
      rb.record[rb.field] = rb.prev == "non-existent" and "deleted" or rb.prev
      rb.state = "restored"
    end
  end
  local stats = batch.data.statistics or M.statistics(batch)
  for _, t in ipairs(M.STAT_TYPES) do
    local n = 0
    for _, rb in ipairs(batch.rollback) do
      if rb.type == t and rb.state == "restored" then n = n + 1 end
    end
    stats[t] = stats[t] or {}
    stats[t].restored = n
  end
  batch.data.statistics = stats
end

return M
