-- sis-import.lua and account-report.lua run through the lcanvas host
-- against the spec sandbox's job engine: the exit status by outcome, the
-- errors file, files checked before anything is sent, dry runs, a report
-- downloaded to a file, and Ctrl-C during a wait naming the job left
-- running.
local sandbox = require "helper"
local lcanvas = require "lcanvas"
local socket = require "socket"

local SCRIPTS = sandbox.abs_root .. "/scripts/"
local dir

local function run(script, args, flags) return sandbox.run_script(dir, script, args, flags) end

local posts, exists = sandbox.changes, sandbox.exists

local USERS = "user_id,login_id,first_name,last_name,status\nSCR-1,scr.one,Scr,One,active\n"

describe("job scripts against the sandbox", function()
  local canvas
  setup(function()
    sandbox.start()
    canvas = lcanvas.new(sandbox.url, sandbox.tokens.admin, { max_retries = 0 })
  end)
  before_each(function()
    sandbox.reset()   -- jobs move one state per read; the scripts poll fast (--poll)
    sandbox.clear_requests()
    dir = sandbox.script_dir()
  end)
  after_each(function()
    os.execute("rm -rf " .. dir)
    sandbox.reset()
  end)

  describe("sis-import.lua", function()
    it("imports a CSV, prints the counts and writes an errors file; exit 0", function()
      sandbox.write_file(dir .. "/users.csv", USERS)
      local code, _, err = run("sis-import.lua", "users.csv --poll 0.01")
      assert.equal(0, code, err)
      assert.matches("sis%-import: users%.csv: 1 user row", err)
      assert.matches("sis%-import: SIS import %d+ imported: 1 users", err)
      assert.equal("Scr One", canvas:get_user("SCR-1", "sis_user_id").name)
      local rows, header = lcanvas.csv.read(dir .. "/users.errors.csv")
      assert.same({ "sis_import_id", "file", "row", "message", "failure" }, header)
      assert.equal(0, #rows)
    end)

    it("imports a zip; rows Canvas refuses go to the errors file; exit 3", function()
      local enr = "course_id,user_id,role,status\nBIO/101.1,SCR-1,student,active\nNOPE-9,SCR-1,student,active\n"
      sandbox.write_file(dir .. "/fall.zip", sandbox.make_zip({
        { name = "users.csv", data = USERS }, { name = "enrollments.csv", data = enr },
        { name = "__MACOSX/._users.csv", data = "junk" } }))
      local code, _, err = run("sis-import.lua", "fall.zip --poll 0.01")
      assert.equal(3, code, err)
      assert.matches("imported_with_messages", err)
      local rows = lcanvas.csv.read(dir .. "/fall.errors.csv")
      assert.is_true(#rows >= 1)
      assert.equal("enrollments.csv", rows[1].file)
      assert.matches("NOPE%-9", rows[1].message)
    end)

    it("sends nothing for a file with problems, or under --dry-run", function()
      sandbox.write_file(dir .. "/bad.csv", "user_id,login_id,status\nU1,,active\nU2,u2,gone\n")
      local code, _, err = run("sis-import.lua", "bad.csv")
      assert.equal(2, code)
      assert.matches("bad%.csv:2: no login_id", err)
      assert.matches("bad%.csv:3: status \"gone\"", err)
      assert.matches("nothing was sent", err)
      sandbox.write_file(dir .. "/users.csv", USERS)
      code, _, err = run("sis-import.lua", "users.csv", "--dry-run")
      assert.equal(0, code, err)
      assert.matches("DRY%-RUN POST /api/v1/accounts/1/sis_imports", err)
      assert.matches("nothing was sent", err)
      assert.same({}, posts())
      assert.is_false(exists(dir .. "/users.errors.csv"))
    end)

    it("exits 1 for a failed import and for one still waiting at the timeout", function()
      sandbox.write_file(dir .. "/users.csv", USERS)
      sandbox.config({ jobs = { outcome = { sis_import = "failed" } } })
      local code, _, err = run("sis-import.lua", "users.csv --poll 0.01")
      assert.equal(1, code, err)
      assert.matches("SIS import %d+ failed", err)
      sandbox.config({ jobs = { outcome = {}, stuck = { sis_import = true } } })
      code, _, err = run("sis-import.lua", "users.csv --poll 0.01 --timeout 0.3")
      assert.equal(1, code, err)
      assert.matches("did not finish within 0.3s; its last state was created", err)
    end)

    it("stops within 100 ms on Ctrl-C during the wait, naming the import; exit 130", function()
      sandbox.write_file(dir .. "/users.csv", USERS)
      sandbox.config({ jobs = { stuck = { sis_import = true } } })
      local bg = sandbox.background(dir, string.format("--url %q --token-file %q %q users.csv",
        sandbox.url, dir .. "/token", SCRIPTS .. "sis-import.lua"))
      assert(bg.wait_for(10, function()
        for _, r in ipairs(sandbox.api_requests()) do
          if r.method == "GET" and r.path:match("/sis_imports/%d+$") then return true end
        end
      end), "the script never polled: " .. bg.err())
      socket.sleep(0.2)
      local rc, elapsed = bg.signal("INT")
      assert.equal(130, rc, bg.err())
      assert.is_true(elapsed < 0.1, string.format("stopped %.3f s after the signal", elapsed))
      assert.matches("\nlcanvas: interrupted: stopped waiting for SIS import %d+ %(created, 0%%%), which " ..
        "goes on in Canvas\n", bg.err())
    end)
  end)

  describe("account-report.lua", function()
    it("lists the reports, runs one with its parameters and downloads it; exit 0", function()
      local code, out, err = run("account-report.lua", "--list")
      local _
      assert.equal(0, code, err)
      assert.matches("provisioning_csv: ", out)
      assert.matches("\n    users  ", out)
      code, _, err = run("account-report.lua", "provisioning_csv users=true --output prov.csv --poll 0.01")
      assert.equal(0, code, err)
      assert.matches("^canvas_user_id,user_id,", sandbox.read_file(dir .. "/prov.csv"))
      local post = sandbox.last_request(function(r) return r.method == "POST" end)
      assert.matches("parameters%[users%]=true", post.body)
    end)

    it("refuses an unknown report or parameter before starting anything; exit 2", function()
      local code, _, err = run("account-report.lua", "provisionning_csv")
      assert.equal(2, code)
      assert.matches("has no report 'provisionning_csv'; it has: ", err)
      code, _, err = run("account-report.lua", "provisioning_csv user=true")
      assert.equal(2, code)
      assert.matches("has no parameter 'user'", err)
      assert.same({}, posts())
    end)

    it("exits 1 for a report that ends in error, and starts nothing in a dry run", function()
      sandbox.config({ jobs = { outcome = { report = "error" } } })
      local code, _, err = run("account-report.lua", "provisioning_csv users=true --output p.csv --poll 0.01")
      assert.equal(1, code, err)
      assert.matches("ended error", err)
      assert.is_false(exists(dir .. "/p.csv"))
      sandbox.clear_requests()
      code, _, err = run("account-report.lua", "provisioning_csv users=true", "--dry-run")
      assert.equal(0, code, err)
      assert.matches("nothing was started", err)
      assert.same({}, posts())
    end)
  end)
end)
