-- luacheck configuration (Debian's lua-check), run by scripts/test.
std = "lua54"
max_code_line_length = 120
-- Doc lines ("--- Type:method(args): text") are one line each, read by
-- scripts/gen-reference.lua; row docs are strings. Neither is wrapped.
max_comment_line_length = false
max_string_line_length = false
exclude_files = { "build*/**", ".git/**" }

-- Automation scripts run under the lcanvas host, which connects these.
files["scripts/*.lua"] = { read_globals = { "canvas", "catalog" } }
files["scripts/examples/*.lua"] = { read_globals = { "canvas", "catalog" } }
files["lua/lcanvas/script/users.lua"] = { read_globals = { "canvas" } }
files["lua/lcanvas/script/refs.lua"] = { read_globals = { "canvas" } }
-- The host's own exit wrapper replaces os.exit so output files complete.
files["lua/lcanvas/cli/init.lua"] = { globals = { "os" } }

files["spec/**/*.lua"] = { std = "+busted" }
-- The spec helper wraps io.popen/os.execute for sanitizer runs.
files["spec/helper.lua"] = { std = "+busted", globals = { "io", "os" } }
