--- The sandbox's default seed: a small school. A seed file is a Lua chunk
-- returning a table of this shape (`lcanvas sandbox --seed FILE`).
local FIRST = { "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indy",
  "Jordan", "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Riley", "Sage", "Taylor" }
local LAST = { "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
  "Jensen", "Khan", "Lopez", "Murphy", "Nakamura", "Okafor" }

local created = "2024-08-15T12:00:00Z"

local function user(id, name, login, sis, extra)
  local first, last = name:match("^(%S+)%s+(.+)$")
  local u = {
    id = id, name = name, short_name = first or name,
    sortable_name = last and (last .. ", " .. first) or name,
    login_id = login, sis_user_id = sis, email = login:find("@") and login or (login .. "@sandbox.test"),
    avatar_url = "https://sandbox.test/images/avatars/" .. id .. ".png",
    locale = "en", time_zone = "America/Denver", created_at = created,
    password = "pass-" .. login, account_id = 1,
    -- Sent only when asked (include[]=uuid, include[]=last_login).
    uuid = string.format("SbxUserUuid%029d", id),
    last_login = string.format("2024-09-%02dT%02d:%02d:00Z", id % 28 + 1, id % 24, id % 60),
    sis_import_id = sis and 1 or nil,
  }
  for k, v in pairs(extra or {}) do
    if v == false then u[k] = nil else u[k] = v end   -- false: the user has none
  end
  return u
end

local users = {
  user(1, "Sandbox Admin", "admin", "ADMIN"),
  user(2, "Terry Teacher", "terry.teacher", "T0001"),
  user(3, "Sam Student", "sam.student", "S0001"),
  user(4, "Sofia Student", "sofia.student", "S0002"),
  user(5, "Omar Student", "omar.student", "S0003"),
  user(6, "Lena Student", "lena.student", "S0004"),
  user(7, "Pat Parent", "pat.parent", "P0001"),
  user(8, "Robin Parent", "robin.parent", "P0002"),
  user(9, "Nico Nobody", "nico.nobody", nil, { last_login = false }),
  user(10, "Casey Slash", "casey.slash", "CS/101.1"),
  user(11, "Jo Doe", "jdoe@example.com", "JDOE"),
  user(43460000000000001, "Shard Student", "shard.student", "SHARD1", { account_id = 1 }),
}
for i = 0, 299 do
  local first, last = FIRST[i % #FIRST + 1], LAST[(i // #FIRST) % #LAST + 1]
  local login = string.format("%s.%s%d", first:lower(), last:lower(), i)
  users[#users + 1] = user(100 + i, first .. " " .. last, login, string.format("U%04d", i),
    { account_id = (i % 5 == 0) and 2 or 1 })
end

local courses = {
  { id = 1, name = "Biology 101", course_code = "BIO101", account_id = 1, workflow_state = "available" },
  { id = 2, name = "Chemistry 201", course_code = "CHEM201", account_id = 1, workflow_state = "available" },
  { id = 3, name = "History of Sandboxes", course_code = "HIST110", account_id = 2, workflow_state = "available" },
  { id = 4, name = "Algebra I", course_code = "MATH100", account_id = 1, workflow_state = "available" },
}

local enrollments = {}
local function enroll(user_id, course_id, type)
  enrollments[#enrollments + 1] = {
    id = #enrollments + 1, user_id = user_id, course_id = course_id, type = type,
    role = type, enrollment_state = "active",
  }
end
for c = 1, 4 do enroll(2, c, "TeacherEnrollment") end
for s = 3, 6 do
  enroll(s, 1, "StudentEnrollment")
  enroll(s, (s % 3) + 2, "StudentEnrollment")
end
enroll(43460000000000001, 1, "StudentEnrollment")
enroll(10, 2, "StudentEnrollment")
for i = 0, 299 do enroll(100 + i, i % 4 + 1, "StudentEnrollment") end

return {
  accounts = {
    { id = 1, name = "Sandbox University", parent_account_id = nil, root_account_id = nil },
    { id = 2, name = "School of Sandbox Science", parent_account_id = 1, root_account_id = 1 },
  },
  users = users,
  courses = courses,
  enrollments = enrollments,
  admins = { [1] = true },          -- user ids with account admin rights
  -- Observer links (UserObservationLink), so the observer scripts have
  -- something to show: two families among the generated users, on the
  -- root account. The named users (Pat and Robin Parent...) start unlinked
  -- for the specs that link them.
  observer_links = {
    { observer_id = 121, student_id = 122, root_account_id = 1 },  -- Blake Brooks: Casey, Devon
    { observer_id = 121, student_id = 123, root_account_id = 1 },
    { observer_id = 141, student_id = 142, root_account_id = 1 },  -- Blake Chen: Casey Chen
  },
  tokens = {
    ["sandbox-admin-token"] = 1,
    ["sandbox-teacher-token"] = 2,
    ["sandbox-student-token"] = 3,
    ["sandbox-parent-token"] = 7,
    ["sandbox-noperm-token"] = 9,
  },
}
