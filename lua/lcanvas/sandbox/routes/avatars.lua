--- Users API, a user's avatar options (canvas-lms
-- app/controllers/profile_controller.rb: profile_pics): gravatar, the
-- user's image files, and "no picture".
local UserData = require "lcanvas.sandbox.user_data"

return function(app)
  local data = UserData.of(app)

  app:route("GET", "/users/:user/avatars", function(self, ctx)
    local d, st = data.manage(self, ctx)
    local u = ctx.user
    local out = { { type = "gravatar", display_name = "gravatar pic", token = "gravatar-" .. u.id,
      url = "https://secure.gravatar.com/avatar/" .. u.id .. "?s=128&d=identicon" } }
    for _, id in ipairs(d.files) do
      local f = st.files[id]
      if f and not f.pending and f.content_type:find("^image/") then
        out[#out + 1] = { type = "attachment", display_name = f.display_name, token = "attachment-" .. f.id,
          url = data.present_file(f).url, id = f.id, ["content-type"] = f.content_type, filename = f.filename,
          size = f.size }
      end
    end
    out[#out + 1] = { type = "no_pic", display_name = "no pic", token = "no_pic",
      url = "https://sandbox.test/images/messages/avatar-50.png" }
    return out
  end, { list = true })
end
