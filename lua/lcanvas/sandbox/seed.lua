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

-- Courses, sections, enrollments, terms, accounts, admins and roles (the
-- admin types of issue 21), as Canvas stores them: a course names its term
-- and account, every course has a default section, an enrollment names its
-- section and role, and enrollment_state is the enrollment's workflow_state.
local CREATED_AT = "2024-08-15T12:00:00Z"

local terms = {
  { id = 1, name = "Default Term", root_account_id = 1, workflow_state = "active", default = true },
  { id = 2, name = "Fall 2026", sis_term_id = "2026-FA", root_account_id = 1, workflow_state = "active",
    start_at = "2026-08-20T00:00:00Z", end_at = "2026-12-20T00:00:00Z" },
  { id = 3, name = "Spring 2027", sis_term_id = "2027-SP", root_account_id = 1, workflow_state = "active",
    start_at = "2027-01-10T00:00:00Z", end_at = "2027-05-15T00:00:00Z",
    -- Teachers may start preparing a week early (enrollment_dates_overrides).
    overrides = { TeacherEnrollment = { start_at = "2027-01-03T00:00:00Z", end_at = "2027-05-22T00:00:00Z" } } },
  { id = 4, name = "Fall 2025", sis_term_id = "2025-FA", root_account_id = 1, workflow_state = "active",
    start_at = "2025-08-20T00:00:00Z", end_at = "2025-12-20T00:00:00Z" },
}
for _, t in ipairs(terms) do t.created_at = CREATED_AT end

