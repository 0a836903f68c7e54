--- Sections API (canvas-lms app/controllers/sections_controller.rb: index,
-- show, create, update, destroy, crosslist, uncrosslist). State: the
-- store's sections; a cross-listed section keeps its original course in
-- nonxlist_course_id and takes its enrollments to the course it joins.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local paging = require "lcanvas.sandbox.paging"
local S = require "lcanvas.sandbox.serializers"
local policy = require "lcanvas.sandbox.policy"

local set_of = util.set_of

local model_error = require("lcanvas.sandbox.answers").model_error

return function(app)
  local store = app.store

  -- require_section in a course: its active sections, by id or SIS id.
  local function course_section(ctx)
    local s = store:lookup("sections", ctx.args.id)
    if not s or s.workflow_state == "deleted" or s.course_id ~= ctx.course.id then app.not_found() end
    return s
  end

  app:route("GET", "/courses/:course/sections", function(self, ctx)
    local c, p = ctx.course, ctx.params
    self:require(ctx, "read", { course = c })
    -- include[] is dropped for a caller who may not read the roster.
    local includes = policy.any(app, ctx, { "read_roster", "view_all_grades" }, { course = c })
      and set_of(p.include) or {}
    local term = p.search_term
    if term ~= nil then
      term = tostring(term)
      if #term < 2 then
        app.bad_request("search_term of 2 or more characters is required", "search_term", "invalid_length")
      end
      term = term:lower()
    end
    local list = {}
    for _, s in ipairs(store:sections_of(c.id)) do
      if not term or s.name:lower():find(term, 1, true) then list[#list + 1] = s end
    end
    -- Any `all` (even all=false) turns paging off.
    if p.all ~= nil then
      local out = {}
      for i, s in ipairs(list) do out[i] = S.section(app, ctx, s, includes) end
      return json.array(out)
    end
    local page, headers = paging.paginate(ctx.req, list, {})
    for i, s in ipairs(page) do page[i] = S.section(app, ctx, s, includes) end
    return page, 200, headers
  end)

  app:route("GET", "/courses/:course/sections/:id", function(self, ctx)
    local s = course_section(ctx)
    self:require(ctx, "read", { course = ctx.course })
    return S.section(app, ctx, s, set_of(ctx.params.include))
  end)

  app:route("GET", "/sections/:id", function(self, ctx)
    local s, c = app.find_section(ctx.args.id)
    self:require(ctx, "read", { course = c })
    return S.section(app, ctx, s, set_of(ctx.params.include))
  end)

  local function sis_in_use(value, except)
    for _, x in pairs(store.sections) do
      if x ~= except and x.sis_section_id == value then return true end
    end
  end

  local function apply_dates(s, sp)
    for _, k in ipairs({ "start_at", "end_at" }) do
      if sp[k] ~= nil then s[k] = sp[k] ~= "" and sp[k] or nil end
    end
    if sp.restrict_enrollments_to_section_dates ~= nil then
      s.restrict_enrollments_to_section_dates = util.truthy(sp.restrict_enrollments_to_section_dates)
    end
  end

  -- create: SIS ids only with the root account's manage_sis, otherwise ignored.
  app:route("POST", "/courses/:course/sections", function(self, ctx)
    local c = ctx.course
    self:require(ctx, "manage_sections", { course = c })
    local sp = type(ctx.params.course_section) == "table" and ctx.params.course_section or {}
    local name = sp.name
    if name == nil or tostring(name):match("^%s*$") then app.halt(400, model_error("name", "blank", "blank")) end
    local s = { id = store:new_id(), course_id = c.id, name = tostring(name), workflow_state = "active",
      created_at = util.iso() }
    apply_dates(s, sp)
    if policy.can(app, ctx, "manage_sis", { course = c }) then
      if sp.sis_section_id ~= nil and sp.sis_section_id ~= "" then
        if sis_in_use(tostring(sp.sis_section_id)) then
          app.halt(400, model_error("sis_source_id", "taken",
            string.format('SIS ID "%s" is already in use', sp.sis_section_id)))
        end
        s.sis_section_id = tostring(sp.sis_section_id)
      end
      if sp.integration_id ~= nil and sp.integration_id ~= "" then s.integration_id = tostring(sp.integration_id) end
    end
    store.sections[s.id] = s
    return S.section(app, ctx, s, {})
  end)

  -- update: SIS ids without manage_sis are refused, not ignored.
  app:route("PUT", "/sections/:id", function(self, ctx)
    local s, c = app.find_section(ctx.args.id)
    self:require(ctx, "manage_sections", { course = c })
    local sp = type(ctx.params.course_section) == "table" and ctx.params.course_section or {}
    if (sp.sis_section_id ~= nil or sp.integration_id ~= nil) then
      if not policy.can(app, ctx, "manage_sis", { course = c }) then
        app.halt(401, { message = "You must have manage_sis permission to update sis attributes" })
      end
      if sp.sis_section_id ~= nil then
        local sis = tostring(sp.sis_section_id)
        if sis ~= "" and sis_in_use(sis, s) then
          app.halt(400, model_error("sis_source_id", "taken", string.format('SIS ID "%s" is already in use', sis)))
        end
        s.sis_section_id = sis ~= "" and sis or nil
      end
      if sp.integration_id ~= nil then
        s.integration_id = sp.integration_id ~= "" and tostring(sp.integration_id) or nil
      end
    end
    if sp.name ~= nil then
      if tostring(sp.name):match("^%s*$") then app.halt(400, model_error("name", "blank", "blank")) end
      s.name = tostring(sp.name)
    end
    apply_dates(s, sp)
    return S.section(app, ctx, s, {})
  end)

  app:route("DELETE", "/sections/:id", function(self, ctx)
    local s, c = app.find_section(ctx.args.id)
    self:require(ctx, "manage_sections", { course = c })
    for _, e in ipairs(store.enrollments) do
      if e.course_section_id == s.id and e.enrollment_state ~= "deleted" then
        app.halt(400, { message = "You can't delete a section that has enrollments" })
      end
    end
    s.workflow_state = "deleted"
    return S.section(app, ctx, s, {})
  end)

  -- Moves a section (and its enrollments) into course `to`.
  local function move(s, to)
    local from = s.course_id
    if to.id == (s.nonxlist_course_id or from) then s.nonxlist_course_id = nil
    elseif not s.nonxlist_course_id then s.nonxlist_course_id = from end
    s.course_id = to.id
    s.default_section = nil
    for _, e in ipairs(store.enrollments) do
      if e.course_section_id == s.id then e.course_id, e.updated_at = to.id, util.iso() end
    end
  end

  -- override_sis_stickiness=false answers the section unchanged, before any check.
  local function sticky(ctx)
    local v = ctx.params.override_sis_stickiness
    return v ~= nil and not util.truthy(v)
  end

  app:route("POST", "/sections/:id/crosslist/:new_course_id", function(self, ctx)
    local s, c = app.find_section(ctx.args.id)
    if sticky(ctx) then return S.section(app, ctx, s, {}) end
    local to = store:lookup("courses", ctx.args.new_course_id)
    if not to or to.workflow_state == "deleted" or to.root_account_id ~= c.root_account_id then app.not_found() end
    if not (policy.can(app, ctx, "manage_sections", { course = c })
        and policy.can(app, ctx, "update", { course = to })) then
      self:unauthorized()
    end
    move(s, to)
    return S.section(app, ctx, s, {})
  end)

  app:route("DELETE", "/sections/:id/crosslist", function(self, ctx)
    local s, c = app.find_section(ctx.args.id)
    if sticky(ctx) then return S.section(app, ctx, s, {}) end
    if not s.nonxlist_course_id then app.halt(400, { message = "section is not cross-listed" }) end
    local original = store.courses[s.nonxlist_course_id]
    if not (policy.can(app, ctx, "manage_sections", { course = c }) and original
        and policy.can(app, ctx, "update", { course = original })) then
      self:unauthorized()
    end
    move(s, original)
    return S.section(app, ctx, s, {})
  end)
end
