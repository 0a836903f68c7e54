--- Pagination as Canvas does it: page/per_page numbers or opaque bookmarks,
-- and a Link header (current, next, prev, first, last) whose URLs repeat the
-- request's other query parameters. Canvas and the Catalog origin share it.
local json = require "lcanvas.sandbox.json"
local params = require "lcanvas.sandbox.params"
local answers = require "lcanvas.sandbox.answers"
local util = require "lcanvas.sandbox.util"

local M = {}

--- per_page as asked, or `default` when not asked; Canvas (lib/api.rb,
-- per_page_for) clamps what was asked to 1..max, and reads it with Ruby's
-- to_i: 0, negative, empty or not a number gives 1, "25abc" gives 25.
function M.per_page(raw, default, max)
  if raw == nil then return math.min(default, max) end
  local n = math.tointeger(tonumber(tostring(raw):match("^%s*([+-]?%d+)") or "0")) or 0
  if n < 1 then n = 1 end
  if n > max then n = max end
  return n
end

--- The page number asked for (1 when missing or below 1).
function M.page_number(raw)
  local page = math.tointeger(tonumber(raw)) or 1
  if page < 1 then page = 1 end
  return page
end

-- Never repeated in Link URLs (lib/api.rb, EXCLUDE_IN_PAGINATION_LINKS):
-- the paging itself, and credentials passed as parameters.
local NOT_IN_LINKS = { page = true, per_page = true, access_token = true, api_key = true }

--- This request's URL for another page.
function M.page_url(req, page, per_page)
  local kept = {}
  for _, pair in ipairs(params.raw_pairs(req.query)) do
    if not NOT_IN_LINKS[params.unescape(pair[1])] then
      kept[#kept + 1] = pair[1] .. "=" .. pair[2]
    end
  end
  kept[#kept + 1] = "page=" .. page
  kept[#kept + 1] = "per_page=" .. per_page
  return string.format("http://%s%s?%s", req.headers.host or "127.0.0.1", req.path,
    table.concat(kept, "&"))
end

local function link_header(links)
  local out = {}
  for i, l in ipairs(links) do out[i] = "<" .. l.url .. ">; rel=\"" .. l.rel .. "\"" end
  return table.concat(out, ",")
end

--- The links of page `page` of `count` items. opts.no_last leaves out
-- "last"; opts.prev_within_last keeps "prev" at or below the last page.
local function numeric_links(req, page, per_page, count, opts)
  local links = {}
  local function link(n, rel) links[#links + 1] = { url = M.page_url(req, n, per_page), rel = rel } end
  local last = math.max(1, (count + per_page - 1) // per_page)
  link(page, "current")
  if page < last then link(page + 1, "next") end
  if page > 1 then link(opts.prev_within_last and math.min(page - 1, last) or page - 1, "prev") end
  link(1, "first")
  if not opts.no_last then link(last, "last") end
  return links
end

--- The Link header for page `page` of `count` items (see numeric_links).
function M.numeric_link_header(req, page, per_page, count, opts)
  return link_header(numeric_links(req, page, per_page, count, opts or {}))
end

-- Bookmarks are opaque to clients; hex of a JSON array keeps them URL-safe.
local function from_hex(s)
  if not s:match("^%x*$") or #s % 2 == 1 then return "" end
  return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function bookmark_offset(token)
  if not token or token == "first" then return 0 end
  local raw = token:match("^bookmark:(.+)$")
  local decoded = raw and json.decode(from_hex(raw))
  if type(decoded) ~= "table" or math.type(decoded[1]) ~= "integer" then
    answers.halt(400, answers.errors("invalid bookmark"))
  end
  return decoded[1]
end

local function bookmark_links(req, offset, per_page, count)
  local links = {}
  local function link(off, rel)
    local token = off == 0 and "first" or "bookmark:" .. util.hex(json.encode({ off }))
    links[#links + 1] = { url = M.page_url(req, token, per_page), rel = rel }
  end
  link(offset, "current")
  if offset + per_page < count then link(offset + per_page, "next") end
  if offset > 0 then link(math.max(0, offset - per_page), "prev") end
  links[#links + 1] = { url = M.page_url(req, "first", per_page), rel = "first" }
  return links
end

--- Slices `items` for this Canvas request; returns the page and extra
-- headers. opts (a route's): pagination="bookmark", no_last, root, meta.
function M.paginate(req, items, opts)
  local q = params.parse_query(req.query)
  local per_page = M.per_page(q.per_page, 10, 100)
  local bookmark = opts.pagination == "bookmark"
  local offset
  if bookmark then offset = bookmark_offset(q.page)
  else offset = (M.page_number(q.page) - 1) * per_page end
  local slice = json.array({})
  for i = offset + 1, math.min(offset + per_page, #items) do slice[#slice + 1] = items[i] end
  local links
  if bookmark then links = bookmark_links(req, offset, per_page, #items)
  else links = numeric_links(req, offset // per_page + 1, per_page, #items, opts) end
  if opts.meta then
    -- The JSON:API style: no Link header, the next page's URL in the body.
    local next_url
    for _, l in ipairs(links) do if l.rel == "next" then next_url = l.url end end
    return { [opts.root] = slice, meta = { pagination = { next = next_url or json.null } } }, {}
  end
  if opts.root then return { [opts.root] = slice }, { Link = link_header(links) } end
  return slice, { Link = link_header(links) }
end

return M
