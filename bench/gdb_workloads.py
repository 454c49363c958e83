# The gdb side of scripts/bench: runs inside `gdb -nx -batch` (loaded with
# `-x`), drives one workload against a server that scripts/bench started
# (or, for `attach`, starts the server itself), and prints its results on
# stdout as `BENCH <key> <value>` lines, or `BENCHFAIL <reason>`.
#
# Parameters come as JSON in the environment variable BENCH_PARAMS:
#   workload  one of WORKLOADS below
#   port      the server's TCP port (all but attach)
#   n         the workload's count (hits, steps, iterations...)
#   ...       workload-specific keys, see each function
#
# Every timed region (a Window) is measured with time.perf_counter() inside
# gdb, so gdb's own start-up and symbol loading are never counted; the CPU
# time of gdb's main thread in it is recorded too (see Window).

import json
import os
import re
import subprocess
import time

import gdb

P = json.loads(os.environ["BENCH_PARAMS"])


class BenchError(Exception):
    pass


def ex(cmd):
    """Runs a gdb command, returning what it printed."""
    return gdb.execute(cmd, to_string=True)


def result(key, value):
    print("BENCH %s %r" % (key, value), flush=True)


def note(key, value):
    print("BENCHNOTE %s %s" % (key, value), flush=True)


class Window:
    """A timed region. Besides its wall time, it records the CPU time of
    gdb's main thread in it: this script and every command it runs execute
    on that thread, so that time is gdb's own work, a floor under the wall
    time that no server can take away. Printed as `<workload>_gdb_cpu_s`
    and `<workload>_window_s`."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.thread_time() - self.cpu0
        if exc[0] is None:
            result("%s_gdb_cpu_s" % P["workload"], self.cpu)
            result("%s_window_s" % P["workload"], self.wall)


def connect():
    ex("target remote :%d" % P["port"])


def frame_name():
    try:
        return gdb.selected_frame().name()
    except gdb.error as e:
        return "<no frame: %s>" % e


def expect_function(name, after):
    got = frame_name()
    if got != name:
        raise BenchError("expected a stop in %s after %s, got %s" % (name, after, got))


def value(expr):
    return int(gdb.parse_and_eval(expr))


def cont(expect):
    out = ex("continue")
    if expect is not None:
        expect_function(expect, "continue")
    return out


def run_to_main():
    ex("break main")
    cont("main")
    ex("delete")


def expect_exit(out):
    if gdb.selected_inferior().pid != 0:
        raise BenchError("the program did not exit; stopped in %s:\n%s" % (frame_name(), out[-2000:]))
    code = gdb.convenience_variable("_exitcode")
    if code is None or int(code) != 0:
        raise BenchError("the program exited with %s (expected 0):\n%s" % (code, out[-2000:]))


# --------------------------------------------------------------------------
# Workloads


def w_connect():
    """Connect and run to main: from before `target remote` to the stop."""
    with Window() as w:
        connect()
        ex("break main")
        cont("main")
    result("connect_s", w.wall)


def w_bp_hits():
    """N hits of `break f`, N-1 of them ignored (`ignore`): the program
    (hits N+1) calls f(0..N); the first hit is not timed."""
    n = P["n"]
    connect()
    run_to_main()
    ex("break f")
    num = gdb.breakpoints()[-1].number
    cont("f")
    ex("ignore %d %d" % (num, n - 1))
    with Window() as w:
        cont("f")
    i = value("i")
    if i != n:
        raise BenchError("stopped at f(i=%d), expected i=%d" % (i, n))
    result("bp_hits_per_s", n / w.wall)


def w_stepi():
    """`stepi N` from main."""
    n = P["n"]
    connect()
    run_to_main()
    pc0 = value("$pc")
    with Window() as w:
        ex("stepi %d" % n)
    if value("$pc") == pc0:
        raise BenchError("pc did not move")
    result("stepi_per_s", n / w.wall)


def w_next():
    """One `next` over a one-line loop of N iterations."""
    connect()
    ex("break %s:%d" % (P["file"], P["loop_line"]))
    cont("main")
    line = gdb.selected_frame().find_sal().line
    if line != P["loop_line"]:
        raise BenchError("stopped at line %d, expected %d" % (line, P["loop_line"]))
    ex("delete")
    with Window() as w:
        ex("next")
    line = gdb.selected_frame().find_sal().line
    if line != P["after_line"]:
        raise BenchError("`next` ended at line %d, expected %d" % (line, P["after_line"]))
    result("next_s", w.wall)


def w_dump():
    """`dump binary memory FILE buf buf+SIZE` of the fixture's buffer."""
    size = P["size"]
    path = P["dump_file"]
    connect()
    ex("break ready")
    cont("ready")
    with Window() as w:
        ex("dump binary memory %s buf buf+%d" % (path, size))
    got = os.path.getsize(path)
    os.unlink(path)
    if got != size:
        raise BenchError("dump wrote %d bytes, expected %d" % (got, size))
    result("dump_mb_per_s", size / w.wall / 1e6)


