--- What a user owns besides the user record: folders and files, colours,
-- feature flags, communication channels, content migrations and exports,
-- ePortfolios and logins. One store area ("user_data") holds it for every
-- routes/ module that serves these; each user's share is made on first use
-- (seed folders and files, an email channel, portfolios, logins), so a
-- reset starts every user over.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local policy = require "lcanvas.sandbox.policy"

local M = {}

--- The timestamp records made here carry.
M.CREATED = "2024-08-15T12:00:00Z"
local CREATED = M.CREATED

-- name, content type, folder under "my files".
local SEED_FILES = {
  { "syllabus.pdf", "application/pdf", "" }, { "notes.txt", "text/plain", "" },
  { "photo.png", "image/png", "" }, { "reading-list.txt", "text/plain", "" },
  { "budget.csv", "text/csv", "" }, { "poster.png", "image/png", "" },
  { "essay-draft.txt", "text/plain", "Documents" }, { "essay-final.txt", "text/plain", "Documents" },
  { "lab-report.pdf", "application/pdf", "Documents" }, { "outline.txt", "text/plain", "Documents/Essays" },
  { "sources.txt", "text/plain", "Documents/Essays" }, { "cover.png", "image/png", "Documents/Essays" },
}

local function mime_class(ct)
  if ct:find("^image/") then return "image" elseif ct == "application/pdf" then return "pdf"
  elseif ct:find("^text/") then return "text" end
  return "file"
end

local made = setmetatable({}, { __mode = "k" })

