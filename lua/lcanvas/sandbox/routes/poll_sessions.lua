--- Poll Sessions API (canvas-lms app/controllers/polling/poll_sessions_controller.rb:
-- opened, closed): lists wrapped in a "poll_sessions" root key, each a
-- whole PollSession (app/serializers/polling/poll_session_serializer.rb):
-- results count the submissions per choice id; poll_submissions lists
-- them (the sandbox's caller sees its own).
local json = require "lcanvas.sandbox.json"

local POLLS = {
  opened = { { id = 1, poll_id = 1, course_id = 1, course_section_id = 1, is_published = true,
      has_public_results = false, created_at = "2024-09-02T15:00:00Z", results = { ["1"] = 3, ["2"] = 1 } },
    { id = 2, poll_id = 2, course_id = 2, course_section_id = 2, is_published = true,
      has_public_results = true, created_at = "2024-09-03T15:00:00Z", results = { ["3"] = 2 } } },
  closed = { { id = 3, poll_id = 1, course_id = 1, course_section_id = 1, is_published = false,
      has_public_results = false, created_at = "2024-08-28T15:00:00Z", results = { ["1"] = 4, ["2"] = 0 } } },
}

return function(app)
  local store = app.store
  for _, which in ipairs({ "opened", "closed" }) do
    app:route("GET", "/poll_sessions/" .. which, function(_, ctx)
      local out = store.deep_copy(POLLS[which])
      for _, s in ipairs(out) do
        s.poll_submissions = json.array({ { id = s.id * 100 + ctx.user_id % 100, poll_choice_id = s.poll_id * 2 - 1,
          user_id = ctx.user_id, created_at = s.created_at } })
      end
      return out
    end, { list = true, root = "poll_sessions" })
  end
end
