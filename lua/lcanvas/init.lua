--- lcanvas: the Canvas LMS REST API for Lua 5.4.
-- `require "lcanvas"` gives this module; the C binding it builds on is
-- `lcanvas.core`. Everything that is nicer written in Lua lives here.
local core = require "lcanvas.core"

-- The types: one file each, holding its endpoint rows, hand-written
-- methods, tostring format and docs (lua/lcanvas/types/). They fill the
-- method tables of this lcanvas.core, so they run afresh with it (a core
-- required again starts with a fresh client method table).
local function load_type(name)
  package.loaded["lcanvas.types." .. name] = nil
  return require("lcanvas.types." .. name)
end
load_type("object")
load_type("client")
load_type("user")
load_type("account")
load_type("pairing_code")
load_type("progress")
load_type("file")
load_type("course")
load_type("section")
load_type("enrollment")
load_type("term")
load_type("role")
load_type("admin")
load_type("content_migration")
load_type("sis_import")
load_type("account_report")

--- lcanvas.core: the C binding (`lcanvas.core`) these functions and types are built on.
--- lcanvas.null: stands for JSON null in parameters and JSON bodies (and in decoded answers).
--- lcanvas.json: JSON with exact 64-bit integers: `lcanvas.json.decode(text)`, `lcanvas.json.encode(value)`.
--- lcanvas.kinds: the error kind names as constants, e.g. `lcanvas.kinds.ResourceDoesNotExist`.
--- lcanvas.json.decode(text): the value of a JSON text; integral numbers stay exact integers, null is lcanvas.null.
--- lcanvas.json.encode(value): JSON text for a Lua value (plain tables, strings, numbers, booleans, lcanvas.null).
--- lcanvas.json.null: the same value as lcanvas.null.
local M = {
  _VERSION = core._VERSION,
  core = core,
  null = core.null,       -- stands for JSON null in parameters and JSON bodies
  json = core.json,       -- exact-integer JSON: json.decode / json.encode
  kinds = core.kinds,     -- error kind names, e.g. lcanvas.kinds.ResourceDoesNotExist
  --- lcanvas.encode_params(params): The Rails-style query string for a params table (`{a = {b = 1}}` gives "a[b]=1").
  encode_params = core.encode_params,
  --- lcanvas.encode_segment(s): one path segment percent-encoded ("sis_user_id:CS/101.1" gives "sis_user_id:CS%2F101%2E1").
  encode_segment = core.encode_segment,
  --- lcanvas.encode_path(path): each '/'-separated segment encoded ("users/a b" gives "users/a%20b").
  encode_path = core.encode_path,
}

--- lcanvas.catalog: Canvas Catalog's Users API: `lcanvas.catalog.new(base_url, api_key [, opts])`.
M.catalog = load_type("catalog")  -- lcanvas.catalog.new(base_url, api_key [, opts])
-- Every type a row returns is declared (core.define_type, or a file of its
-- own): a row naming a type nobody declared is a typo, found at load.
core.check_types()

--- lcanvas.sleep(seconds): waits, where a request would wait: blocks outside tasks, lets other tasks run inside one, yields inside a cqueues or luv coroutine; Ctrl-C (SIGINT) or SIGTERM ends it at once with an Interrupted error.
M.sleep = core.sleep

--- lcanvas.clock(): seconds on a monotonic clock (for deadlines and timing; not the time of day).
M.clock = core.clock

--- lcanvas.new(base_url, token, opts): A Client for the Canvas at `base_url` (no /api/v1) authenticating with `token`; `opts` as in doc/conventions.md, "Client options" (timeout, per_page, max_retries, as_user_id, ...).
function M.new(base_url, token, opts)
  return core.new(base_url, token, opts)
end

--- Build an error object (not raised) of the given kind.
--- lcanvas.error(kind, message, fields): A new lcanvas.Error of `kind` (not raised), with extra `fields` copied in.
M.error = core.error

--- Raise a RequiredFieldMissing error before any request is made.
--- lcanvas.require_fields(tbl, what, ...): Raises RequiredFieldMissing, naming `what` and the field, unless every named field of `tbl` is present and not empty.
M.require_fields = core.require_fields

--- True when v is an lcanvas object (of the given type, e.g. "User").
--- lcanvas.is_object(v, type): True when `v` is an lcanvas object (of `type`, e.g. "User", when given).
M.is_object = core.is_object

--- True when err is an lcanvas.Error (of the given kind, if any).
--- lcanvas.is_error(err, kind): True when `err` is an lcanvas.Error (matching `kind` as `err:is(kind)` does, when given).
function M.is_error(err, kind)
  if getmetatable(err) ~= getmetatable(core.error("CanvasException", "")) then return false end
  return kind == nil or err:is(kind)
end

-- Automation helpers (host-scripts): CSV and JSON lines in and out, output
-- files that appear complete or not at all, and a status line showing progress.
--- lcanvas.csv: RFC 4180 CSV files: read, parse, format, writer.
M.csv = require "lcanvas.script.csv"
--- lcanvas.jsonl: JSON lines files: read, writer.
M.jsonl = require "lcanvas.script.jsonl"
--- lcanvas.outfile: output files that appear complete or not at all: open, target.
M.outfile = require "lcanvas.script.outfile"
M.statusline = require "lcanvas.script.statusline"
-- Tasks: concurrency from plain sequential code (lua/lcanvas/tasks.lua).
local tasks = require "lcanvas.tasks"
M.gather = tasks.gather
core.methods("Client").map = tasks.map
core.methods("PaginatedList").each = tasks.each

return M
