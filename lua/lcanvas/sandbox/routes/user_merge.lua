--- Users API, merging a user into another and splitting them again
-- (canvas-lms app/controllers/users_controller.rb: merge_into, split;
-- app/models/user_merge.rb for what moves). A merge moves enrollments,
-- observer links (observees.lua's area), logins (user_data.lua's lists, and
-- the login and SIS ids lookups and account searches go by), custom data and
-- access tokens, and keeps a record in store:area("user_merges") of what
-- moved, so split can put it back. Both users need the :merge right
-- (policy.lua: an admin who may manage their logins).
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local S = require "lcanvas.sandbox.serializers"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local store = app.store
  local data = UserData.of(app)

  local function merges()   -- destination user id -> { merge record, ... }
    return store:area("user_merges", function() return {} end)
  end

  -- Enrollments: unique ones move; a duplicate goes away with src.
  local function move_enrollments(rec, src, dest)
    local has = {}
    for _, e in ipairs(store.enrollments) do
      if e.user_id == dest.id then has[e.course_id .. "/" .. e.type] = true end
    end
    for i = 1, #store.enrollments do
      local e = store.enrollments[i]
      if e.user_id == src.id and not has[e.course_id .. "/" .. e.type] then
        has[e.course_id .. "/" .. e.type] = true
        e.user_id = dest.id
        rec.moved[#rec.moved + 1] = e
      end
    end
    for i = #store.enrollments, 1, -1 do
      local e = store.enrollments[i]
      if e.user_id == src.id then
        rec.dropped[#rec.dropped + 1] = e
        table.remove(store.enrollments, i)
      end
    end
  end

  -- Observer links live in the observees module's area (made from the
  -- seed on first use, so ask that module for it).
  local function observer_links()
    local obs = app.observee_state and app.observee_state()
    if type(obs) == "table" and type(obs.links) == "table" then return obs.links end
  end

  -- A link src is on moves to dest, unless dest already has it (or it
  -- would link dest to itself): then it goes away with src.
  local function move_links(rec, src, dest)
    local links = observer_links()
    if links then
      for i = #links, 1, -1 do
        local l = links[i]
        if l.observer_id == src.id or l.student_id == src.id then
          local o = l.observer_id == src.id and dest.id or l.observer_id
          local s = l.student_id == src.id and dest.id or l.student_id
          local dup = o == s
          for _, other in ipairs(links) do
            if other ~= l and other.observer_id == o and other.student_id == s then dup = true end
          end
          if dup then
            rec.dropped_links[#rec.dropped_links + 1] = table.remove(links, i)
          else
            rec.links[#rec.links + 1] = { link = l, observer_id = l.observer_id, student_id = l.student_id }
            l.observer_id, l.student_id = o, s
          end
        end
      end
    end
  end

  -- Custom data: namespaces dest lacks move; the rest goes with src.
  local function move_custom_data(rec, src, dest)
    local from = store.custom_data[src.id]
    if from then
      local to = store.custom_data[dest.id] or {}
      store.custom_data[dest.id] = to
      for ns, v in pairs(from) do
        if to[ns] == nil then
          to[ns] = v
          rec.namespaces[#rec.namespaces + 1] = ns
        end
      end
      rec.custom_data = from
      store.custom_data[src.id] = nil
    end
  end

  -- Logins: every login of src becomes dest's (UserMerge moves pseudonyms),
  -- listed with dest's and found by an account search for dest.
  local function move_logins(rec, src, dest)
    local from, to = data.of_user(src), data.of_user(dest)
    for _, l in ipairs(from.logins) do
      l.user_id = dest.id
      to.logins[#to.logins + 1] = l
      rec.logins[#rec.logins + 1] = l
    end
    from.logins = {}
    dest.merged_logins = dest.merged_logins or {}
    for _, l in ipairs(rec.logins) do
      dest.merged_logins[#dest.merged_logins + 1] = { unique_id = l.unique_id,
        sis_user_id = l.sis_user_id ~= json.null and l.sis_user_id or nil, from = src.id }
    end
  end

  local function unmove_logins(rec, src, dest)
    local from, to = data.of_user(src), data.of_user(dest)
    local moved = {}
    for _, l in ipairs(rec.logins) do moved[l] = true; l.user_id = src.id; from.logins[#from.logins + 1] = l end
    local kept = {}
    for _, l in ipairs(to.logins) do if not moved[l] then kept[#kept + 1] = l end end
    to.logins = kept
    local left = {}
    for _, m in ipairs(dest.merged_logins or {}) do if m.from ~= src.id then left[#left + 1] = m end end
    dest.merged_logins = #left > 0 and left or nil
  end

  -- Moves what belongs to src onto dest and deletes src; the record says
  -- what moved, so split can put it back.
  local function merge(src, dest)
    local rec = { user = src, moved = {}, dropped = {}, links = {}, dropped_links = {},
      namespaces = {}, tokens = {}, logins = {} }
    move_enrollments(rec, src, dest)
    move_links(rec, src, dest)
    move_logins(rec, src, dest)
    move_custom_data(rec, src, dest)
    -- Access tokens and logins move to the destination too.
    for token, uid in pairs(store.tokens) do
      if uid == src.id then
        store.tokens[token] = dest.id
        rec.tokens[#rec.tokens + 1] = token
      end
    end
    store:remove_user(src)
    if src.login_id then store.by_login[src.login_id:lower()] = dest end
    if src.sis_user_id then store.by_sis[src.sis_user_id] = dest end
    local all = merges()
    all[dest.id] = all[dest.id] or {}
    table.insert(all[dest.id], rec)
  end

  local function unmerge(rec, dest)
    local src = rec.user
    store:add_user(src)
    unmove_logins(rec, src, dest)
    for _, e in ipairs(rec.moved) do
      if e.user_id == dest.id then e.user_id = src.id end
    end
    for _, e in ipairs(rec.dropped) do store.enrollments[#store.enrollments + 1] = e end
    local links = observer_links()
    if links then
      for _, r in ipairs(rec.links) do
        for _, l in ipairs(links) do
          if l == r.link then l.observer_id, l.student_id = r.observer_id, r.student_id end
        end
      end
      for _, l in ipairs(rec.dropped_links) do links[#links + 1] = l end
    end
    if rec.custom_data then
      local back, to = {}, store.custom_data[dest.id] or {}
      for ns, v in pairs(rec.custom_data) do back[ns] = v end
      for _, ns in ipairs(rec.namespaces) do
        back[ns] = to[ns]   -- as it is now, with changes made since the merge
        to[ns] = nil
      end
      store.custom_data[src.id] = back
    end
    for _, token in ipairs(rec.tokens) do
      if store.tokens[token] == dest.id then store.tokens[token] = src.id end
    end
  end

  -- The answer is user_json(into_user, ..., %w[locale], destination_account).
  local function merge_into(self, ctx)
    local src = ctx.user
    self:require(ctx, "merge", { user = src })
    local dest = store:find_user(ctx.args.dest, ctx.user_id)
    if not dest or (ctx.account and not util.in_account(store, dest, ctx.account.id)) then app.not_found() end
    self:require(ctx, "merge", { user = dest })
    if dest.id == src.id then
      app.bad_request("a user cannot be merged into itself", "destination_user_id", "invalid")
    end
    merge(src, dest)
    return S.user(self, ctx, dest, S.includes({ "locale" }), { account = ctx.account or store.accounts[1] })
  end
  app:route("PUT", "/users/:user/merge_into/:dest", merge_into)
  app:route("PUT", "/users/:user/merge_into/accounts/:account/users/:dest", merge_into)

  -- split answers 400 {message} before checking rights, then every user
  -- sorted by short name, each as user_json with no includes or context.
  app:route("POST", "/users/:user/split", function(self, ctx)
    local dest = ctx.user
    local recs = merges()[dest.id]
    if not recs or #recs == 0 then app.halt(400, { message = "Nothing to split off of this user" }) end
    self:require(ctx, "merge", { user = dest })
    for i = #recs, 1, -1 do unmerge(recs[i], dest) end
    merges()[dest.id] = nil
    local users = { dest }
    for _, rec in ipairs(recs) do users[#users + 1] = rec.user end
    table.sort(users, function(a, b)
      if a.short_name == b.short_name then return a.id < b.id end
      return (a.short_name or "") < (b.short_name or "")
    end)
    local out = json.array({})
    for i, u in ipairs(users) do out[i] = S.user(self, ctx, u, {}, nil) end
    return out
  end)
end
