--- Files API, a user's folders (canvas-lms app/controllers/folders_controller.rb:
-- list_all_folders, resolve_path, show, create). State: user_data.lua.
local params = require "lcanvas.sandbox.params"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/folders", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local out = {}
    for _, id in ipairs(d.folders) do out[#out + 1] = data.present_folder(st, st.folders[id]) end
    return out
  end, { list = true })

  local function by_path(self, ctx)
    local d, st = data.manage(self, ctx)
    -- Split the raw path before unescaping, so "a%2Fb" stays one name.
    local raw = ctx.req.path:match("/folders/by_path/(.*)$") or ""
    local chain = { st.folders[d.root] }
    for part in raw:gmatch("[^/]+") do
      local found = data.subfolder(st, d, chain[#chain], params.unescape(part))
      if not found then app.not_found() end
      chain[#chain + 1] = found
    end
    local out = {}
    for i, f in ipairs(chain) do out[i] = data.present_folder(st, f) end
    return out
  end
  app:route("GET", "/users/:user/folders/by_path", by_path, { list = true })
  app:route("GET", "/users/:user/folders/by_path/*path", by_path, { list = true })

  app:route("GET", "/users/:user/folders/:folder", function(self, ctx)
    local d, st = data.manage(self, ctx)
    return data.present_folder(st, data.user_folder(st, d, ctx.args.folder))
  end)

  app:route("POST", "/users/:user/folders", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local p = ctx.params
    if type(p.name) ~= "string" or p.name == "" then app.bad_request("name is required", "name", "blank") end
    if p.name:find("/", 1, true) then app.bad_request("name must not contain /", "name", "invalid") end
    local parent
    if p.parent_folder_id ~= nil then parent = data.user_folder(st, d, p.parent_folder_id)
    else parent = data.folder_by_path(st, d, ctx.user, p.parent_folder_path, true) end
    if data.subfolder(st, d, parent, p.name) then
      app.bad_request("a folder with that name already exists", "name", "taken")
    end
    local f = data.new_folder(st, ctx.user.id, p.name, parent)
    if p.position then f.position = util.to_int(p.position) or 1 end
    return data.present_folder(st, f)
  end)
end
