--- Not a Canvas endpoint: a fixture list paginated the JSON:API way (the
-- next page's URL in meta.pagination, no Link header), the shape some
-- Canvas APIs answer with (e.g. app/controllers/quizzes/quiz_submissions_api_controller.rb).
return function(app)
  app:route("GET", "/users/:user/meta_list", function(self, ctx)
    self:require_manage(ctx, ctx.user)
    local out = {}
    for i = 1, 25 do out[i] = { id = i, title = "Item " .. i } end
    return out
  end, { list = true, root = "items", meta = true })
end
