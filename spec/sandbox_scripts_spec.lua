-- Bundled scripts against the sandbox as Canvas answers them: optional user
-- fields come only when asked (issue 13), and the demo data has observer
-- links for the observer scripts (issue 15, item 7). Real subprocess runs
-- of the lcanvas host.
local sandbox = require "helper"
local lcanvas = require "lcanvas"

local ROOT = sandbox.abs_root

local dir

local function lcanvas_run(args) return sandbox.lcanvas_in(dir, args) end

describe("bundled scripts against the sandbox", function()
  setup(function() sandbox.start() end)
  before_each(function()
    sandbox.reset()
    sandbox.clear_requests()
    dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    sandbox.write_file(dir .. "/token", sandbox.tokens.admin)
    os.execute("chmod 600 " .. dir .. "/token")
  end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  -- users_controller.rb api_index: email and last_login only for include[].
  it("export-users.lua gets email and last_login exactly when it asks for them", function()
    local code, _, err = lcanvas_run(string.format("--url %q --token-file %q %q %s", sandbox.url, dir .. "/token",
      ROOT .. "/scripts/export-users.lua", "--search sam.student --fields id,email,last_login --output u.csv"))
    assert.equal(0, code, err)
    local rows, header = lcanvas.csv.read(dir .. "/u.csv")
    assert.same({ "id", "email", "last_login" }, header)
    assert.equal(1, #rows)
    assert.equal("3", rows[1].id)
    local lists = sandbox.api_requests(function(r) return r.path == "/api/v1/accounts/1/users" end)
    assert.is_true(#lists > 0)
    local query = lists[1].query
    -- A sandbox that is not asked leaves the columns empty, as Canvas does;
    -- once the script asks (include[]=...), they are filled.
    local asked_email = query:find("include%[%]=email") ~= nil or query:find("include%%5B%%5D=email") ~= nil
    local asked_login = query:find("include%[%]=last_login") ~= nil or query:find("include%%5B%%5D=last_login") ~= nil
    assert.equal(asked_email and "sam.student@sandbox.test" or "", rows[1].email)
    if asked_login then assert.matches("^2024%-", rows[1].last_login) else assert.equal("", rows[1].last_login) end
  end)

  it("observer-report.lua shows the demo data's observer links under --sandbox", function()
    local code, _, err = lcanvas_run(string.format("--sandbox %q --output report.csv",
      ROOT .. "/scripts/observer-report.lua"))
    assert.equal(0, code, err)
    local report = sandbox.read_file(dir .. "/report.csv")
    assert.matches("121,Blake Brooks,[^,]+,122,Casey Brooks,", report)
    assert.matches("121,Blake Brooks,[^,]+,123,Devon Brooks,", report)
    assert.matches("141,Blake Chen,[^,]+,142,Casey Chen,", report)
    assert.matches("2 observers, 3 links", err)
  end)
end)
