--- Page Views API of a user (canvas-lms app/controllers/page_views_controller.rb:
-- index): 45 generated views, paginated by bookmark as Canvas does.
return function(app)
  app:route("GET", "/users/:user/page_views", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for i = 1, 45 do
      out[i] = { id = string.format("pv-%d-%03d", ctx.user.id, i), url = "https://sandbox.test/courses/1/pages/" .. i,
        created_at = string.format("2024-09-01T%02d:%02d:00Z", i // 60, i % 60), user_id = ctx.user.id,
        http_method = "get", interaction_seconds = i * 1.5 }
    end
    return out
  end, { list = true, pagination = "bookmark" })
end
