--- User Observees API and Observer Pairing Codes API (canvas-lms
-- app/controllers/user_observees_controller.rb and
-- observer_pairing_codes_api_controller.rb). Links are real state in
-- store:area("observees") = { links = { {observer_id=, student_id=,
-- root_account_id=}, ... }, codes = { {code=, user_id=, ...}, ... } };
-- user_merge.lua reads and rewrites links in that shape (app.observee_state).
-- Permissions as the controller's self_or_admin_permission_check: the user
-- themself, or an admin holding manage_user_observers on the root accounts
-- concerned (policy.lua); answers: serializers.observee (lists pass
-- include[] and the root account as context, one link passes neither).
local json = require "lcanvas.sandbox.json"
local http = require "lcanvas.sandbox.http"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"
local S = require "lcanvas.sandbox.serializers"

-- Unambiguous characters, as Canvas avoids 0/O and 1/l/I in codes.
local CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

return function(app)
  local store = app.store

  local function unprocessable(message)
    app.halt(422, { errors = { { message = message } } })
  end

  local function state()
    return store:area("observees", function(_, seed)
      local links = {}
      for _, l in ipairs(seed.observer_links or {}) do
        links[#links + 1] = { observer_id = l.observer_id, student_id = l.student_id,
          root_account_id = l.root_account_id or 1 }
      end
      return { links = links, codes = {} }
    end)
  end

  app.observee_state = state  -- merge_into (routes/user_merge.lua) moves links too

  local function root_of(account_id)
    local a = store.accounts[account_id]
    local guard = 0
    while a and a.parent_account_id and guard < 100 do
      a, guard = store.accounts[a.parent_account_id], guard + 1
    end
    return a and a.id
  end

  -- Root accounts a user is associated with: their account's, and those of
  -- the courses they are enrolled in.
  local function roots_of(u)
    local set = {}
    local r = u.account_id and root_of(u.account_id)
    if r then set[r] = true end
    for _, e in ipairs(store:enrollments_of(u.id)) do
      local c = store.courses[e.course_id]
      r = c and root_of(c.account_id)
      if r then set[r] = true end
    end
    return set
  end

  local function common_roots(a, b)
    local ra, rb, out = roots_of(a), roots_of(b), {}
    for id in pairs(ra) do if rb[id] then out[#out + 1] = id end end
    table.sort(out)
    return out
  end

  -- The roots a new link goes on: root_account_id (an id, or "all"), or the
  -- domain root account (1 in the sandbox). nil when an id names no account.
  local function link_roots(observer, student, param)
    local common = common_roots(observer, student)
    if param == nil or param == "" then param = 1 end
    if param == "all" then return common end
    local id = math.tointeger(tonumber(param))
    if not id or not store.accounts[id] then return nil end
    for _, r in ipairs(common) do if r == id then return { id } end end
    return {}
  end

  local function link_roots_between(observer_id, student_id)
    local out = {}
    for _, l in ipairs(state().links) do
      if l.observer_id == observer_id and l.student_id == student_id then
        out[#out + 1] = l.root_account_id
      end
    end
    table.sort(out)
    return json.array(out)
  end

  -- The root accounts among `roots` where the caller may manage observers.
  local function permitted(ctx, roots)
    local out = {}
    for _, id in ipairs(roots) do
      if policy.can(app, ctx, "manage_user_observers", { account = store.accounts[id] }) then
        out[#out + 1] = id
      end
    end
    return out
  end

  -- self_or_admin_permission_check for `user` (the observer, or the student
  -- for the observers actions): the user themself passes; anyone else needs
  -- manage_user_observers on one of the user's root accounts (none at all:
  -- 404). Returns the permitted root accounts, or nil for the user themself.
  local function self_or_admin(ctx, user)
    if user.id == ctx.user_id then return nil end
    local roots = {}
    for id in pairs(roots_of(user)) do roots[#roots + 1] = id end
    table.sort(roots)
    if #roots == 0 then app.not_found() end
    local ok = permitted(ctx, roots)
    if #ok == 0 then app:unauthorized() end
    return ok
  end

  -- Keeps the ids of `roots` that are in `allowed` (nil: all).
  local function only(roots, allowed)
    if allowed == nil then return roots end
    local set, out = {}, json.array({})
    for _, id in ipairs(allowed) do set[id] = true end
    for _, id in ipairs(roots) do if set[id] then out[#out + 1] = id end end
    return out
  end

  -- render_student_json / show_observer: user_json with no includes and no
  -- context, so no login or SIS fields for anyone.
  local function one(ctx, u, roots)
    return S.observee(app, ctx, u, {}, nil, roots)
  end

  local function add_links(observer, student, roots)
    local links = state().links
    for _, r in ipairs(roots) do
      local found = false
      for _, l in ipairs(links) do
        if l.observer_id == observer.id and l.student_id == student.id and l.root_account_id == r then
          found = true
        end
      end
      if not found then
        links[#links + 1] = { observer_id = observer.id, student_id = student.id, root_account_id = r }
      end
    end
  end

  local function by_sortable_name(a, b)
    if a.sortable_name == b.sortable_name then return a.id < b.id end
    return (a.sortable_name or "") < (b.sortable_name or "")
  end

  -- Lists ---------------------------------------------------------------------

  -- Links seen from the path user: `side` names the other end's field,
  -- "student_id" for their observees, "observer_id" for their observers.
  local function link_roots_with(ctx, side, other)
    if side == "observer_id" then return link_roots_between(other.id, ctx.user.id) end
    return link_roots_between(ctx.user.id, other.id)
  end

  -- index / observers: users_json with include[] as sent (the controller
  -- passes any value through) and the domain's root account as context.
  local function linked(_, ctx, side)
    local allowed = self_or_admin(ctx, ctx.user)
    local mine = side == "student_id" and "observer_id" or "student_id"
    local seen, out = {}, {}
    for _, l in ipairs(state().links) do
      local other = l[mine] == ctx.user.id and store.users[l[side]]
      if other and not seen[other.id] then
        seen[other.id] = true
        out[#out + 1] = other
      end
    end
    table.sort(out, by_sortable_name)
    local includes = S.includes(ctx.params.include)
    for i, other in ipairs(out) do
      out[i] = S.observee(app, ctx, other, includes, { account = store.accounts[1] },
        only(link_roots_with(ctx, side, other), allowed))
    end
    return out
  end

  local function one_link(_, ctx, side, raw)
    local allowed = self_or_admin(ctx, ctx.user)
    local other = app:find_user(ctx, raw)
    local roots = link_roots_with(ctx, side, other)
    if #roots == 0 then app.not_found() end
    return one(ctx, other, only(roots, allowed))
  end

  app:route("GET", "/users/:user/observees", function(self, ctx)
    return linked(self, ctx, "student_id")
  end, { list = true })

  app:route("GET", "/users/:user/observers", function(self, ctx)
    return linked(self, ctx, "observer_id")
  end, { list = true })

  -- One link ------------------------------------------------------------------

  app:route("GET", "/users/:user/observees/:observee_id", function(self, ctx)
    return one_link(self, ctx, "student_id", ctx.args.observee_id)
  end)

  app:route("GET", "/users/:user/observers/:observer_id", function(self, ctx)
    return one_link(self, ctx, "observer_id", ctx.args.observer_id)
  end)

  -- Add with a pairing code, an access token or the student's credentials.
  app:route("POST", "/users/:user/observees", function(_, ctx)
    local observer = ctx.user
    self_or_admin(ctx, observer)
    local p = ctx.params
    local student, code
    if p.access_token ~= nil then
      local id = store.tokens[tostring(p.access_token)]
      student = id and store.users[id]
      if not student then unprocessable("Unknown observee.") end
    elseif p.pairing_code ~= nil then
      local now = http.now()
      for _, c in ipairs(state().codes) do
        if c.code == p.pairing_code and c.workflow_state == "active" and c.deadline > now then
          code = c
        end
      end
      student = code and store.users[code.user_id]
      if not student then unprocessable("Invalid pairing code.") end
    else
      local cred = p.observee
      if type(cred) ~= "table" or type(cred.unique_id) ~= "string" then
        app.bad_request("observee[unique_id] is required", "observee[unique_id]", "required")
      end
      student = store.by_login[cred.unique_id:lower()]
      if not student then unprocessable("Unknown observee.") end
      if cred.password ~= student.password then
        app.halt(401, { errors = { { message = "Invalid credentials provided." } } })
      end
    end
    if student.id == observer.id then
      app.bad_request("Cannot observe yourself", "observee", "self_observation")
    end
    local roots = link_roots(observer, student, p.root_account_id)
    if roots == nil then app.not_found() end
    if #roots == 0 then unprocessable("Unknown observee.") end
    if code then code.workflow_state = "deleted" end   -- a code is good once
    -- Someone else's observer: only where the caller may manage observers.
    if observer.id ~= ctx.user_id then
      roots = permitted(ctx, roots)
      if #roots == 0 then app:unauthorized() end
    end
    add_links(observer, student, roots)
    return one(ctx, student, link_roots_between(observer.id, student.id))
  end)

  -- Add by id: Canvas asks for the manage_user_observers right (admins) on
  -- the root accounts the two share, even for your own observees: none
  -- shared is a 404, none permitted a 401.
  app:route("PUT", "/users/:user/observees/:observee_id", function(_, ctx)
    local observer = ctx.user
    local student = app:find_user(ctx, ctx.args.observee_id)
    if student.id == observer.id then
      app.bad_request("Cannot observe yourself", "observee", "self_observation")
    end
    local param = ctx.params.root_account_id
    local roots = link_roots(observer, student, param == nil and "all" or param)
    if roots == nil or #roots == 0 then app.not_found() end
    roots = permitted(ctx, roots)
    if #roots == 0 then app:unauthorized() end
    add_links(observer, student, roots)
    return one(ctx, student, link_roots_between(observer.id, student.id))
  end)

  -- UserObserveesController#destroy reads no root_account_id: it removes the
  -- link for every root account (remove_observee destroys all the
  -- observer's user_observees rows for that student), whatever is sent.
  -- Someone else's observer: only the links on permitted root accounts go.
  app:route("DELETE", "/users/:user/observees/:observee_id", function(_, ctx)
    local observer = ctx.user
    local allowed = self_or_admin(ctx, observer)
    local set
    if allowed then set = {}; for _, id in ipairs(allowed) do set[id] = true end end
    local student = app:find_user(ctx, ctx.args.observee_id)
    local st, kept, removed = state(), {}, 0
    for _, l in ipairs(st.links) do
      if l.observer_id == observer.id and l.student_id == student.id and (not set or set[l.root_account_id]) then
        removed = removed + 1
      else
        kept[#kept + 1] = l
      end
    end
    if removed == 0 then app.not_found() end
    st.links = kept
    return one(ctx, student, link_roots_between(observer.id, student.id))
  end)

  -- Pairing codes -------------------------------------------------------------

  local function is_student(u)
    for _, e in ipairs(store:enrollments_of(u.id)) do
      if e.type == "StudentEnrollment" and e.enrollment_state ~= "deleted" then return true end
    end
    return false
  end

  local function fresh_code(codes)
    while true do
      local chars = {}
      for i = 1, 6 do
        local k = math.random(#CODE_CHARS)
        chars[i] = CODE_CHARS:sub(k, k)
      end
      local code, taken = table.concat(chars), false
      for _, c in ipairs(codes) do if c.code == code then taken = true end end
      if not taken then return code end
    end
  end

  -- ObserverPairingCodesApiController#create: read or read_reports on the
  -- student (themself, an observer, their teachers, admins), who must have
  -- a student enrollment.
  app:route("POST", "/users/:user/observer_pairing_codes", function(self, ctx)
    local u = ctx.user
    self:require(ctx, { "read", "read_reports" }, { user = u })
    if not is_student(u) then self:unauthorized() end
    local st = state()
    local ttl = tonumber(app.config.pairing_code_ttl) or 24 * 3600
    local c = { code = fresh_code(st.codes), user_id = u.id, workflow_state = "active",
      deadline = http.now() + ttl, expires_at = util.iso(os.time() + math.ceil(ttl)) }
    st.codes[#st.codes + 1] = c
    return { user_id = c.user_id, code = c.code, expires_at = c.expires_at,
      workflow_state = c.workflow_state }
  end)
end