--- The user data helpers for `app` (one set per app).
function M.of(app)
  if made[app] then return made[app] end
  local store = app.store
  local D = {}
  made[app] = D

  --- The area: users = {[id] = user's data}, folders/files by id, pending uploads.
  function D.state()
    return store:area("user_data", function()
      return { users = {}, folders = {}, files = {}, uploads = {}, upload_seq = 0 }
    end)
  end

  function D.new_folder(st, uid, name, parent)
    local f = { id = store:new_id(), name = name, user_id = uid, parent_folder_id = parent and parent.id,
      full_name = parent and (parent.full_name .. "/" .. name) or name, created_at = CREATED,
      updated_at = CREATED, position = 1 }
    st.folders[f.id] = f
    local d = st.users[uid]
    d.folders[#d.folders + 1] = f.id
    return f
  end

  function D.new_file(st, uid, folder, name, ctype, content, extra)
    local f = { id = store:new_id(), user_id = uid, folder_id = folder.id, display_name = name,
      filename = name, content_type = ctype or "application/octet-stream", content = content,
      size = #content, created_at = CREATED, updated_at = CREATED,
      uuid = string.format("u%08x", store.next_id * 2654435761 % 4294967296) }
    for k, v in pairs(extra or {}) do f[k] = v end
    st.files[f.id] = f
    local d = st.users[uid]
    d.files[#d.files + 1] = f.id
    return f
  end

  --- Everything user `u` owns, made on first use; returns it and the area.
  function D.of_user(u)
    local st = D.state()
    local d = st.users[u.id]
    if d then return d, st end
    d = { colors = {}, folders = {}, files = {}, flags = {}, migrations = {}, exports = {},
      channels = {}, eportfolios = {}, logins = {} }
    st.users[u.id] = d
    local root = D.new_folder(st, u.id, "my files", nil)
    d.root = root.id
    local docs = D.new_folder(st, u.id, "Documents", root)
    local essays = D.new_folder(st, u.id, "Essays", docs)
    local by = { [""] = root, Documents = docs, ["Documents/Essays"] = essays }
    for i, sf in ipairs(SEED_FILES) do
      D.new_file(st, u.id, by[sf[3]], sf[1], sf[2], string.rep(string.char(96 + i), 100 * i))
    end
    d.channels[1] = { id = store:new_id(), address = u.email, type = "email", position = 1,
      user_id = u.id, workflow_state = "active", created_at = CREATED }
    for i, name in ipairs({ (u.short_name or "My") .. "'s Portfolio", "Reflections", "Capstone", "Old Drafts" }) do
      d.eportfolios[i] = { id = store:new_id(), user_id = u.id, name = name, public = i % 2 == 1,
        created_at = CREATED, updated_at = CREATED, workflow_state = i == 4 and "deleted" or "active",
        deleted_at = i == 4 and CREATED or nil, spam_status = nil }
    end
    -- pseudonym_json (lib/api/v1/pseudonym.rb) names the login's
    -- authentication provider, both null for a Canvas login.
    -- Login ids follow the user's id (not the order users are first
    -- touched), so a user's logins list in creation order, as Canvas's
    -- by-id bookmarks do, whatever made them first.
    local login_id = 900000000 + 2 * u.id
    d.logins[1] = { id = login_id, user_id = u.id, account_id = u.account_id or 1,
      unique_id = u.login_id, sis_user_id = u.sis_user_id or json.null, integration_id = json.null,
      created_at = CREATED, workflow_state = "active",
      authentication_provider_id = json.null, authentication_provider_type = json.null }
    -- An AccountAdmin of the root account also has an LDAP login.
    if policy.account_rights(app, u.id, store.accounts[1]) == policy.ALL then
      d.logins[2] = { id = login_id + 1, user_id = u.id, account_id = 2, unique_id = u.login_id .. "-ldap",
        sis_user_id = json.null, integration_id = json.null, created_at = CREATED, workflow_state = "active",
        authentication_provider_id = 7, authentication_provider_type = "ldap" }
    end
    return d, st
  end

  --- The path's user's data, for the user themself or an admin.
  function D.manage(self, ctx)
    self:require_manage(ctx, ctx.user)
    return D.of_user(ctx.user)
  end

  -- Folders and files ----------------------------------------------------------

  local function count_in(st, d, folder_id, kind)
    local n = 0
    for _, id in ipairs(kind == "files" and d.files or d.folders) do
      local x = kind == "files" and st.files[id] or st.folders[id]
      if x and not x.pending and (kind == "files" and x.folder_id or x.parent_folder_id) == folder_id then n = n + 1 end
    end
    return n
  end

  function D.present_folder(st, f)
    local d = st.users[f.user_id]
    return { id = f.id, name = f.name, full_name = f.full_name, context_type = "User", context_id = f.user_id,
      parent_folder_id = f.parent_folder_id or json.null, created_at = f.created_at, updated_at = f.updated_at,
      position = f.position, locked = false, hidden = false, locked_for_user = false, hidden_for_user = false,
      for_submissions = false, can_upload = true,
      files_count = count_in(st, d, f.id, "files"), folders_count = count_in(st, d, f.id, "folders"),
      folders_url = "/api/v1/folders/" .. f.id .. "/folders", files_url = "/api/v1/folders/" .. f.id .. "/files" }
  end

  -- attachment_json (lib/api/v1/attachment.rb) gives url as
  -- file_download_url with download_frd=1 and the uuid as verifier: a
  -- Canvas URL (FilesController#show), which redirects to the file store.
  function D.present_file(f)
    return { id = f.id, uuid = f.uuid, folder_id = f.folder_id, display_name = f.display_name,
      filename = f.filename, ["content-type"] = f.content_type, size = f.size, created_at = f.created_at,
      updated_at = f.updated_at, modified_at = f.updated_at, locked = false, hidden = false,
      locked_for_user = false, hidden_for_user = false, mime_class = mime_class(f.content_type),
      thumbnail_url = json.null, media_entry_id = json.null, upload_status = "success",
      url = string.format("%s/files/%d/download?download_frd=1&verifier=%s", app.urls and app.urls.main or "",
        f.id, f.uuid),
      usage_rights = f.usage_rights or json.null }
  end

  --- An overwriting upload is done (its file no longer pending): as Canvas's
  -- handle_duplicates with "overwrite", the new attachment stays and the one
  -- it replaces is deleted (its id then answers 404).
  function D.finish_overwrite(st, f)
    local old = f.replaces and st.files[f.replaces]
    f.replaces = nil
    if not old then return end
    st.files[old.id] = nil
    local d = st.users[old.user_id]
    for i, id in ipairs(d.files) do
      if id == old.id then table.remove(d.files, i) break end
    end
  end

  --- One of the user's folders by id, or a 404.
  function D.user_folder(st, d, raw)
    local f = st.folders[util.to_int(raw) or -1]
    if not f or st.users[f.user_id] ~= d then app.not_found() end
    return f
  end

  --- One of the user's (uploaded) files by id, or a 404.
  function D.user_file(st, d, raw)
    local f = st.files[util.to_int(raw) or -1]
    if not f or st.users[f.user_id] ~= d or f.pending then app.not_found() end
    return f
  end

  --- `name`, or when a file in the folder has it, the first free
  -- "name-1.txt", "name-2.txt"...
  function D.unique_name(st, d, folder_id, name)
    local taken = {}
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and f.folder_id == folder_id and not f.pending then taken[f.display_name] = f end
    end
    if not taken[name] then return name end
    local stem, ext = name:match("^(.-)(%.[^.]*)$")
    stem, ext = stem or name, ext or ""
    for i = 1, math.huge do
      local candidate = string.format("%s-%d%s", stem, i, ext)
      if not taken[candidate] then return candidate end
    end
  end

  --- The child of `parent` called `name`, or nil.
  function D.subfolder(st, d, parent, name)
    for _, id in ipairs(d.folders) do
      local x = st.folders[id]
      if x.parent_folder_id == parent.id and x.name == name then return x end
    end
  end

  --- Walks (and with create, makes) a folder path under the user's root.
  function D.folder_by_path(st, d, u, path, create)
    local f = st.folders[d.root]
    for name in (path or ""):gmatch("[^/]+") do
      local found = D.subfolder(st, d, f, name)
      if not found then
        if not create then return nil end
        found = D.new_folder(st, u.id, name, f)
      end
      f = found
    end
    return f
  end

  return D
end

return M
