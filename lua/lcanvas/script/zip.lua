--- lcanvas.script.zip: reading zip archives in plain Lua (stored and
-- deflated entries), for the SIS files a script checks before an upload and
-- the archives the sandbox unpacks. Reads the central directory, so an
-- archive written by any common tool works; zip64, encryption and other
-- methods are refused with the reason.
local M = {}

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

-- ------------------------------------------------------------- inflate
-- RFC 1951: a bit reader over the compressed bytes and canonical Huffman
-- tables as {counts, symbols}, decoded bit by bit (fast enough for the
-- megabytes a SIS file has).

local LEN_BASE = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
  131, 163, 195, 227, 258 }
local LEN_EXTRA = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }
local DIST_BASE = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
  2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 }
local DIST_EXTRA = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
  13, 13 }
local CL_ORDER = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 }

local function huffman(lengths, n)
  local counts, offs, symbols = {}, {}, {}
  for i = 0, 15 do counts[i] = 0 end
  for s = 0, n - 1 do counts[lengths[s] or 0] = counts[lengths[s] or 0] + 1 end
  counts[0] = 0
  offs[1] = 0
  for i = 1, 14 do offs[i + 1] = offs[i] + counts[i] end
  for s = 0, n - 1 do
    local l = lengths[s] or 0
    if l ~= 0 then
      symbols[offs[l]] = s
      offs[l] = offs[l] + 1
    end
  end
  return { counts = counts, symbols = symbols }
end

local FIXED_LIT, FIXED_DIST
do
  local l = {}
  for s = 0, 143 do l[s] = 8 end
  for s = 144, 255 do l[s] = 9 end
  for s = 256, 279 do l[s] = 7 end
  for s = 280, 287 do l[s] = 8 end
  FIXED_LIT = huffman(l, 288)
  local d = {}
  for s = 0, 29 do d[s] = 5 end
  FIXED_DIST = huffman(d, 30)
end

