/* The `lcanvas` executable: Lua 5.4 with lcanvas preloaded, running
 * automation scripts. Like lua.c, everything runs inside a protected call
 * with a message handler, errors go to stderr as "lcanvas: message", and
 * Ctrl-C or SIGTERM becomes a Lua error (and stops a request in progress)
 * so to-be-closed resources (output files) are cleaned up. The command
 * line itself is handled in Lua (lcanvas.cli). */
#define _GNU_SOURCE  /* ppoll */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "lcanvas.h"
#include "lcanvas_lua.h"

static const char *progname = "lcanvas";
static lua_State *globalL;

/* Ctrl-C and SIGTERM: set a hook that raises at the next Lua instruction
 * (lua.c does the same; a signal handler cannot safely call into Lua), and
 * interrupt the C engine, which may be waiting for an answer, a retry or
 * the rate gate: the request then fails as Interrupted at once.
 * At the -i prompt (host.prompt_signals) a Ctrl-C stops only the line that
 * runs: the prompt clears the interrupt (host.interrupt_clear) and reads
 * the next line. While the prompt waits for a line (host.prompt_idle)
 * nothing runs: the signal only ends the wait. */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t prompt_idle;
/* host.defer_interrupts: a host loop runs (libuv's) whose callbacks would
 * take the interrupt outside any protected call. The signal then only
 * stops lcanvas's waits: the request raises Interrupted in its coroutine,
 * and the loop's adapter raises it where the loop was started. */
static volatile sig_atomic_t defer_hook;
/* The prompt's message handler (host.prompt_signals): called for the
 * error of a request the signal stopped, it must see that error, the
 * Interrupted lcanvas.Error, rather than be interrupted in turn. */
static const void *prompt_handler;

static void lstop(lua_State *L, lua_Debug *ar)
{
    lua_sethook(L, NULL, 0, 0);
    if (prompt_handler && ar->event == LUA_HOOKCALL && lua_getinfo(L, "f", ar)) {
        int unwinding = lua_topointer(L, -1) == prompt_handler;
        lua_pop(L, 1);
        if (unwinding) return;  /* the line already stops, with its own error */
    }
    luaL_error(L, "interrupted");
}

static void on_signal(int sig)
{
    int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    got_signal = sig;
    if (prompt_idle) return;
    lc_interrupt();
    if (!defer_hook) lua_sethook(globalL, lstop, flag, 1);
}

static void catch_signals(int prompt)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* A script: SA_RESETHAND, so a second Ctrl-C kills the process;
     * SA_RESTART keeps reads going as before (poll, where the engine
     * waits, is never restarted). The prompt: Ctrl-C however often, and
     * no restart, so that a read waiting for the next line returns. */
    sa.sa_flags = prompt ? 0 : SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    /* SIGTERM ends a prompt's session as it ends a script. */
    sa.sa_flags = prompt ? SA_RESETHAND : SA_RESETHAND | SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal (SIGHUP) and a reader gone (SIGPIPE, as in
     * `lcanvas s.lua | head -1`) end the run the same way, so that output
     * files are removed and the sandbox stopped rather than left behind
     * by the default action. */
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
}

/* The signals caught held back (or let through again: SIG_SETMASK old). */
static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* host.prompt_signals(handler): the prompt's way with signals (see
 * on_signal); `handler` is the message handler its lines run with (kept
 * in the registry, so the pointer compared stays that function's). */
static int host_prompt_signals(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "lcanvas.host.prompt_handler");
    prompt_handler = lua_topointer(L, 1);
    catch_signals(1);
    return 0;
}

/* host.prompt_idle(flag): whether the prompt is waiting for a line. */
static int host_prompt_idle(lua_State *L)
{
    prompt_idle = lua_toboolean(L, 1);
    return 0;
}

/* host.interrupt_clear(): forgets a signal: host.signal() is 0 again, the
 * hook set to raise is removed and the core sends requests again
 * (lc_interrupt_clear). The signals wait meanwhile, so one arriving now is
 * kept whole rather than half cleared. */
