--- Zip archives in plain Lua, for the sandbox's long-running jobs: SIS
-- imports read a zip of CSVs (entries stored or deflated, as any zip tool
-- writes them), and account reports write one (entries stored). No external
-- command and no C library: the sandbox runs on a stock lua5.4. Its own
-- code, not lcanvas.script.zip's (which checks a script's files before an
-- upload), so that a bug in one reader cannot hide in the other.
--
--   zip.read(bytes)        -> list of {name=, data=, dir=bool} or nil, message
--   zip.write(entries)     -> bytes of a zip of {name=, data=} (stored)
--   zip.inflate(bytes)     -> the data of a raw deflate stream (RFC 1951) or nil, message
--   zip.crc32(bytes)       -> the CRC-32 a zip entry carries
local M = {}

local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if c & 1 == 1 then c = 0xEDB88320 ~ (c >> 1) else c = c >> 1 end
  end
  CRC_TABLE[i] = c
end

function M.crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = CRC_TABLE[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8)
  end
  return c ~ 0xFFFFFFFF
end

-- Inflate -------------------------------------------------------------------

-- Base lengths and extra bits of length codes 257-285 and distance codes 0-29.
local LEN_BASE = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
  131, 163, 195, 227, 258 }
local LEN_EXTRA = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }
local DIST_BASE = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
  2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 }
local DIST_EXTRA = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
  13, 13 }
-- The order code length code lengths come in (dynamic blocks).
local CL_ORDER = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 }

-- A canonical Huffman code from code lengths (index 0..n-1): counts per
-- length and the symbols sorted by code, as decode() walks them.
local function huffman(lengths, n)
  local counts, offs, symbols = {}, {}, {}
  for len = 0, 15 do counts[len] = 0 end
  for sym = 0, n - 1 do
    local len = lengths[sym] or 0
    counts[len] = counts[len] + 1
  end
  counts[0] = 0
  offs[1] = 0
  for len = 1, 14 do offs[len + 1] = offs[len] + counts[len] end
  for sym = 0, n - 1 do
    local len = lengths[sym] or 0
    if len > 0 then
      symbols[offs[len]] = sym
      offs[len] = offs[len] + 1
    end
  end
  return { counts = counts, symbols = symbols }
end

local FIXED_LIT, FIXED_DIST
do
  local l = {}
  for i = 0, 143 do l[i] = 8 end
  for i = 144, 255 do l[i] = 9 end
  for i = 256, 279 do l[i] = 7 end
  for i = 280, 287 do l[i] = 8 end
  FIXED_LIT = huffman(l, 288)
  local d = {}
  for i = 0, 29 do d[i] = 5 end
  FIXED_DIST = huffman(d, 30)
end

local Fail = {}
local function fail(msg) error(setmetatable({ msg = msg }, Fail), 0) end

