--- lcanvas.script.refs: a CSV cell or an option naming a Canvas object
-- (a user, a course, a section, a term) as the reference a path takes, and
-- each distinct reference looked up once before a script changes anything.
local cmdline = require "lcanvas.script.cmdline"
local errors = require "lcanvas.script.errors"
local ids = require "lcanvas.ids"

local M = {}

--- lcanvas.script.ref(cell, idset, default_type): a reference for a path: a Canvas id (digits) as a number, "type:value" as given when type is one of idset's (an lcanvas.ids set) or a word it takes, anything else as "<default_type>:cell"; nil, "empty" for a blank cell.
function M.ref(cell, idset, default_type)
  if type(cell) ~= "string" then return nil, "empty" end
  cell = cell:match("^%s*(.-)%s*$")
  if cell == "" then return nil, "empty" end
  if cell:match("^%d+$") then return math.tointeger(tonumber(cell)) or cell end
  local t = cell:match("^hex:([%w_]+):") or cell:match("^([%w_]+):")
  if t then
    for _, known in ipairs(idset) do
      if known == t:lower() then return cell end
    end
  end
  for _, word in ipairs(idset.words or {}) do
    if word == cell then return cell end
  end
  return default_type .. ":" .. cell
end

--- lcanvas.script.resolve(refs, lookup, noun): calls lookup(ref) once per distinct reference; returns the objects by reference and, for those Canvas does not know, "no such <noun>". Any other error (network, token, permission) stops the script at once with exit status 1, nothing changed.
function M.resolve(refs, lookup, noun)
  local found, bad = {}, {}
  for _, ref in ipairs(refs) do
    if found[ref] == nil and bad[ref] == nil then
      local ok, obj = errors.try(lookup, ref)
      if ok then found[ref] = obj
      elseif errors.is_not_found(obj) then bad[ref] = "no such " .. noun
      else
        -- Not a fact about the input: every other lookup would fail the same
        -- way (after its retries), so stop now rather than list them all.
        io.stderr:write(string.format(
          "%s: cannot look up %s %s: %s\n%s: stopped before any change; nothing was changed\n",
          cmdline.name(), noun, tostring(ref), errors.message(obj), cmdline.name()))
        os.exit(cmdline.ROW_FAILED)
      end
    end
  end
  return found, bad
end

--- lcanvas.script.account([text]): the account an --account option names (digits, "sis_account_id:X", "self", or a bare SIS id; account 1 without one), read from Canvas. An unknown account stops the script with exit status 2, any other failure with 1.
function M.account(text)
  local ref = M.ref(text or "1", ids.accounts, "sis_account_id")
  local ok, account = errors.try(function() return canvas:get_account(ref) end)
  if ok then return account end
  if errors.is_not_found(account) then cmdline.fail("%s: no account %s", cmdline.name(), tostring(text or "1")) end
  io.stderr:write(string.format("%s: cannot read account %s: %s\n", cmdline.name(), tostring(text or "1"),
    errors.message(account)))
  os.exit(cmdline.ROW_FAILED)
end

return M