static int host_interrupt_clear(lua_State *L)
{
    (void)L;
    sigset_t old;
    block_signals(&old);
    lc_interrupt_clear();
    got_signal = 0;
    lua_sethook(globalL, NULL, 0, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* Waits until fd has input (or its end, or an error, for the read to
 * report): 1; 0 when a signal came, before or during the wait. The check
 * and the wait are one step (ppoll with the signals let through only
 * inside it), so a Ctrl-C just before the wait is not missed. */
static int wait_fd(int fd)
{
    sigset_t old;
    block_signals(&old);
    int ready = 0;
    while (!got_signal) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = ppoll(&p, 1, NULL, &old);
        if (r > 0 || (r < 0 && errno != EINTR)) {
            ready = 1;
            break;
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return ready;
}

/* host.wait_input(fd): true when fd has input, false when a signal came. */
static int host_wait_input(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd <= 2, 1, "fd must be 0, 1 or 2");
    lua_pushboolean(L, wait_fd((int)fd));
    return 1;
}

/* The prompt's line editing: GNU readline's callback interface, so that
 * the prompt waits for input itself (wait_fd) and a Ctrl-C ends the wait;
 * readline() would take the signal and go on reading the same line.
 * readline is the one lua-readline loads (history and options stay with
 * lua-readline); its functions are found through that module, never
 * linked in. lua-readline's own callback functions are not used: its
 * handler_remove closes the terminal stream before readline writes to it
 * a last time (a use after free). */
typedef void rl_line_fn(char *);
static struct {
    int state;  /* 0 not looked up, 1 found, -1 not found */
    void (*install)(const char *, rl_line_fn *);
    void (*read_char)(void);
    void (*remove)(void);
    void (*sigcleanup)(void);        /* readline 7 and later */
    void (*free_line_state)(void);
    FILE **instream, **outstream;
    int *catch_signals;
} rl;
static char *rl_line;
static int rl_done_line;

static void rl_on_line(char *line)
{
    rl_line = line;
    rl_done_line = 1;
    rl.remove();  /* here, or readline shows the prompt again at once */
}

static int rl_lookup(const char *module)
{
    void *h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
    /* (the handle's scope is the module and the libraries it needs) */
    *(void **)&rl.install = dlsym(h, "rl_callback_handler_install");
    *(void **)&rl.read_char = dlsym(h, "rl_callback_read_char");
    *(void **)&rl.remove = dlsym(h, "rl_callback_handler_remove");
    *(void **)&rl.sigcleanup = dlsym(h, "rl_callback_sigcleanup");
    *(void **)&rl.free_line_state = dlsym(h, "rl_free_line_state");
    rl.instream = dlsym(h, "rl_instream");
    rl.outstream = dlsym(h, "rl_outstream");
    rl.catch_signals = dlsym(h, "rl_catch_signals");
    if (!rl.install || !rl.read_char || !rl.remove || !rl.free_line_state || !rl.instream ||
        !rl.outstream || !rl.catch_signals)
        return -1;
    return 1;
}

/* host.readline(module, prompt): one line read with GNU readline (module:
 * the path of lua-readline's C module, whose readline is used): the line
 * without its newline, nil at the end of input, false when a signal came
 * (the line being typed is dropped). Raises when readline is not found. */
static int host_readline(lua_State *L)
{
    const char *module = luaL_checkstring(L, 1);
    const char *prompt = luaL_checkstring(L, 2);
    if (rl.state == 0) rl.state = rl_lookup(module);
    if (rl.state < 0) return luaL_error(L, "readline's callback functions not found through %s", module);
    *rl.instream = stdin;
    *rl.outstream = stdout;
    /* Signals are the host's: readline's own handlers would redraw the
     * line and read on. */
    *rl.catch_signals = 0;
    rl_line = NULL;
    rl_done_line = 0;
    rl.install(prompt, rl_on_line);
    while (!rl_done_line) {
        if (!wait_fd(fileno(stdin))) {
            rl.free_line_state();
            if (rl.sigcleanup) rl.sigcleanup();
            /* The terminal echoes nothing under readline: show the Ctrl-C
             * where the cursor is, dropping what followed it (readline
             * then returns to the line's start: the prompt ends it). */
            fputs("^C\033[K", stdout);
            fflush(stdout);
            rl.remove();
            lua_pushboolean(L, 0);
            return 1;
        }
        rl.read_char();
    }
    if (!rl_line) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, rl_line);
    free(rl_line);
    return 1;
}

/* Message handler: error objects print through __tostring; a traceback is
 * appended unless the error is a usage error (a table with .usage). */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
            msg = lua_tostring(L, -1);
        } else {
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        }
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Where lcanvas's Lua files are: next to an installed executable
 * (<prefix>/bin/../share/lua/5.4), the configured install dir, or the
 * source tree for an in-tree build. */
static void set_lua_path(lua_State *L)
{
    char exe[PATH_MAX], candidate[PATH_MAX + 64];
    const char *dir = NULL;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(candidate, sizeof candidate, "%s/../share/lua/5.4", exe);
        char probe[PATH_MAX + 96];
        snprintf(probe, sizeof probe, "%s/lcanvas/init.lua", candidate);
        if (file_exists(probe)) dir = candidate;
    }
    if (!dir && file_exists(LCANVAS_INSTALL_LUADIR "/lcanvas/init.lua")) dir = LCANVAS_INSTALL_LUADIR;
    if (!dir) dir = LCANVAS_SOURCE_LUADIR;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);
}

/* host.isatty(fd): whether fd (0, 1 or 2) is a terminal (progress display,
 * the -i prompt). */
static int host_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd <= 2, 1, "fd must be 0, 1 or 2");
    lua_pushboolean(L, isatty((int)fd));
    return 1;
}

