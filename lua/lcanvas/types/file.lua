--- lcanvas.File: a file in Canvas (a user's, a course's, a report's
-- attachment). Its `url` is on Canvas's origin and redirects to the file
-- store; downloading follows it without the token (lua/lcanvas/download.lua).
-- Uploading into a context is lua/lcanvas/upload.lua's (User:upload).
local core = require "lcanvas.core"
local download = require "lcanvas.download"

core.define_type("File", { format = "{display_name} ({id})", doc = "a file",
  plain = { "download", "download_to_string" } })

local File = core.methods("File")

-- Not rows: a redirect to the file store, then its bytes.
--- File:download(path [, opts]): download this file into `path` (written whole or not at all; opts as Client:download); returns the path written and its size.
function File:download(path, opts)
  return download.to_file(core.client_of(self), self, path, opts)
end

--- File:download_to_string(): this file's bytes as a string (small files: at most max_response_size).
function File:download_to_string()
  return download.to_string(core.client_of(self), self)
end

return File
