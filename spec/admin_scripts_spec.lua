-- term-report.lua and enrollment-sync.lua, run through the lcanvas host
-- against the spec sandbox: the files they wrote compared with what
-- lcanvas reads back, the requests the sandbox received (SIS ids escaped,
-- nothing sent in a dry run or on bad input), and a second run that
-- changes nothing.
local sandbox = require "helper"
local lcanvas = require "lcanvas"

local dir, canvas

local function run(script, args, flags) return sandbox.run_script(dir, script, args, flags) end

local changes, exists = sandbox.changes, sandbox.exists

local function by(rows, key)
  local t = {}
  for _, r in ipairs(rows) do t[r[key]] = r end
  return t
end

describe("admin scripts against the sandbox", function()
  setup(function()
    sandbox.start()
    canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
  end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
    dir = sandbox.script_dir()
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  describe("term-report.lua", function()
    -- The courses of a term as lcanvas reads them, with their student counts
    -- counted from the enrollments themselves.
    local function expected(term_id, states)
      local want = {}
      for c in canvas:get_account(1):get_courses({ enrollment_term_id = term_id, state = states }) do
        -- Canvas counts students, not enrollments (lib/api/v1/course.rb:
        -- distinct user ids): one in two sections counts once.
        local seen, students = {}, 0
        for e in c:get_enrollments({ type = { "StudentEnrollment" }, state = { "active", "invited" } }) do
          if not seen[e.user_id] then seen[e.user_id], students = true, students + 1 end
        end
        want[tostring(c.id)] = { sis = c.sis_course_id or "", state = c.workflow_state, students = students }
      end
      return want
    end

    it("writes every course of the term with its teachers and its student count", function()
      local code, out, err = run("term-report.lua", "2026-FA --output fall.csv")
      assert.equal(0, code, err)
      assert.equal("", out)
      assert.matches("term%-report: term Fall 2026 %(2%)", err)
      local rows, header = lcanvas.csv.read(dir .. "/fall.csv")
      assert.same({ "course_id", "sis_course_id", "course_code", "name", "state", "subaccount", "teachers",
        "students" }, header)
      local want = expected(2)
      local got = by(rows, "course_id")
      local n = 0
      for id, w in pairs(want) do
        n = n + 1
        assert.is_table(got[id], "course " .. id .. " missing from the report")
        assert.equal(w.sis, got[id].sis_course_id)
        assert.equal(w.state, got[id].state)
        assert.equal(tostring(w.students), got[id].students, "students of course " .. id)
      end
      assert.equal(n, #rows)
      assert.is_true(n > 3)
      -- Biology 101 (SIS id with / and .) is taught by Terry Teacher; a
      -- course of a sub-account names it.
      assert.equal("BIO/101.1", got["1"].sis_course_id)
      assert.matches("Terry", got["1"].teachers)
      assert.equal("School of Sandbox Science", got["3"].subaccount)
      -- the deleted course of the term is left out, as Canvas's default state list does
      assert.is_nil(got["13"])
      -- what Canvas was asked: the term's id and the fields the report needs
      local lists = sandbox.api_requests(function(r) return r.path == "/api/v1/accounts/1/courses" end)
      local q = lists[1].query:gsub("%%5B%%5D", "[]")   -- the script's, before the checks above
      assert.matches("enrollment_term_id=2", q)
      for _, inc in ipairs({ "teachers", "total_students", "subaccount" }) do
        assert.matches("include%[%]=" .. inc, q)
      end
      assert.same({}, changes())
    end)

    it("takes a term by id, sis_term_id: or current, and --state all", function()
      local code, _, err = run("term-report.lua", "3 --output spring.csv")
      assert.equal(0, code, err)
      local rows = lcanvas.csv.read(dir .. "/spring.csv")
      local want = expected(3)
      local n = 0
      for _ in pairs(want) do n = n + 1 end
      assert.equal(n, #rows)
      code, _, err = run("term-report.lua", "current --output cur.csv")
      assert.equal(0, code, err)
      assert.matches("term Fall 2026 %(2%)", err)
      code, _, err = run("term-report.lua", "sis_term_id:2026-FA --state all --output all.csv")
      assert.equal(0, code, err)
      local all = by(lcanvas.csv.read(dir .. "/all.csv"), "course_id")
      assert.equal("deleted", all["13"].state)
    end)

    it("refuses an unknown term, listing the account's terms, and writes nothing", function()
      local code, _, err = run("term-report.lua", "1999-XX --output x.csv")
      assert.equal(2, code)
      assert.matches("account 1 has no term '1999%-XX'; its terms: ", err)
      assert.matches("Fall 2026 %(id 2, SIS id 2026%-FA%)", err)
      assert.is_false(exists(dir .. "/x.csv"))
      code, _, err = run("term-report.lua", "2026-FA --state avail --output x.csv")
      assert.equal(2, code)
      assert.matches("unknown course state 'avail'", err)
      code, _, err = run("term-report.lua", "")
      assert.equal(2, code)
      assert.matches("which term%?", err)
      assert.is_false(exists(dir .. "/x.csv"))
    end)

    it("runs as a dry run, writing beside the real file", function()
      local code, _, err = run("term-report.lua", "2026-FA --output fall.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.is_true(exists(dir .. "/fall.dry-run.csv"))
      assert.is_false(exists(dir .. "/fall.csv"))
    end)
  end)

  describe("enrollment-sync.lua", function()
    local EXAMPLE = sandbox.abs_root .. "/scripts/examples/enrollments.csv"

    -- A user's enrollments in a course, every state.
    local function enrollments(user, course)
      local out = {}
      for e in canvas:get_course(course):get_enrollments({ user_id = user, state = { "active", "invited",
        "creation_pending", "inactive", "completed", "rejected", "deleted" } }) do
        out[#out + 1] = e
      end
      return out
    end
    local function state_of(user, course, etype)
      for _, e in ipairs(enrollments(user, course)) do
        if e.type == etype then return e.enrollment_state, e end
      end
    end

    it("applies each row, and a second run changes nothing", function()
      os.execute(string.format("cp %q %q", EXAMPLE, dir .. "/rows.csv"))
      local code, _, err = run("enrollment-sync.lua", "rows.csv")
      assert.equal(0, code, err)
      local rows = lcanvas.csv.read(dir .. "/rows.results.csv")
      local status = {}
      for _, r in ipairs(rows) do status[#status + 1] = r.status end
      assert.same({ "enrolled", "enrolled", "concluded", "deactivated", "deleted", "already concluded" }, status)
      -- what Canvas now holds
      local st, e = state_of(9, 1, "StudentEnrollment")          -- Nico, into Section A
      assert.equal("active", st)
      assert.equal(41, e.course_section_id)
      assert.equal(tostring(e.id), rows[1].enrollment_ids)
      assert.equal("active", state_of(4, 1, "TaEnrollment"))     -- Sofia, TA of Biology
      assert.equal("completed", state_of(3, 2, "StudentEnrollment"))
      assert.equal("inactive", state_of(5, 1, "StudentEnrollment"))
      assert.equal("deleted", state_of(4, 3, "StudentEnrollment"))
      -- SIS ids with / and . travel escaped
      local looked = sandbox.api_requests(function(r) return r.path:find("sis_course_id:BIO", 1, true) end)
      assert.equal("/api/v1/courses/sis_course_id:BIO%2F101%2E1", looked[1].path)
      local sec = sandbox.api_requests(function(r) return r.path:find("sis_section_id:", 1, true) end)
      assert.equal("/api/v1/sections/sis_section_id:BIO%2F101%2E1-A", sec[1].path)
      assert.equal(5, #changes())

      sandbox.clear_requests()
      code, _, err = run("enrollment-sync.lua", "rows.csv")
      assert.equal(0, code, err)
      status = {}
      for _, r in ipairs(lcanvas.csv.read(dir .. "/rows.results.csv")) do status[#status + 1] = r.status end
      assert.same({ "already enrolled", "already enrolled", "already concluded", "already inactive",
        "already deleted", "already concluded" }, status)
      assert.same({}, changes())
      assert.matches("enrollment-sync: 2 already enrolled, 2 already concluded, 1 already inactive, " ..
        "1 already deleted (results in rows.results.csv)", err, 1, true)
    end)

    it("sends nothing in a dry run and says what it would do", function()
      os.execute(string.format("cp %q %q", EXAMPLE, dir .. "/rows.csv"))
      local code, _, err = run("enrollment-sync.lua", "rows.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.same({}, changes())
      local status = {}
      for _, r in ipairs(lcanvas.csv.read(dir .. "/rows.results.dry-run.csv")) do status[#status + 1] = r.status end
      assert.same({ "would enroll", "would enroll", "would conclude", "would deactivate", "would delete",
        "already concluded" }, status)
      assert.is_false(exists(dir .. "/rows.results.csv"))
      assert.equal("active", state_of(5, 1, "StudentEnrollment"))
    end)

    it("refuses bad rows before sending anything, naming each", function()
      sandbox.write_file(dir .. "/bad.csv", table.concat({
        "action,user,course,section,type,state",
        "enroll,nosuch.user,BIO/101.1,,student,",          -- 2 unknown user
        "enroll,sam.student,NOPE-1,,student,",              -- 3 unknown course
        "enroll,sam.student,CHEM.201,BIO/101.1-A,student,", -- 4 section of another course
        "enroll,omar.student,BIO/101.1,,,",                 -- 5 no type
        "drop,omar.student,BIO/101.1,,student,",            -- 6 unknown action
        "conclude,sam.student,BIO/101.1,,student,active",   -- 7 state on a conclude
        "enroll,lena.student,BIO/101.1,,learner,",          -- 8 unknown type
        "conclude,sis_user_id:S0001,BIO/101.1,,student,",   -- 9 same as 10 (Sam)
        "delete,3,sis_course_id:BIO/101.1,,StudentEnrollment,", -- 10
        "enroll,sam.student,,,student,",                    -- 11 no course
      }, "\n") .. "\n")
      local code, _, err = run("enrollment-sync.lua", "bad.csv")
      assert.equal(2, code)
      for _, want in ipairs({
        "line 6: action 'drop' is not enroll, conclude, deactivate or delete",
        "line 5: enroll needs a type",
        "line 7: state is read for enroll only",
        "line 8: type 'learner' is not student",
        "line 11: the course is empty",
      }) do
        assert.matches(want, err, 1, true)
      end
      assert.matches("nothing was changed", err)
      assert.same({}, changes())
      assert.is_false(exists(dir .. "/bad.results.csv"))

      -- with the shape right, the lookups: unknown users and courses, a
      -- section of another course, the same enrollment twice
      sandbox.write_file(dir .. "/bad2.csv", table.concat({
        "action,user,course,section,type",
        "enroll,nosuch.user,BIO/101.1,,student",
        "enroll,sam.student,NOPE-1,,student",
        "enroll,sam.student,CHEM.201,BIO/101.1-A,student",
        "conclude,sis_user_id:S0001,BIO/101.1,,student",
        "delete,3,sis_course_id:BIO/101.1,,StudentEnrollment",
      }, "\n") .. "\n")
      code, _, err = run("enrollment-sync.lua", "bad2.csv")
      assert.equal(2, code)
      for _, want in ipairs({
        "line 2: user 'nosuch.user': no such user",
        "line 3: course 'NOPE-1': no such course",
        "line 4: section 'BIO/101.1-A' belongs to course 1, not to 'CHEM.201' (2)",
        "line 6: same user, course, section and type as line 5",
      }) do
        assert.matches(want, err, 1, true)
      end
      assert.same({}, changes())
      assert.is_false(exists(dir .. "/bad2.results.csv"))

      sandbox.write_file(dir .. "/cols.csv", "action,user,course,sectoin\nenroll,sam.student,BIO/101.1,A\n")
      code, _, err = run("enrollment-sync.lua", "cols.csv")
      assert.equal(2, code)
      assert.matches("a column 'sectoin' this script does not read", err, 1, true)
    end)

    it("reports a row Canvas refuses as failed, goes on, and exits 1", function()
      -- GEN-007 is a concluded course: Canvas refuses new enrollments there.
      sandbox.write_file(dir .. "/rows.csv", table.concat({
        "action,user,course,type",
        "enroll,nico.nobody,GEN-007,student",
        "delete,nico.nobody,HIST110,student",
        "enroll,nico.nobody,CHEM.201,student",
      }, "\n") .. "\n")
      local code, _, err = run("enrollment-sync.lua", "rows.csv")
      assert.equal(1, code, err)
      local rows = lcanvas.csv.read(dir .. "/rows.results.csv")
      assert.equal("failed", rows[1].status)
      assert.matches("concluded course", rows[1].message)
      assert.equal("not enrolled", rows[2].status)
      assert.equal("enrolled", rows[3].status)
      assert.matches("line 2: ", err)
    end)
  end)
end)
