--- Courses API (canvas-lms app/controllers/courses_controller.rb: show,
-- create, update, batch_update, destroy, users, user_index; and
-- accounts_controller.rb courses_api for an account's courses). State is
-- the store's courses, sections and enrollments; JSON shapes come from
-- course_data.lua and serializers.lua (the users), permissions from policy.lua.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local data = require "lcanvas.sandbox.course_data"
local policy = require "lcanvas.sandbox.policy"
local S = require "lcanvas.sandbox.serializers"

-- The include[] values courses_api drops on purpose (accounts_controller.rb).
local LIST_DROPS = { permissions = true, sections = true, needs_grading_count = true, total_scores = true }
local DEFAULT_STATES = { "created", "claimed", "available", "completed" }

local set_of = util.set_of

-- Rails's errors hash (model_error(attr, message): the message is its type too).
local model_error = require("lcanvas.sandbox.answers").model_error

return function(app)
  local store = app.store

  --- Course state changes and what they do to enrollments (course.rb
  -- update_enrolled_users): concluding completes active and invited
  -- enrollments, deleting deletes them all; undelete leaves them deleted.
  local TRANSITIONS = {
    claim = { from = { created = true, available = true }, to = "claimed" },
    offer = { from = { created = true, claimed = true, completed = true }, to = "available" },
    conclude = { from = { created = true, claimed = true, available = true }, to = "completed" },
    delete = { from = { created = true, claimed = true, available = true, completed = true }, to = "deleted" },
    undelete = { from = { deleted = true }, to = "claimed" },
  }
  local function run_event(c, event)
    local t = TRANSITIONS[event]
    if not t or not t.from[c.workflow_state] then return false end
    c.workflow_state = t.to
    c.updated_at = util.iso()
    for _, e in ipairs(store:enrollments_in(c.id)) do
      if event == "conclude" and (e.enrollment_state == "active" or e.enrollment_state == "invited") then
        e.enrollment_state, e.updated_at = "completed", util.iso()
      elseif event == "delete" and e.enrollment_state ~= "deleted" then
        e.enrollment_state, e.updated_at = "deleted", util.iso()
      end
    end
    return true
  end
  app.run_course_event = run_event

  -- A user's courses (user_index): the courses of their current and
  -- invited enrollments, each with those enrollments.
  app:route("GET", "/users/:user/courses", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local includes = set_of(ctx.params.include)
    local want = ctx.params.enrollment_state
    local function wanted(e)
      if want == "active" then return e.enrollment_state == "active" end
      if want == "invited_or_pending" then return e.enrollment_state == "invited" end
      if want == "completed" then return e.enrollment_state == "completed" end
      return e.enrollment_state == "active" or e.enrollment_state == "invited"
    end
    local by_course, order = {}, {}
    for _, e in ipairs(store:enrollments_of(ctx.user.id)) do
      local c = store.courses[e.course_id]
      if c and c.workflow_state ~= "deleted" and wanted(e) then
        if not by_course[c.id] then by_course[c.id], order[#order + 1] = {}, c end
        table.insert(by_course[c.id], e)
      end
    end
    local out = {}
    for i, c in ipairs(order) do out[i] = S.course(app, ctx, c, includes, by_course[c.id]) end
    return out
  end, { list = true })

  -- show: deleted courses only with include[]=all_courses.
  local function show(self, ctx, account)
    local includes = set_of(ctx.params.include)
    local c = store:lookup("courses", ctx.args.id)
    if not c or (c.workflow_state == "deleted" and not includes.all_courses) then app.not_found() end
    if account and not store:account_under(c.account_id, account.id) then app.not_found() end
    self:require(ctx, "read", { course = c })
    local mine = {}
    for _, e in ipairs(policy.own_enrollments(app, ctx, c)) do
      if e.enrollment_state == "active" or e.enrollment_state == "invited" then mine[#mine + 1] = e end
    end
    return S.course(app, ctx, c, includes, mine)
  end
  app:route("GET", "/courses/:id", function(self, ctx) return show(self, ctx) end)
  app:route("GET", "/accounts/:account/courses/:id", function(self, ctx) return show(self, ctx, ctx.account) end)

  -- courses_api: an account's courses, filtered as the action reads its
  -- parameters; paginated without a last link.
  app:route("GET", "/accounts/:account/courses", function(self, ctx)
    local p, account = ctx.params, ctx.account
    self:require(ctx, "read_course_list", { account = account })
    local states = set_of(p.state)
    if next(states) == nil then states = set_of(DEFAULT_STATES) end
    if states.all then
      for _, s in ipairs(DEFAULT_STATES) do states[s] = true end
      states.deleted = true
    end
    -- The API's "unpublished" is created and claimed.
    if states.unpublished then states.created, states.claimed = true, true end
    if p.published ~= nil then
      if util.truthy(p.published) then states.created, states.claimed = nil, nil
      else states.available, states.completed = nil, nil end
    end
    local term
    if p.enrollment_term_id ~= nil and p.enrollment_term_id ~= "" then
      term = store:find_term(store:root_of(account.id), tostring(p.enrollment_term_id), data.today(app))
        or app.not_found()
    end
    local search = p.search_term
    if search ~= nil then
      search = tostring(search):match("^%s*(.-)%s*$")
      -- SearchTermHelper.validate_search_term (lib/search_term_helper.rb).
      if #search < 2 then
        app.bad_request("search_term of 2 or more characters is required", "search_term", "invalid_length")
      end
      search = search:lower()
    end
    local read_sis = policy.any(app, ctx, { "read_sis", "manage_sis" }, { account = account })
    local teachers
    if type(p.by_teachers) == "table" then
      -- Api.map_ids over users: SIS ids it cannot find are dropped.
      teachers = {}
      for _, ref in ipairs(p.by_teachers) do
        local n = util.to_int(ref)
        local u = not n and store:find_user(tostring(ref), ctx.user_id)
        if n or u then teachers[tostring(n or u.id)] = true end
      end
    end
    local subaccounts = type(p.by_subaccounts) == "table" and store:map_ids("accounts", p.by_subaccounts) or nil
    local etypes
    if type(p.enrollment_type) == "table" then
      etypes = {}
      for _, t in ipairs(p.enrollment_type) do
        etypes[util.ENROLLMENT_TYPES[tostring(t)] or tostring(t)] = true
      end
    end
    local function has_enrollments(c, only)
      for _, e in ipairs(store:enrollments_in(c.id)) do
        if e.enrollment_state ~= "deleted" and (not only or only[e.type]) then return true end
      end
      return false
    end
    local function taught_by(c)
      for _, e in ipairs(store:enrollments_in(c.id)) do
        if e.type == "TeacherEnrollment" and e.enrollment_state ~= "deleted" and teachers[tostring(e.user_id)] then
          return true
        end
      end
      return false
    end
    local function in_subaccounts(c)
      for _, id in ipairs(subaccounts) do if store:account_under(c.account_id, id) then return true end end
      return false
    end
    local out = {}
    for _, c in pairs(store.courses) do
      local ok = store:account_under(c.account_id, account.id) and states[c.workflow_state]
        and (not term or c.enrollment_term_id == term.id)
        and (p.completed == nil or (util.truthy(p.completed) == data.concluded(app, c)))
        and (p.blueprint == nil or (util.truthy(p.blueprint) == (c.blueprint == true)))
        and (p.with_enrollments == nil or util.truthy(p.with_enrollments) == has_enrollments(c))
        and (p.hide_enrollmentless_courses == nil or has_enrollments(c))
        and (not etypes or has_enrollments(c, etypes))
        and (not teachers or taught_by(c))
        and (not subaccounts or in_subaccounts(c))
      if ok and search then
        ok = c.name:lower():find(search, 1, true) or (c.course_code or ""):lower():find(search, 1, true)
          or tostring(c.id) == search
          or (read_sis and c.sis_course_id and c.sis_course_id:lower():find(search, 1, true))
      end
      if ok then out[#out + 1] = c end
    end
    local sort_key = ({
      course_name = function(c) return c.name:lower() end,
      sis_course_id = function(c) return c.sis_course_id or "" end,
      teacher = function(c) local t = data.teachers(app, c)[1]; return t and t.sortable_name or "" end,
      account_name = function(c) return store.accounts[c.account_id].name end,
      subaccount = function(c) return store.accounts[c.account_id].name end,
      term = function(c) return store.terms[c.enrollment_term_id].name end,
    })[p.sort]
    local desc = sort_key and p.order == "desc"
    table.sort(out, function(a, b)
      if sort_key then
        local ka, kb = sort_key(a), sort_key(b)
        if ka ~= kb then if desc then return ka > kb end return ka < kb end
      end
      return a.id < b.id
    end)
    local includes = set_of(p.include)
    for k in pairs(LIST_DROPS) do includes[k] = nil end
    includes.teacher_limit = util.to_int(p.teacher_limit)
    local page, headers = paging.paginate(ctx.req, out, { no_last = not includes.ui_invoked })
    for i, c in ipairs(page) do page[i] = S.course(app, ctx, c, includes) end
    return page, 200, headers
  end)

  local function course_params(p)
    local cp = p.course
    if type(cp) ~= "table" then cp = {} end
    return cp
  end

  local function check_sis_unique(field, value, except)
    for _, c in pairs(store.courses) do
      if c ~= except and c.root_account_id == 1 and c[field] ~= nil and c[field] == value then
        app.halt(400, model_error("sis_source_id", string.format('SIS ID "%s" is already in use', value)))
      end
    end
  end

  -- create: a new unpublished course with its default section.
  app:route("POST", "/accounts/:account/courses", function(self, ctx)
    local account = ctx.account
    self:require(ctx, "manage_courses", { account = account })
    local p, cp = ctx.params, course_params(ctx.params)
    if cp.account_id ~= nil then
      local sub = store:find_account(tostring(cp.account_id))
      if not sub or not store:account_under(sub.id, account.id) then app.not_found() end
      account = sub
    end
    local root = store:root_of(account.id)
    local term = store:default_term(root)
    local term_ref = cp.term_id or cp.enrollment_term_id
    if term_ref ~= nil then term = store:find_term(root, tostring(term_ref), data.today(app)) or app.not_found() end
    local now = util.iso()
    local id = store:new_id()
    local name = cp.name
    if name == nil or tostring(name):match("^%s*$") then name = "Unnamed Course" end
    local c = { id = id, name = tostring(name), course_code = cp.course_code, account_id = account.id,
      root_account_id = root, enrollment_term_id = term.id, workflow_state = "created", created_at = now,
      updated_at = now, uuid = string.format("SbxCourseUuid%027d", id), license = cp.license,
      is_public = util.truthy(cp.is_public), default_view = cp.default_view, time_zone = cp.time_zone,
      syllabus_body = cp.syllabus_body, public_description = cp.public_description }
    if c.course_code == nil then c.course_code = c.name end
    -- Dates count only for a course that restricts enrollments to them.
    if util.truthy(cp.restrict_enrollments_to_course_dates) then
      c.restrict_enrollments_to_course_dates = true
      c.start_at, c.end_at = cp.start_at, cp.end_at or cp.conclude_at
    end
    -- sis_course_id and integration_id only with manage_sis; otherwise dropped.
    if policy.can(app, ctx, "manage_sis", { account = store.accounts[root] }) then
      if cp.sis_course_id ~= nil and cp.sis_course_id ~= "" then
        check_sis_unique("sis_course_id", tostring(cp.sis_course_id))
        c.sis_course_id = tostring(cp.sis_course_id)
      end
      if cp.integration_id ~= nil and cp.integration_id ~= "" then c.integration_id = tostring(cp.integration_id) end
    end
    if util.truthy(p.offer) then c.workflow_state = "available" end
    store.courses[id] = c
    local section = { id = store:new_id(), course_id = id, name = c.name, default_section = true,
      workflow_state = "active", created_at = now }
    store.sections[section.id] = section
    if p.enroll_me == "true" or p.enroll_me == true then
      app.add_enrollment(c, section, { user_id = ctx.user_id, type = "TeacherEnrollment", state = "active" })
    end
    return S.course(app, ctx, c, {})
  end)

  -- update: course[event] alone runs the event under its own permission;
  -- other fields need :update and drop what the caller may not change.
  app:route("PUT", "/courses/:id", function(self, ctx)
    local c = store:lookup("courses", ctx.args.id) or app.not_found()
    local p, cp = ctx.params, course_params(ctx.params)
    local event = cp.event
    if util.truthy(p.offer) then event = "offer" end
    local others = false
    for k in pairs(cp) do if k ~= "event" then others = true end end
    if event ~= nil then
      self:require(ctx, policy.event_right(event), { course = c })
    end
    if others then
      self:require(ctx, "update", { course = c })
      local admin = policy.can(app, ctx, "manage_courses", { account = store.accounts[c.account_id] })
      for _, k in ipairs({ "name", "course_code", "license", "default_view", "time_zone", "syllabus_body",
        "public_description", "course_color" }) do
        if cp[k] ~= nil then c[k] = cp[k] end
      end
      if cp.is_public ~= nil then c.is_public = util.truthy(cp.is_public) end
      if cp.start_at ~= nil then c.start_at = cp.start_at ~= "" and cp.start_at or nil end
      local ends = cp.end_at or cp.conclude_at
      if ends ~= nil then c.end_at = ends ~= "" and ends or nil end
      if cp.restrict_enrollments_to_course_dates ~= nil then
        c.restrict_enrollments_to_course_dates = util.truthy(cp.restrict_enrollments_to_course_dates)
      end
      -- term, account, SIS id and blueprint need more than :update, and are
      -- dropped silently without it; an unknown term is still a 404.
      local term_ref = cp.term_id or cp.enrollment_term_id
      if term_ref ~= nil and admin then
        c.enrollment_term_id = (store:find_term(c.root_account_id, tostring(term_ref), data.today(app))
          or app.not_found()).id
      end
      if cp.account_id ~= nil and admin then
        local to = store:find_account(tostring(cp.account_id))
        if to and policy.can(app, ctx, "manage_courses", { account = to }) then c.account_id = to.id end
      end
      if cp.sis_course_id ~= nil and policy.can(app, ctx, "manage_sis", { course = c }) then
        local sis = tostring(cp.sis_course_id)
        if sis == "" then c.sis_course_id = nil
        else
          check_sis_unique("sis_course_id", sis, c)
          c.sis_course_id = sis
        end
      end
      if cp.blueprint ~= nil and admin then c.blueprint = util.truthy(cp.blueprint) end
      c.updated_at = util.iso()
    end
    if event ~= nil and TRANSITIONS[event] then run_event(c, event) end
    return S.course(app, ctx, c, { hide_final_grades = true })
  end)

  -- destroy: delete or conclude, answering { event = true }.
  app:route("DELETE", "/courses/:id", function(self, ctx)
    local c = store:lookup("courses", ctx.args.id) or app.not_found()
    local event = ctx.params.event
    if event ~= "delete" and event ~= "conclude" then
      app.halt(400, { message = 'Only "delete" and "conclude" events are allowed.' })
    end
    self:require(ctx, policy.event_right(event), { course = c })
    local ok
    if event == "delete" then
      ok = c.workflow_state == "deleted" or run_event(c, "delete")
    else
      ok = c.workflow_state == "completed" or run_event(c, "conclude")
    end
    return { [event] = ok }, ok and 200 or 400
  end)

  -- batch_update: up to 500 courses; the work is done at once, and its
  -- Progress (queued) completes in the job's one step, with
  -- ProgressRunner's "N courses processed".
  app:route("PUT", "/accounts/:account/courses", function(self, ctx)
    local p, account = ctx.params, ctx.account
    self:require(ctx, "manage_courses", { account = account })
    if type(p.course_ids) ~= "table" then app.halt(400, { message = "must specify course_ids[]" }) end
    local ids = store:map_ids("courses", p.course_ids)
    if #ids > 500 then app.halt(403, { message = "course batch size limit (500) exceeded" }) end
    local event = p.event
    if event == nil or event == "" then app.halt(400, { message = "need to specify event" }) end
    if not (event == "offer" or event == "conclude" or event == "delete" or event == "undelete") then
      app.halt(400, { message = "invalid event" })
    end
    local done, failed = 0, {}
    for _, id in ipairs(ids) do
      local c = store.courses[id]
      if c and store:account_under(c.account_id, account.id) and (run_event(c, event)
          or c.workflow_state == TRANSITIONS[event].to) then
        done = done + 1
      else
        failed[#failed + 1] = id
      end
    end
    local message = string.format("%d courses processed", done)
    if #failed > 0 then
      local list = {}
      for i, id in ipairs(failed) do list[i] = tostring(id) end
      message = message .. string.format("\nThe course was not found or could not be changed: %s",
        table.concat(list, ", "))
    end
    local progress = app.new_progress({ context_type = "Account", context_id = account.id, user_id = ctx.user_id,
      tag = "course_batch_update", workflow_state = "queued", completion = 0.0 })
    -- The courses changed above; the Progress reports it in one step of the
    -- job engine (jobs.lua): completed if any course was done.
    app.progress_job(progress, { function(job)
      if progress.workflow_state ~= "queued" then return end   -- cancelled meanwhile
      progress.workflow_state = job.forced or ((done > 0 or #ids == 0) and "completed" or "failed")
      progress.completion, progress.message, progress.updated_at = 100.0, message, util.iso()
    end })
    return app.present_progress(progress, ctx.req)
  end)

  -- users: the course's users, as UserSearch finds them (active and invited
  -- by default), sorted by sortable name; no last link.
  local function course_users(self, ctx)
    local c = ctx.course
    self:require(ctx, { "read_roster", "view_all_grades", "manage_grades" }, { course = c })
    local p = ctx.params
    local types
    local et = p.enrollment_type
    if et ~= nil then
      types = {}
      for _, t in ipairs(util.array_of(et)) do
        local name = util.ENROLLMENT_TYPES[tostring(t):lower()]
        if not name then app.bad_request("invalid enrollment_type " .. tostring(t), "enrollment_type") end
        types[name] = true
      end
    end
    local states = p.enrollment_state ~= nil and set_of(p.enrollment_state) or { active = true, invited = true }
    if p.enrollment_state == nil and util.truthy(p.include_inactive)
        and policy.can(app, ctx, "read_as_admin", { course = c }) then
      states.inactive = true
    end
    local role_id = util.to_int(p.enrollment_role_id)
    local only_ids
    local uids = p.user_ids
    if type(uids) == "string" then
      local t = {}
      for x in uids:gmatch("[^,]+") do t[#t + 1] = x end
      uids = t
    end
    if type(uids) == "table" and #uids > 0 then only_ids = set_of(uids) end
    local term = p.search_term
    if term ~= nil and term ~= "" then
      if #tostring(term) < 2 then
        app.bad_request("search_term of 2 or more characters is required", "search_term", "invalid_length")
      end
      term = tostring(term):lower()
    else term = nil end
    local includes = set_of(p.include)
    local by_user, order = {}, {}
    for _, e in ipairs(store:enrollments_in(c.id)) do
      local u = store.users[e.user_id]
      local ok = u and states[e.enrollment_state] and (not types or types[e.type])
        and (not role_id or e.role_id == role_id) and (p.enrollment_role == nil or e.role == p.enrollment_role)
        and (not only_ids or only_ids[tostring(u.id)])
      if ok and term then
        ok = u.name:lower():find(term, 1, true) or (u.login_id or ""):lower():find(term, 1, true)
          or (u.sis_user_id or ""):lower():find(term, 1, true) or tostring(u.id) == term
      end
      if ok then
        if not by_user[u.id] then by_user[u.id], order[#order + 1] = {}, u end
        table.insert(by_user[u.id], e)
      end
    end
    table.sort(order, function(a, b)
      if a.sortable_name ~= b.sortable_name then return a.sortable_name < b.sortable_name end
      return a.id < b.id
    end)
    -- The action passes include[] with sis_user_id and email added to
    -- user_json on the course; an unconfirmed user (invited, pending or
    -- rejected enrollments only) is rendered without login and personal
    -- fields (excludes pseudonym and personal_info).
    local user_includes = S.includes(p.include, { "sis_user_id", "email" })
    local page, headers = paging.paginate(ctx.req, order, { no_last = true })
    for i, u in ipairs(page) do
      local unconfirmed = true
      for _, e in ipairs(by_user[u.id]) do
        if e.enrollment_state ~= "invited" and e.enrollment_state ~= "rejected"
            and e.enrollment_state ~= "creation_pending" then
          unconfirmed = false
        end
      end
      local excludes = unconfirmed and { pseudonym = true, personal_info = true } or nil
      local x = S.user(app, ctx, u, user_includes, { course = c }, excludes)
      if includes.enrollments then
        local list = json.array({})
        for _, e in ipairs(by_user[u.id]) do list[#list + 1] = S.enrollment(app, ctx, e, {}) end
        x.enrollments = list
      end
      page[i] = x
    end
    return page, 200, headers
  end
  app:route("GET", "/courses/:course/users", course_users)
  -- The alias canvasapi's Course.get_users calls (kept for backward compatibility).
  app:route("GET", "/courses/:course/search_users", course_users)
end