/* host.signal(): the signal that interrupted the run (2, 15) or 0; the
 * exit status is 128 + it. */
static int host_signal(lua_State *L)
{
    lua_pushinteger(L, got_signal);
    return 1;
}

/* host.file_mode(path): the permission bits of the file at path (symbolic
 * links followed), or nil and the reason. stat(2), never a shell: a path
 * is data, whatever characters it holds. */
static int host_file_mode(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        luaL_pushfail(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
    return 1;
}

/* host.defer_interrupts(flag): see defer_hook; returns the previous flag.
 * Cleared after a signal came, the interrupt is raised at once. */
static int host_defer_interrupts(lua_State *L)
{
    int was = defer_hook;
    sigset_t old;
    block_signals(&old);
    defer_hook = lua_toboolean(L, 1);
    int pending = !defer_hook && got_signal && !prompt_idle;
    sigprocmask(SIG_SETMASK, &old, NULL);
    lua_pushboolean(L, was);
    if (pending) luaL_error(L, "interrupted");
    return 1;
}

/* host.file_id(path): "device:inode" of the file at path (links
 * followed), or nil: two names of one file have the same (a results file
 * must never be the input it is read from). */
static int host_file_id(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushfstring(L, "%I:%I", (LUAI_UACINT)st.st_dev, (LUAI_UACINT)st.st_ino);
    return 1;
}

/* host.die_with_parent(ppid): the sandbox started by `lcanvas --sandbox`
 * gets SIGTERM when its parent dies, however it dies (SIGKILL and SIGPIPE
 * included): true; nil when the parent is already gone; false where there
 * is no PR_SET_PDEATHSIG (not Linux). */
static int host_die_with_parent(lua_State *L)
{
    lua_Integer ppid = luaL_checkinteger(L, 1);
#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
        lua_pushboolean(L, 0);
        return 1;
    }
    /* The parent may have died before the prctl: then we are adopted. */
    if ((lua_Integer)getppid() != ppid) lua_pushnil(L);
    else lua_pushboolean(L, 1);
#else
    (void)ppid;
    lua_pushboolean(L, 0);
#endif
    return 1;
}

/* host.clock(): monotonic seconds, for rates (os.clock is CPU time). */
static int host_clock(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    luaL_checkversion(L);
    luaL_openlibs(L);
    /* The C module is linked in: preload it so `require "lcanvas.core"`
     * never looks for a .so that may be missing or of another build. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_lcanvas_core);
    lua_setfield(L, -2, "lcanvas.core");
    lua_pop(L, 1);
    set_lua_path(L);
    /* What the Lua side needs to know about this executable (to start
     * `lcanvas sandbox` as a child, for instance). */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    static const luaL_Reg host_fns[] = {
        {"isatty", host_isatty},
        {"clock", host_clock},
        {"signal", host_signal},
        {"file_mode", host_file_mode},
        {"file_id", host_file_id},
        {"defer_interrupts", host_defer_interrupts},
        {"die_with_parent", host_die_with_parent},
        {"prompt_signals", host_prompt_signals},
        {"prompt_idle", host_prompt_idle},
        {"interrupt_clear", host_interrupt_clear},
        {"wait_input", host_wait_input},
        {"readline", host_readline},
        {NULL, NULL},
    };
    lua_createtable(L, 0, 16);
    luaL_setfuncs(L, host_fns, 0);
    lua_pushinteger(L, (lua_Integer)getpid());
    lua_setfield(L, -2, "pid");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        lua_pushstring(L, exe);
        lua_setfield(L, -2, "exe");
    }
    lua_pushliteral(L, LCANVAS_VERSION);
    lua_setfield(L, -2, "version");
    lua_setfield(L, -2, "lcanvas.host");
    lua_pop(L, 2);

    /* arg as lua.c builds it: arg[0] the program, then the arguments. */
    lua_createtable(L, argc, 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_setglobal(L, "arg");

    lua_getglobal(L, "require");
    lua_pushliteral(L, "lcanvas.cli");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "main");
    lua_createtable(L, argc, 0);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_call(L, 1, 1);
    return 1;
}

int main(int argc, char **argv)
{
    if (argv[0] && argv[0][0]) {
        const char *slash = strrchr(argv[0], '/');
        progname = slash ? slash + 1 : argv[0];
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "%s: cannot create Lua state: not enough memory\n", progname);
        return 1;
    }
    globalL = L;
    lc_interrupt_init();  /* without it a signal still stops requests, at the next wake-up */
    catch_signals(0);
    lua_pushcfunction(L, msghandler);
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 1, 1);
    int code;
    if (status != LUA_OK) {
        fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
        fflush(stderr);
        code = 1;
    } else {
        code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : (lua_toboolean(L, -1) ? 0 : 1);
    }
    lua_close(L);
    return code;
}
