--- Files API, usage rights and licenses of a user's files (canvas-lms
-- app/controllers/usage_rights_controller.rb): set, remove, list licenses.
local json = require "lcanvas.sandbox.json"
local util = require "lcanvas.sandbox.util"
local UserData = require "lcanvas.sandbox.user_data"

local LICENSES = {
  { id = "private", name = "Private (Copyrighted)", url = "http://en.wikipedia.org/wiki/Copyright" },
  { id = "public_domain", name = "Public Domain", url = "http://en.wikipedia.org/wiki/Public_domain" },
  { id = "cc_by", name = "CC Attribution", url = "http://creativecommons.org/licenses/by/4.0" },
  { id = "cc_by_sa", name = "CC Attribution Share Alike", url = "http://creativecommons.org/licenses/by-sa/4.0" },
  { id = "cc_by_nc", name = "CC Attribution Non-Commercial", url = "http://creativecommons.org/licenses/by-nc/4.0" },
  { id = "cc_by_nc_sa", name = "CC Attribution Non-Commercial Share Alike",
    url = "http://creativecommons.org/licenses/by-nc-sa/4.0" },
  { id = "cc_by_nd", name = "CC Attribution No Derivatives", url = "http://creativecommons.org/licenses/by-nd/4.0" },
  { id = "cc_by_nc_nd", name = "CC Attribution Non-Commercial No Derivatives",
    url = "http://creativecommons.org/licenses/by-nc-nd/4.0" },
}
-- The license a justification implies when none is given.
local JUSTIFICATIONS = { own_copyright = "private", used_by_permission = "private", fair_use = "private",
  public_domain = "public_domain", creative_commons = "cc_by" }

local function files_word(n) return n == 1 and "file" or "files" end

return function(app)
  local store = app.store
  local data = UserData.of(app)

  local function files_from(st, d, p)
    local ids = util.array_of(p.file_ids)
    if #ids == 0 then app.bad_request("file_ids is required", "file_ids", "required") end
    local out = {}
    for _, raw in ipairs(ids) do out[#out + 1] = data.user_file(st, d, raw) end
    return out
  end

  app:route("PUT", "/users/:user/usage_rights", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local files = files_from(st, d, ctx.params)
    local ur = ctx.params.usage_rights
    local just = type(ur) == "table" and ur.use_justification
    if not JUSTIFICATIONS[just or ""] then
      app.bad_request("use_justification must be one of own_copyright, used_by_permission, fair_use, "
        .. "public_domain, creative_commons", "use_justification", "invalid")
    end
    local license = ur.license or JUSTIFICATIONS[just]
    local lic_name
    for _, l in ipairs(LICENSES) do if l.id == license then lic_name = l.name end end
    if not lic_name then app.bad_request("unknown license", "license", "invalid") end
    local rights = { use_justification = just, license = license, license_name = lic_name,
      legal_copyright = ur.legal_copyright }
    local ids = json.array({})
    for _, f in ipairs(files) do
      f.usage_rights = util.copy(rights)
      ids[#ids + 1] = f.id
    end
    local out = util.copy(rights)
    out.message = string.format("%d %s updated", #files, files_word(#files))
    out.file_ids = ids
    return out
  end)

  app:route("DELETE", "/users/:user/usage_rights", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local files = files_from(st, d, ctx.params)
    local ids = json.array({})
    for _, f in ipairs(files) do
      f.usage_rights = nil
      ids[#ids + 1] = f.id
    end
    return { message = string.format("Usage rights removed from %d %s", #files, files_word(#files)),
      file_ids = ids }
  end)

  app:route("GET", "/users/:user/content_licenses", function(self, ctx)
    data.manage(self, ctx)
    return store.deep_copy(LICENSES)
  end, { list = true })
end
