--- Poll Sessions API (canvas-lms app/controllers/polling/poll_sessions_controller.rb:
-- opened, closed): lists wrapped in a "poll_sessions" root key.
local POLLS = {
  opened = { { id = 1, course_id = 1, is_published = true, has_public_results = false },
    { id = 2, course_id = 2, is_published = true, has_public_results = true } },
  closed = { { id = 3, course_id = 1, is_published = false, has_public_results = false } },
}

return function(app)
  local store = app.store
  for _, which in ipairs({ "opened", "closed" }) do
    app:route("GET", "/poll_sessions/" .. which, function()
      return store.deep_copy(POLLS[which])
    end, { list = true, root = "poll_sessions" })
  end
end
