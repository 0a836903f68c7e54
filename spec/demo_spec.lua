-- The README's first command, scripts/demo, run as a user runs it: every
-- example script in its story against a throwaway sandbox, with the
-- outcomes each one prints.
local sandbox = require "helper"

describe("scripts/demo", function()
  it("runs the whole sandbox story and each script says what it did", function()
    local code, out, err = sandbox.sh(string.format("cd %q && LCANVAS_PROGRESS=0 scripts/demo", sandbox.abs_root))
    assert.equal(0, code, err)
    local all = out .. err
    for _, want in ipairs({
      "link-observers: 4 would link",
      "term-report: 10 listed",
      "enrollment-sync: 2 would enroll, 1 would conclude, 1 would deactivate, 1 would delete, 1 already concluded",
      "enrollment-sync: 2 enrolled, 1 concluded, 1 deactivated, 1 deleted, 1 already concluded",
      "1,BIO/101.1,BIO101,Biology 101,available,Sandbox University,",
      "DRY-RUN POST /api/v1/accounts/1/sis_imports (multipart: import_type=instructure_csv " ..
        "attachment=<sis-users.csv>)",
      "sis-import: dry run: the files were checked; nothing was sent",
      "sis-import: SIS import 1001 imported: 3 users",
      "(exit status 0)",
    }) do
      assert.truthy(all:find(want, 1, true), "the demo did not print: " .. want .. "\n" .. all)
    end
  end)
end)