def run_to_exit(key):
    connect()
    with Window() as w:
        out = ex("continue")
    expect_exit(out)
    result(key, w.wall)


def w_threads():
    """`continue` a program that creates and joins N threads, to its exit."""
    run_to_exit("threads_s")


def w_forks():
    """`continue` a program that forks and reaps N children, to its exit."""
    run_to_exit("forks_s")


def w_attach():
    """Start the server with --attach on a program with N parked threads,
    connect, `info threads`, `detach`: from starting the server to the end
    of the detach."""
    with Window() as w:
        threads = attach_and_list()
    count = len(re.findall(r"^[ *]+\d+ +Thread ", threads, re.M))
    if count != P["n"] + 1:
        raise BenchError("info threads listed %d threads, expected %d:\n%s"
                         % (count, P["n"] + 1, threads[-1500:]))
    result("attach_s", w.wall)


def attach_and_list():
    """The timed part of w_attach: returns what `info threads` printed."""
    log = open(P["server_log"], "wb")
    server = subprocess.Popen(
        [P["server"], "--attach", ":0", str(P["pid"])],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    with open(P["server_pid_file"], "w") as f:
        f.write("%d\n" % server.pid)
    port = None
    deadline = time.perf_counter() + P["listen_timeout"]
    while port is None:
        with open(P["server_log"], "rb") as f:
            m = re.search(rb"Listening on port (\d+)", f.read())
        if m:
            port = int(m.group(1))
        elif server.poll() is not None:
            raise BenchError("the server exited with %s before listening" % server.returncode)
        elif time.perf_counter() > deadline:
            raise BenchError("the server did not print 'Listening on port' in %ss" % P["listen_timeout"])
        else:
            time.sleep(0.0005)
    ex("target remote :%d" % port)
    threads = ex("info threads")
    ex("detach")
    return threads


def w_cond():
    """`break f if i == N-1` over N calls of f: one stop reported to the
    user, N condition evaluations (in the stub if it takes the condition as
    agent bytecode, else in gdb)."""
    n = P["n"]
    connect()
    run_to_main()
    ex("break f if i == %d" % (n - 1))
    with Window() as w:
        cont("f")
    i = value("i")
    if i != n - 1:
        raise BenchError("stopped at f(i=%d), expected i=%d" % (i, n - 1))
    result("cond_s", w.wall)
    note("condition-evaluation", ex("show breakpoint condition-evaluation").strip())


WORKLOADS = {
    "connect": w_connect,
    "bp_hits": w_bp_hits,
    "stepi": w_stepi,
    "next": w_next,
    "dump": w_dump,
    "threads": w_threads,
    "forks": w_forks,
    "attach": w_attach,
    "cond": w_cond,
}


def main():
    try:
        WORKLOADS[P["workload"]]()
    except Exception as e:  # noqa: BLE001 - any failure ends the workload
        msg = str(e) if isinstance(e, (BenchError, gdb.error)) else "%s: %s" % (type(e).__name__, e)
        print("BENCHFAIL %s" % msg.replace("\n", "\n  "), flush=True)
    # Leave nothing running: a launched program is killed (the server then
    # exits, it was started with --once); an attached one was detached.
    try:
        if gdb.selected_inferior().pid != 0:
            ex("detach" if P["workload"] == "attach" else "kill")
    except gdb.error:
        pass
    print("BENCHEND", flush=True)


main()