local function inflate(src, pos, limit)
  local bitbuf, bitcnt = 0, 0
  -- Output: bytes as numbers in `out` (out[i] is byte base + i), written
  -- out to `parts` as strings every 64 KiB, keeping the last 32 KiB that
  -- a back-reference may reach.
  local out, n, base, parts = {}, 0, 0, {}
  local WINDOW, FLUSH = 32768, 98304
  local function emit(from, to)
    for i = from, to, 4096 do
      parts[#parts + 1] = string.char(table.unpack(out, i, math.min(i + 4095, to)))
    end
  end
  local function need(k)
    while bitcnt < k do
      if pos > #src then fail("the deflated data ends early") end
      bitbuf = bitbuf | (src:byte(pos) << bitcnt)
      pos = pos + 1
      bitcnt = bitcnt + 8
    end
  end
  local function bits(k)
    if k == 0 then return 0 end
    need(k)
    local v = bitbuf & ((1 << k) - 1)
    bitbuf = bitbuf >> k
    bitcnt = bitcnt - k
    return v
  end
  local function decode(h)
    local code, first, index = 0, 0, 0
    for len = 1, 15 do
      code = code | bits(1)
      local count = h.counts[len]
      if code - count < first then return h.symbols[index + (code - first)] end
      index = index + count
      first = (first + count) << 1
      code = code << 1
    end
    fail("a bad Huffman code in the deflated data")
  end
  local function push(b)
    n = n + 1
    if n > limit then fail("the entry inflates past its declared size") end
    local i = n - base
    out[i] = b
    if i >= FLUSH then
      emit(1, i - WINDOW)
      out = table.move(out, i - WINDOW + 1, i, 1, {})
      base = n - WINDOW
    end
  end
  repeat
    local final = bits(1)
    local btype = bits(2)
    if btype == 0 then
      bitbuf, bitcnt = 0, 0   -- to the byte boundary
      if pos + 3 > #src then fail("the deflated data ends early") end
      local len = src:byte(pos) | (src:byte(pos + 1) << 8)
      local nlen = src:byte(pos + 2) | (src:byte(pos + 3) << 8)
      if len ~ 0xFFFF ~= nlen then fail("a stored block's length check fails") end
      pos = pos + 4
      if pos + len - 1 > #src then fail("the deflated data ends early") end
      for i = pos, pos + len - 1 do push(src:byte(i)) end
      pos = pos + len
    elseif btype == 1 or btype == 2 then
      local lit, dist = FIXED_LIT, FIXED_DIST
      if btype == 2 then
        local hlit, hdist, hclen = bits(5) + 257, bits(5) + 1, bits(4) + 4
        local cl = {}
        for i = 1, hclen do cl[CL_ORDER[i]] = bits(3) end
        local clh = huffman(cl, 19)
        local lens, i = {}, 0
        while i < hlit + hdist do
          local sym = decode(clh)
          if sym < 16 then
            lens[i] = sym
            i = i + 1
          else
            local rep, val
            if sym == 16 then
              if i == 0 then fail("a repeat with nothing before it") end
              val, rep = lens[i - 1], 3 + bits(2)
            elseif sym == 17 then
              val, rep = 0, 3 + bits(3)
            else
              val, rep = 0, 11 + bits(7)
            end
            if i + rep > hlit + hdist then fail("code lengths run past their count") end
            for _ = 1, rep do
              lens[i] = val
              i = i + 1
            end
          end
        end
        local ll, dl = {}, {}
        for s = 0, hlit - 1 do ll[s] = lens[s] end
        for s = 0, hdist - 1 do dl[s] = lens[hlit + s] end
        lit, dist = huffman(ll, hlit), huffman(dl, hdist)
      end
      while true do
        local sym = decode(lit)
        if sym < 256 then
          push(sym)
        elseif sym == 256 then
          break
        else
          sym = sym - 257
          if sym >= 29 then fail("a bad length code") end
          local len = LEN_BASE[sym + 1] + bits(LEN_EXTRA[sym + 1])
          local ds = decode(dist)
          if ds >= 30 then fail("a bad distance code") end
          local d = DIST_BASE[ds + 1] + bits(DIST_EXTRA[ds + 1])
          if d > n then fail("a distance reaches before the start") end
          for _ = 1, len do push(out[n - d + 1 - base]) end
        end
      end
    else
      fail("a block of the reserved type 3")
    end
  until final == 1
  emit(1, n - base)
  return table.concat(parts)
end

M.inflate = function(data, max_size) return inflate(data, 1, max_size or math.huge) end

-- ------------------------------------------------------------- archive

local MAX_ENTRY = 1 << 30   -- refuse an entry that claims more than 1 GiB

--- lcanvas.script.zip.read(data): the entries of a zip archive held in `data`: {name =, data =, dir = true for a directory}, in the archive's order. Raises a one-line reason for anything it cannot read.
function M.read(data)
  if type(data) ~= "string" then fail("zip data must be a string") end
  -- The end of central directory record: the last "PK\5\6" in the final
  -- 64 KiB + 22 bytes (a comment may follow it).
  local eocd
  for i = #data - 21, math.max(1, #data - 65557), -1 do
    if data:sub(i, i + 3) == "PK\5\6" then eocd = i; break end
  end
  if not eocd then fail("not a zip archive (no end of central directory)") end
  local count, cd_size, cd_off = string.unpack("<I2I4I4", data, eocd + 10)
  if cd_off == 0xFFFFFFFF or count == 0xFFFF then fail("zip64 archives are not supported") end
  if cd_off + cd_size > #data then fail("the central directory lies past the end of the file") end
  local entries, p = {}, cd_off + 1
  for _ = 1, count do
    if data:sub(p, p + 3) ~= "PK\1\2" then fail("a damaged central directory") end
    local flags, method, _, _, _, csize, usize, nlen, xlen, clen, _, _, _, loff =
      string.unpack("<I2I2I2I2I4I4I4I2I2I2I2I2I4I4", data, p + 8)
    local name = data:sub(p + 46, p + 45 + nlen)
    p = p + 46 + nlen + xlen + clen
    if flags & 1 == 1 then fail("%s is encrypted", name) end
    if csize == 0xFFFFFFFF or usize == 0xFFFFFFFF then fail("%s needs zip64", name) end
    if usize > MAX_ENTRY then fail("%s claims %d bytes", name, usize) end
    if data:sub(loff + 1, loff + 4) ~= "PK\3\4" then fail("%s: a damaged local header", name) end
    local lnlen, lxlen = string.unpack("<I2I2", data, loff + 27)
    local start = loff + 31 + lnlen + lxlen
    if start + csize - 1 > #data then fail("%s lies past the end of the file", name) end
    local raw = data:sub(start, start + csize - 1)
    local body
    if name:sub(-1) == "/" then
      body = ""
    elseif method == 0 then
      body = raw
    elseif method == 8 then
      local ok, r = pcall(inflate, raw, 1, usize)
      if not ok then fail("%s: %s", name, r) end
      body = r
    else
      fail("%s uses compression method %d (only stored and deflate are read)", name, method)
    end
    if #body ~= usize then fail("%s: %d bytes, but the archive says %d", name, #body, usize) end
    entries[#entries + 1] = { name = name, data = body, dir = name:sub(-1) == "/" or nil }
  end
  return entries
end

--- lcanvas.script.zip.ignored(name): whether Canvas's SIS import passes over this entry without a word (macOS's __MACOSX folder, Windows' Desktop DB/DF: IGNORE_FILES in lib/sis/csv/import_refactored.rb).
function M.ignored(name)
  local l = name:lower()
  return l:find("__macosx", 1, true) ~= nil or l:find("desktop d[bf]") ~= nil
end

return M