function M.inflate(src)
  local pos, bitbuf, bitcnt = 1, 0, 0
  local out, n = {}, 0   -- output bytes, one per slot (back references read them)

  local function bits(need)
    while bitcnt < need do
      if pos > #src then fail("deflate data ends early") end
      bitbuf = bitbuf | (src:byte(pos) << bitcnt)
      pos, bitcnt = pos + 1, bitcnt + 8
    end
    local v = bitbuf & ((1 << need) - 1)
    bitbuf, bitcnt = bitbuf >> need, bitcnt - need
    return v
  end

  -- Reads one symbol, a bit at a time (codes are stored most significant bit first).
  local function decode(h)
    local code, first, index = 0, 0, 0
    for len = 1, 15 do
      code = code | bits(1)
      local count = h.counts[len]
      if code - count < first then return h.symbols[index + (code - first)] end
      index, first = index + count, (first + count) << 1
      code = code << 1
    end
    fail("bad Huffman code")
  end

  local function codes(lit, dist)
    while true do
      local sym = decode(lit)
      if sym < 256 then
        n = n + 1
        out[n] = sym
      elseif sym == 256 then
        return
      else
        sym = sym - 257
        if sym >= 29 then fail("bad length code") end
        local len = LEN_BASE[sym + 1] + bits(LEN_EXTRA[sym + 1])
        local dsym = decode(dist)
        if dsym >= 30 then fail("bad distance code") end
        local d = DIST_BASE[dsym + 1] + bits(DIST_EXTRA[dsym + 1])
        if d > n then fail("distance too far back") end
        for _ = 1, len do
          n = n + 1
          out[n] = out[n - d]
        end
      end
    end
  end

  local function dynamic()
    local nlen, ndist, ncode = bits(5) + 257, bits(5) + 1, bits(4) + 4
    local cl = {}
    for i = 1, ncode do cl[CL_ORDER[i]] = bits(3) end
    local clh = huffman(cl, 19)
    local lengths, i = {}, 0
    while i < nlen + ndist do
      local sym = decode(clh)
      if sym < 16 then
        lengths[i], i = sym, i + 1
      else
        local rep, val
        val = 0
        if sym == 16 then
          if i == 0 then fail("repeat with no previous length") end
          val, rep = lengths[i - 1], 3 + bits(2)
        elseif sym == 17 then rep = 3 + bits(3)
        else rep = 11 + bits(7) end
        if i + rep > nlen + ndist then fail("too many code lengths") end
        for _ = 1, rep do lengths[i], i = val, i + 1 end
      end
    end
    local lit, dist = {}, {}
    for k = 0, nlen - 1 do lit[k] = lengths[k] end
    for k = 0, ndist - 1 do dist[k] = lengths[nlen + k] end
    codes(huffman(lit, nlen), huffman(dist, ndist))
  end

  local ok, err = pcall(function()
    repeat
      local last = bits(1)
      local kind = bits(2)
      if kind == 0 then
        bitbuf, bitcnt = 0, 0   -- stored: to the byte boundary
        if pos + 3 > #src then fail("stored block header ends early") end
        local len = src:byte(pos) | (src:byte(pos + 1) << 8)
        local nlen = src:byte(pos + 2) | (src:byte(pos + 3) << 8)
        if len ~= (~nlen & 0xFFFF) then fail("stored block length check failed") end
        pos = pos + 4
        if pos + len - 1 > #src then fail("stored block ends early") end
        for k = pos, pos + len - 1 do
          n = n + 1
          out[n] = src:byte(k)
        end
        pos = pos + len
      elseif kind == 1 then
        codes(FIXED_LIT, FIXED_DIST)
      elseif kind == 2 then
        dynamic()
      else
        fail("bad block type")
      end
    until last == 1
  end)
  if not ok then
    if getmetatable(err) == Fail then return nil, err.msg end
    error(err, 0)
  end
  local parts = {}
  for k = 1, n, 4096 do
    parts[#parts + 1] = string.char(table.unpack(out, k, math.min(n, k + 4095)))
  end
  return table.concat(parts)
end

-- Archives -----------------------------------------------------------------

local function u16(s, i) return s:byte(i) | (s:byte(i + 1) << 8) end
local function u32(s, i) return u16(s, i) | (u16(s, i + 2) << 16) end

--- The entries of a zip archive, in central directory order; nil and a
-- message for what is not a zip, an entry it cannot read (a method other
-- than stored or deflate, encryption) or one whose CRC does not match.
function M.read(s)
  if #s < 22 then return nil, "not a zip file (too short)" end
  local eocd
  for i = #s - 21, math.max(1, #s - 22 - 65535), -1 do
    if u32(s, i) == 0x06054b50 then eocd = i break end
  end
  if not eocd then return nil, "not a zip file (no end of central directory)" end
  local count, cd = u16(s, eocd + 10), u32(s, eocd + 16) + 1
  local out = {}
  for _ = 1, count do
    if cd + 45 > #s or u32(s, cd) ~= 0x02014b50 then return nil, "bad zip central directory" end
    local flags, method = u16(s, cd + 8), u16(s, cd + 10)
    local crc, csize, usize = u32(s, cd + 16), u32(s, cd + 20), u32(s, cd + 24)
    local nlen, xlen, clen = u16(s, cd + 28), u16(s, cd + 30), u16(s, cd + 32)
    local lho = u32(s, cd + 42) + 1
    local name = s:sub(cd + 46, cd + 45 + nlen)
    cd = cd + 46 + nlen + xlen + clen
    if lho + 29 > #s or u32(s, lho) ~= 0x04034b50 then return nil, "bad zip local header for " .. name end
    local start = lho + 30 + u16(s, lho + 26) + u16(s, lho + 28)
    local raw = s:sub(start, start + csize - 1)
    if #raw < csize then return nil, "zip entry " .. name .. " ends early" end
    if flags & 1 == 1 then return nil, "zip entry " .. name .. " is encrypted" end
    local data, err
    if method == 0 then data = raw
    elseif method == 8 then data, err = M.inflate(raw)
    else return nil, string.format("zip entry %s uses compression method %d", name, method) end
    if not data then return nil, "zip entry " .. name .. ": " .. err end
    if #data ~= usize or M.crc32(data) ~= crc then return nil, "zip entry " .. name .. " is corrupt" end
    out[#out + 1] = { name = name, data = data, dir = name:sub(-1) == "/" }
  end
  return out
end

local function le16(v) return string.char(v & 0xFF, (v >> 8) & 0xFF) end
local function le32(v) return le16(v & 0xFFFF) .. le16((v >> 16) & 0xFFFF) end

--- A zip archive of `entries` ({name=, data=}, in order), each stored.
function M.write(entries)
  local parts, central, offset = {}, {}, 0
  -- 1980-01-01 00:00 in DOS time: the archive is the same bytes every time.
  local time, date = 0, (0 << 9) | (1 << 5) | 1
  for _, e in ipairs(entries) do
    local crc, size = M.crc32(e.data), #e.data
    local head = le16(20) .. le16(0) .. le16(0) .. le16(time) .. le16(date) .. le32(crc) .. le32(size)
      .. le32(size) .. le16(#e.name) .. le16(0)
    parts[#parts + 1] = le32(0x04034b50) .. head .. e.name .. e.data
    central[#central + 1] = le32(0x02014b50) .. le16(20) .. head .. le16(0) .. le16(0) .. le16(0) .. le32(0)
      .. le32(offset) .. e.name
    offset = offset + 30 + #e.name + size
  end
  local cd = table.concat(central)
  parts[#parts + 1] = cd
  parts[#parts + 1] = le32(0x06054b50) .. le16(0) .. le16(0) .. le16(#entries) .. le16(#entries) .. le32(#cd)
    .. le32(offset) .. le16(0)
  return table.concat(parts)
end

return M
