-- The command's three descriptions agree (issue 15): `lcanvas --help`, the
-- man page (doc/lcanvas.1, rendered with man(1) or groff as a reader sees
-- it, in the source tree) and doc/usage.md (the command line in full; the
-- README only tours it) name the same forms and options,
-- and the man page shows the real version, not a template placeholder.
local sandbox = require "helper"

local BUILD = os.getenv("LCANVAS_BUILD") or "build"
local ROOT = sandbox.root
local EXE = ROOT .. "/" .. BUILD .. "/lcanvas"
local read_file = sandbox.read_file

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- The man page as `man -l` shows it (groff when man is missing), wide
-- enough that no line wraps.
local function rendered()
  local page = ROOT .. "/doc/lcanvas.1"
  local code, out = sandbox.sh("MANWIDTH=250 MAN_KEEP_FORMATTING= man -l " .. q(page) .. " 2>/dev/null | col -bx")
  if code ~= 0 or out == "" then
    code, out = sandbox.sh("groff -man -Tutf8 -rLL=250n " .. q(page) .. " 2>/dev/null | col -bx")
  end
  assert(code == 0 and out ~= "", "cannot render the man page")
  return out
end

local function section(text, name)
  return assert(text:match("\n" .. name .. "\n(.-)\n%u[%u ]+\n"), "no section " .. name)
end

local function help_text()
  local code, out = sandbox.sh(q(EXE) .. " --help")
  assert.equal(0, code)
  return out
end

-- The usage forms, normalised: "lcanvas [options] script [args...]".
local function forms(lines)
  local out = {}
  for _, l in ipairs(lines) do out[#out + 1] = (l:gsub("^%s+", ""):gsub("%s+$", ""):gsub("%s+", " "):lower()) end
  return out
end

describe("the command's documentation", function()
  it("shows the project's version in the source tree's man page", function()
    local cmake = read_file(ROOT .. "/CMakeLists.txt")
    local version = assert(cmake:match("project%(lcanvas VERSION ([%d.]+)"))
    local code, out = sandbox.sh(q(EXE) .. " --version")
    assert.equal(0, code)
    assert.equal("lcanvas " .. version .. "\n", out)
    local page = rendered()
    assert.is_nil(page:find("@", 1, true), "a template placeholder is left in the man page")
    assert.matches("\nlcanvas " .. version:gsub("%.", "%%.") .. "%s+[^\n]*LCANVAS%(1%)%s*$", page)
  end)

  it("gives the same usage forms in --help and the man page's synopsis", function()
    local help = help_text()
    local usage = {}
    for l in (help:match("^usage: (.-)\n\n") .. "\n"):gmatch("([^\n]*)\n") do usage[#usage + 1] = l end
    local synopsis = {}
    for l in (section(rendered(), "SYNOPSIS") .. "\n"):gmatch("([^\n]*)\n") do
      if l:find("%S") then synopsis[#synopsis + 1] = l end
    end
    assert.same(forms(usage), forms(synopsis))
  end)

  it("describes the same options in --help and the man page", function()
    local help = help_text()
    local in_help = {}
    for l in help:match("\noptions:\n(.-)\n\n"):gmatch("[^\n]+") do
      local first = l:match("^%s%s(%-[%w-]+)")
      if first then
        in_help[first] = true
        for opt in l:gmatch(", (%-[%w-]+)") do in_help[opt] = true end
      end
    end
    local in_man = {}
    for l in section(rendered(), "OPTIONS"):gmatch("[^\n]+") do
      local item = l:match("^%s+(%-.*)")
      if item then
        in_man[item:match("^(%-[%w-]*)")] = true
        for opt in item:gmatch(", (%-[%w-]+)") do in_man[opt] = true end
      end
    end
    in_man["--"] = nil  -- the end of options, in the synopsis of both
    local function keys(t)
      local out = {}
      for k in pairs(t) do out[#out + 1] = k end
      table.sort(out)
      return out
    end
    assert.same(keys(in_help), keys(in_man))
    assert.is_true(in_help["--dry-run"] and in_help["--refresh-file"] and in_help["-i"])
  end)

  it("names every option of lcanvas's own in doc/usage.md too", function()
    local usage = read_file(ROOT .. "/doc/usage.md")
    local help = help_text()
    for l in help:match("\noptions:\n(.-)\n\n"):gmatch("[^\n]+") do
      local first, second = l:match("^%s%s(%-[%w-]+)[^,]*,? ?(%-?%-?[%w-]*)")
      if first then
        local named = usage:find(first, 1, true) or (second ~= "" and usage:find(second, 1, true))
        assert(named, "doc/usage.md does not mention " .. first)
      end
    end
  end)
end)
