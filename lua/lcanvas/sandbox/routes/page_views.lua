--- Page Views API of a user (canvas-lms app/controllers/page_views_controller.rb:
-- index): 45 generated views, paginated by bookmark as Canvas does. Canvas
-- asks for :view_statistics on the user, which account admins hold and
-- users do not hold on themselves (policy.lua). Each answer is
-- page_view_json (serializers.page_view): the user under links.user, never
-- a top-level user_id.
local S = require "lcanvas.sandbox.serializers"

local CONTEXTS = { { "Course", "wiki_pages", "show", "WikiPage" },
  { "Course", "assignments", "show", "Assignment" }, { "User", "users", "user_dashboard", nil } }

-- The user's page view records (PageView columns), newest first.
local function views_of(u)
  local out = {}
  for i = 1, 45 do
    local kind = CONTEXTS[i % #CONTEXTS + 1]
    local course = kind[1] == "Course" and (i % 4) + 1 or nil
    out[i] = { request_id = string.format("pv-%d-%03d", u.id, i),
      app_name = i % 5 == 0 and "Canvas for iOS" or nil,
      url = course and string.format("https://sandbox.test/courses/%d/pages/%d", course, i)
        or "https://sandbox.test/",
      context_type = kind[1], asset_type = kind[4], controller = kind[2], action = kind[3],
      interaction_seconds = i * 1.5,
      created_at = string.format("2024-09-01T%02d:%02d:00Z", i // 60, i % 60),
      user_request = i % 3 ~= 0, render_time = 0.05 + (i % 7) / 100,
      user_agent = "Mozilla/5.0 (X11; Linux x86_64) Sandbox/1.0", participated = i % 9 == 0,
      http_method = "get", remote_ip = "192.0.2." .. (i % 250 + 1),
      user_id = u.id, context_id = course or u.id, asset_id = kind[4] and i or nil,
      account_id = u.account_id or 1 }
  end
  return out
end

return function(app)
  app:route("GET", "/users/:user/page_views", function(self, ctx)
    self:require(ctx, "view_statistics", { user = ctx.user })
    local out = {}
    for i, pv in ipairs(views_of(ctx.user)) do out[i] = S.page_view(pv) end
    return out
  end, { list = true, pagination = "bookmark" })
end