local function course(id, name, code, account_id, term_id, sis, state, extra)
  local c = { id = id, name = name, course_code = code, account_id = account_id, root_account_id = 1,
    enrollment_term_id = term_id, sis_course_id = sis, workflow_state = state, created_at = CREATED_AT,
    uuid = string.format("SbxCourseUuid%027d", id) }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local courses = {
  course(1, "Biology 101", "BIO101", 1, 2, "BIO/101.1", "available"),
  course(2, "Chemistry 201", "CHEM201", 1, 2, "CHEM.201", "available"),
  course(3, "History of Sandboxes", "HIST110", 2, 2, "HIST110", "available"),
  course(4, "Algebra I", "MATH100", 1, 4, "MATH100", "available"),
}
-- 36 generated courses across the four terms and accounts: past-term ones
-- concluded, future-term ones unpublished, two deleted, one blueprint.
local SUBJECTS = { "Art", "Botany", "Civics", "Drama", "Economics", "French", "Geology", "Music", "Physics" }
for id = 5, 40 do
  local term = id % 4 + 1
  local account = (id // 4) % 4 + 1
  local state
  if id == 13 or id == 29 then state = "deleted"
  elseif term == 4 then state = "completed"
  elseif term == 3 then state = "created"
  elseif term == 1 and id % 3 == 0 then state = "created"
  else state = "available" end
  local subject = SUBJECTS[(id - 5) % #SUBJECTS + 1]
  courses[#courses + 1] = course(id, string.format("%s %d", subject, 100 + id),
    string.format("%s%d", subject:sub(1, 3):upper(), 100 + id), account, term, string.format("GEN-%03d", id), state,
    id == 20 and { blueprint = true } or nil)
end

-- Every course's default section has the course's id and name; course 1
-- has two more, and a section of course 4 is cross-listed into course 2.
local sections = {}
for _, c in ipairs(courses) do
  sections[#sections + 1] = { id = c.id, course_id = c.id, name = c.name, default_section = true }
end
sections[#sections + 1] = { id = 41, course_id = 1, name = "Section A", sis_section_id = "BIO/101.1-A" }
sections[#sections + 1] = { id = 42, course_id = 1, name = "Section B", sis_section_id = "BIO/101.1-B" }
sections[#sections + 1] = { id = 43, course_id = 2, nonxlist_course_id = 4, name = "Algebra I - Evening",
  sis_section_id = "MATH100-EVE" }
for _, s in ipairs(sections) do s.created_at = CREATED_AT end

-- Canvas's built-in roles, and one custom role of each kind on the root account.
local roles = {
  { id = 1, name = "AccountAdmin", base_role_type = "AccountMembership", workflow_state = "built_in" },
  { id = 2, name = "StudentEnrollment", base_role_type = "StudentEnrollment", workflow_state = "built_in" },
  { id = 3, name = "TeacherEnrollment", base_role_type = "TeacherEnrollment", workflow_state = "built_in" },
  { id = 4, name = "TaEnrollment", base_role_type = "TaEnrollment", workflow_state = "built_in" },
  { id = 5, name = "DesignerEnrollment", base_role_type = "DesignerEnrollment", workflow_state = "built_in" },
  { id = 6, name = "ObserverEnrollment", base_role_type = "ObserverEnrollment", workflow_state = "built_in" },
  { id = 10, name = "Sandbox Auditor", base_role_type = "AccountMembership", workflow_state = "active", account_id = 1,
    -- A read-only account role: it may look, not change.
    permissions = { read_course_list = true, read_course_content = true, read_roster = true, read_sis = true,
      view_all_grades = true } },
  { id = 11, name = "Sandbox Reviewer", base_role_type = "TaEnrollment", workflow_state = "active", account_id = 1 },
  { id = 12, name = "Retired Grader", base_role_type = "TaEnrollment", workflow_state = "inactive", account_id = 1 },
}
for _, r in ipairs(roles) do r.created_at, r.updated_at = CREATED_AT, CREATED_AT end
local ROLE_ID = {}
for _, r in ipairs(roles) do ROLE_ID[r.name] = r.id end

local enrollments = {}
-- The section a course's enrollment goes into by default: its default section.
local function enroll(user_id, course_id, type, extra)
  local e = { id = #enrollments + 1, user_id = user_id, course_id = course_id, type = type,
    role = type, role_id = ROLE_ID[type], enrollment_state = "active", course_section_id = course_id,
    root_account_id = 1, created_at = CREATED_AT, updated_at = CREATED_AT }
  for k, v in pairs(extra or {}) do e[k] = v end
  enrollments[#enrollments + 1] = e
  return e
end
for c = 1, 4 do enroll(2, c, "TeacherEnrollment") end
for s = 3, 6 do
  enroll(s, 1, "StudentEnrollment")
  enroll(s, (s % 3) + 2, "StudentEnrollment")
end
enroll(43460000000000001, 1, "StudentEnrollment")
enroll(10, 2, "StudentEnrollment")
for i = 0, 299 do
  local c = i % 4 + 1
  -- Course 1's generated students sit in Sections A and B, alternately.
  enroll(100 + i, c, "StudentEnrollment", c == 1 and { course_section_id = (i // 4) % 2 == 0 and 41 or 42 } or nil)
end
-- One of each other kind and state (enrollment ids 315-323).
enroll(7, 1, "ObserverEnrollment", { associated_user_id = 3 })         -- Pat observes Sam in Biology
enroll(4, 2, "StudentEnrollment", { enrollment_state = "invited" })     -- Sofia, invited to Chemistry
enroll(101, 1, "TaEnrollment")
enroll(102, 1, "DesignerEnrollment")
enroll(103, 1, "TaEnrollment", { role = "Sandbox Reviewer", role_id = ROLE_ID["Sandbox Reviewer"] })
enroll(105, 1, "StudentEnrollment", { enrollment_state = "inactive" })
enroll(106, 1, "StudentEnrollment", { enrollment_state = "completed" })
enroll(107, 1, "StudentEnrollment", { enrollment_state = "deleted" })
enroll(111, 2, "StudentEnrollment", { enrollment_state = "rejected" })
-- The cross-listed section's students are enrolled in the course it now belongs to.
enroll(380, 2, "StudentEnrollment", { course_section_id = 43 })
enroll(381, 2, "StudentEnrollment", { course_section_id = 43 })
-- Students of generated courses (users 300-379), in the state their course gives them.
local state_of = { deleted = "deleted", completed = "completed" }
for k = 0, 79 do
  local c = courses[5 + k % 24]   -- courses 29-40 have nobody
  enroll(300 + k, c.id, "StudentEnrollment", { enrollment_state = state_of[c.workflow_state] or "active" })
end

-- Account memberships (AccountUser): the root admin, a sub-account admin
-- and a read-only auditor on School of Sandbox Science.
local account_users = {
  { id = 1, account_id = 1, user_id = 1, role_id = ROLE_ID.AccountAdmin, workflow_state = "active" },
  { id = 2, account_id = 2, user_id = 100, role_id = ROLE_ID.AccountAdmin, workflow_state = "active" },
  { id = 3, account_id = 2, user_id = 115, role_id = ROLE_ID["Sandbox Auditor"], workflow_state = "active" },
}

return {
  accounts = {
    { id = 1, name = "Sandbox University", sis_account_id = "ROOT" },
    { id = 2, name = "School of Sandbox Science", parent_account_id = 1, root_account_id = 1, sis_account_id = "SCI" },
    { id = 3, name = "School of Humanities", parent_account_id = 1, root_account_id = 1, sis_account_id = "HUM" },
    { id = 4, name = "Department of Sandboxes", parent_account_id = 2, root_account_id = 1,
      sis_account_id = "SCI-SBX" },
  },
  users = users,
  terms = terms,
  courses = courses,
  sections = sections,
  enrollments = enrollments,
  roles = roles,
  account_users = account_users,
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
