--- Page Views API of a user (canvas-lms app/controllers/page_views_controller.rb:
-- index): 45 generated views, paginated by bookmark as Canvas does. Each is
-- a whole PageView (lib/api/v1/page_view.rb): the user is under
-- links.user, never a top-level user_id.
local json = require "lcanvas.sandbox.json"

local CONTEXTS = { { "Course", "wiki_pages", "show", "WikiPage" },
  { "Course", "assignments", "show", "Assignment" }, { "User", "users", "user_dashboard", nil } }

return function(app)
  app:route("GET", "/users/:user/page_views", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local u = ctx.user
    local out = {}
    for i = 1, 45 do
      local kind = CONTEXTS[i % #CONTEXTS + 1]
      local course = kind[1] == "Course" and (i % 4) + 1 or nil
      out[i] = { id = string.format("pv-%d-%03d", u.id, i),
        app_name = i % 5 == 0 and "Canvas for iOS" or json.null,
        url = course and string.format("https://sandbox.test/courses/%d/pages/%d", course, i)
          or "https://sandbox.test/",
        context_type = kind[1], asset_type = kind[4] or json.null, controller = kind[2], action = kind[3],
        contributed = false, interaction_seconds = i * 1.5,
        created_at = string.format("2024-09-01T%02d:%02d:00Z", i // 60, i % 60),
        user_request = i % 3 ~= 0, render_time = 0.05 + (i % 7) / 100,
        user_agent = "Mozilla/5.0 (X11; Linux x86_64) Sandbox/1.0", participated = i % 9 == 0,
        http_method = "get", remote_ip = "192.0.2." .. (i % 250 + 1),
        links = { user = u.id, context = course or u.id, asset = kind[4] and i or json.null,
          real_user = json.null, account = u.account_id or 1 } }
    end
    return out
  end, { list = true, pagination = "bookmark" })
end
