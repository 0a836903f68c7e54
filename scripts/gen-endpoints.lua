-- Generates doc/endpoints.md, the table of every Canvas endpoint lcanvas
-- calls, from the code: the endpoint rows (core.endpoints(Type)) and the
-- descriptions of the hand-written methods (core.hand_endpoints(Type)).
-- Per endpoint: verb and path, the parameters Canvas's controller reads
-- (the row's `params`, and the controller action it was read from), those
-- lcanvas sends on its own, the optional fields of the answer (include[])
-- and what happens to a parameter Canvas would not read.
-- spec/endpoints_spec.lua fails when doc/endpoints.md is stale, and when a
-- method sends a parameter its row does not declare.
--
-- Usage (needs a build for lcanvas.core):
--   scripts/build build && lua5.4 scripts/gen-endpoints.lua doc/endpoints.md
--   lua5.4 scripts/gen-endpoints.lua            (writes to stdout)
-- LCANVAS_BUILD picks another build directory (default build).
local ROOT = (arg and arg[0] or ""):match("^(.*)/scripts/gen%-endpoints%.lua$") or "."

local M = {}

M.REGENERATE = "scripts/build build && lua5.4 scripts/gen-endpoints.lua doc/endpoints.md"

-- The Canvas types with endpoints, in table order: the client first, then
-- every declared type (core.types) but another product's (Catalog's).
function M.types(core)
  local out = { "Client" }
  for _, t in ipairs(core.types()) do
    local info = core.type_info(t)
    if t ~= "Client" and info.product == nil and (core.endpoints(t) or core.hand_endpoints(t)) then
      out[#out + 1] = t
    end
  end
  return out
end

-- "users/{id}/colors/{1}" with args {"asset_string"} -> "users/:id/colors/:asset_string".
local function show_path(ep)
  local names = {}
  for i, a in ipairs(ep.args or {}) do names[i] = type(a) == "table" and a[1] or a end
  return (ep.path:gsub("{(%*?)([%w_]+)}", function(splat, n)
    if n == "id" then return ":id" end
    if not tonumber(n) then return ":" .. n end   -- a receiver attribute ({course_id})
    local name = names[tonumber(n)] or ("arg" .. n)
    return splat == "*" and ("/*" .. name) or (":" .. name)
  end):gsub("//%*", "/*"))
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- The parameters a method sets itself: positional arguments that are not
-- path segments, the page size of a paginated list, a hand-written `sends`.
function M.sends(ep)
  local out = {}
  local in_path = {}
  for n in ep.path:gmatch("{%*?(%d+)}") do in_path[tonumber(n)] = true end
  for i, a in ipairs(ep.args or {}) do
    if not in_path[i] then out[#out + 1] = type(a) == "table" and (a.param or a[1]) or a end
  end
  for _, s in ipairs(ep.sends or {}) do out[#out + 1] = s end
  for _, k in ipairs(sorted_keys(ep.fixed)) do out[#out + 1] = k .. "=" .. ep.fixed[k] end
  if ep.list and ep.paginated ~= false then out[#out + 1] = "per_page" end
  return out
end

local function names(list, empty)
  if not list or #list == 0 then return empty end
  local t = {}
  for i, v in ipairs(list) do t[i] = "`" .. v .. "`" end
  return table.concat(t, ", ")
end


-- One entry per method: {type=, name=, ep=, hand=}.
function M.collect(core)
  local all = {}
  for _, tname in ipairs(M.types(core)) do
    for name, ep in pairs(core.endpoints(tname) or {}) do
      all[#all + 1] = { type = tname, name = name, ep = ep }
    end
    for name, ep in pairs(core.hand_endpoints(tname) or {}) do
      all[#all + 1] = { type = tname, name = name, ep = ep, hand = true }
    end
  end
  table.sort(all, function(a, b)
    if a.ep.path ~= b.ep.path then return a.ep.path < b.ep.path end
    if a.ep.method ~= b.ep.method then return a.ep.method < b.ep.method end
    return a.type .. a.name < b.type .. b.name
  end)
  return all
end

--- Is the endpoint's parameter list read from Canvas's code (its source
-- names a controller action without the "(docs)" mark)?
function M.code_backed(ep)
  return type(ep.source) == "string" and not ep.source:find("(docs)", 1, true)
end

-- Per type: endpoints, code-backed ones, and the methods still from the docs.
function M.counts(all)
  local by, order = {}, {}
  for _, e in ipairs(all) do
    local c = by[e.type]
    if not c then
      c = { type = e.type, total = 0, code = 0, docs = {} }
      by[e.type] = c
      order[#order + 1] = c
    end
    c.total = c.total + 1
    if M.code_backed(e.ep) then c.code = c.code + 1 else c.docs[#c.docs + 1] = e.name end
  end
  table.sort(order, function(a, b) return a.type < b.type end)
  for _, c in ipairs(order) do table.sort(c.docs) end
  return order
end

function M.render(all)
  local out = {}
  local function w(s) out[#out + 1] = s end
  w("# Canvas endpoints used by lcanvas")
  w("")
  w("Generated from the endpoint rows (`lua/lcanvas/types/`) and the descriptions of the")
  w("hand-written methods; do not edit. Regenerate with `" .. M.REGENERATE .. "`.")
  w("")
  w("*Canvas reads* is what the controller action named under *from* reads, taken from")
  w("Canvas's code (`app/controllers/`), or from its API docs where *from* says `(docs)`.")
  w("A parameter Canvas does not read is refused before sending (`refused`), or only warned")
  w("about where the list comes from the docs (`warned`); *ignored* ones are sent with a")
  w("warning. Lists also take `per_page` and `page`. *Answer fields* are the include[] values")
  w("the controller honours: Canvas sends those fields only when asked.")
  w("")
  -- The count of rows read from the code, per type and in all.
  local counts = M.counts(all)
  local total, code = 0, 0
  for _, c in ipairs(counts) do total, code = total + c.total, code + c.code end
  w(string.format("Code-backed: %d of %d endpoints take their parameters from the controller's code; " ..
    "the rest are marked `(docs)` (each row says why in its type file).", code, total))
  w("")
  w("| type | endpoints | code-backed | from the docs |")
  w("|---|---|---|---|")
  for _, c in ipairs(counts) do
    local docs = {}
    for i, name in ipairs(c.docs) do docs[i] = "`" .. name .. "`" end
    w(string.format("| %s | %d | %d | %s |", c.type, c.total, c.code,
      #docs > 0 and table.concat(docs, ", ") or "–"))
  end
  w("")
  w("| method | request | Canvas reads | lcanvas sends itself | answer fields (include[]) | otherwise | from |")
  w("|---|---|---|---|---|---|---|")
  for _, e in ipairs(all) do
    local ep = e.ep
    local method = string.format("`%s:%s`%s", e.type, e.name, e.hand and " (hand-written)" or "")
    local reads = names(ep.params, "nothing")
    local ignored = sorted_keys(ep.ignored)
    if #ignored > 0 then
      reads = reads .. "; ignores " .. names(ignored) .. " (sent, warned)"
    end
    local list = ep.list and (ep.paginated == false and " (one page)" or " (list)") or ""
    -- Hand-written methods say theirs (`unknown`): refuse, unchecked or none
    -- (the method takes no parameters).
    local policy = ep.params == nil and "unchecked"
      or (ep.unknown == "warn" and "warned" or ep.unknown == "unchecked" and "unchecked"
        or ep.unknown == "none" and "takes none" or "refused")
    w(string.format("| %s | %s `/api/v1/%s`%s | %s | %s | %s | %s | %s |", method, ep.method,
      show_path(ep), list, reads, names(M.sends(ep), "–"), names(ep.include, "–"), policy,
      ep.source or "–"))
  end
  w("")
  return table.concat(out, "\n")
end

-- Loading the tree and writing the file are gen-reference's (one copy).
local reference = dofile(ROOT .. "/scripts/gen-reference.lua")

function M.generate(root)
  local _, core = reference.load_tree(root or ROOT)
  return M.render(M.collect(core))
end

-- Run as a script (not when required by the spec).
if arg and arg[0] and arg[0]:match("gen%-endpoints%.lua$") and not package.loaded["busted"] then
  reference.write_out(M.generate(), arg[1])
end

return M
