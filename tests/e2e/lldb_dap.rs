//! End-to-end tests with lldb-dap, LLDB's Debug Adapter Protocol server,
//! driven over stdio the way VS Code drives it (support/vscode.rs):
//! `initialize`, `attach` with `attachCommands`, breakpoints, then
//! `configurationDone`, and the requests VS Code makes at each stop.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use crate::support::fixtures::fixture;
use crate::support::vscode::Session;

/// basic.c under VS Code: a function breakpoint on `add` (hit three times,
/// with a `next` over its first line each time), a line breakpoint after
/// the loop, `threads`, `stackTrace`, `scopes` and `variables` at each stop,
/// `continue` to the end, and the exit code (7).
#[test]
fn function_and_line_breakpoints() {
    let f = fixture("basic");
    let mut s = Session::attach(&f);

    let body = s.request(
        "setBreakpoints",
        json!({
            "source": {"name": f.file_name(), "path": f.source.to_str().expect("UTF-8 path")},
            "breakpoints": [{"line": f.line("after-loop")}],
            "lines": [f.line("after-loop")],
            "sourceModified": false
        }),
    );
    let line_bp = s.single_breakpoint(&body, f.line("after-loop"), "setBreakpoints");
    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "add"}]}),
    );
    let add_bp = s.single_breakpoint(&body, f.line("add-body"), "setFunctionBreakpoints add");
    s.request("setExceptionBreakpoints", json!({"filters": []}));
    s.configuration_done();

    // main calls add(acc, i) for i = 0, 1, 2: acc is 0, 0, 1.
    let mut acc = 0;
    for i in 0..3 {
        let when = format!("hit {} of add", i + 1);
        let stop = if i == 0 {
            s.first_stop(&when)
        } else {
            s.stopped(&when)
        };
        let tid = s.expect_breakpoint_stop(&stop, add_bp, &when);

        // What VS Code asks at a stop.
        let threads = s.threads();
        if threads.len() != 1 || threads[0].0 != tid {
            s.fail(&format!(
                "{when}: expected the one thread {tid}, got {threads:?}"
            ));
        }
        if tid != i64::from(s.server.inferior_pid()) {
            s.fail(&format!(
                "{when}: the thread id should be the program's pid {}",
                s.server.inferior_pid()
            ));
        }
        let frames = s.stack(tid);
        s.expect_frame(&frames, 0, "add", "add-body");
        s.expect_frame(&frames, 1, "main", "loop-call");
        let locals = s.variables(frames[0].id, "Locals");
        s.expect_value(&locals, "a", &acc.to_string(), &when);
        s.expect_value(&locals, "b", &i.to_string(), &when);
        if !locals.contains_key("sum") {
            s.fail(&format!("{when}: no local sum in add: {locals:?}"));
        }
        let caller = s.variables(frames[1].id, "Locals");
        s.expect_value(&caller, "i", &i.to_string(), &format!("{when}, in main"));

        // Step over `int sum = a + b;`.
        s.request("next", json!({"threadId": tid}));
        let stop = s.stopped(&format!("next in {when}"));
        if stop["reason"] != "step" || stop["threadId"] != tid {
            s.fail(&format!(
                "{when}: next should stop with reason step: {stop}"
            ));
        }
        let frames = s.stack(tid);
        let add_body = u64::from(f.line("add-body"));
        if frames[0].name != "add" || frames[0].line <= add_body {
            s.fail(&format!(
                "{when}: next should stay in add, past line {add_body}: {frames:#?}"
            ));
        }
        let locals = s.variables(frames[0].id, "Locals");
        acc += i;
        s.expect_value(
            &locals,
            "sum",
            &acc.to_string(),
            &format!("{when}, after next"),
        );

        s.resume(tid);
    }

    let stop = s.stopped("the line breakpoint");
    let tid = s.expect_breakpoint_stop(&stop, line_bp, "the line breakpoint");
    let frames = s.stack(tid);
    s.expect_frame(&frames, 0, "main", "after-loop");
    let locals = s.variables(frames[0].id, "Locals");
    s.expect_value(&locals, "acc", "3", "at the line breakpoint");
    s.expect_value(&locals, "i", "3", "at the line breakpoint");
    let globals = s.variables(frames[0].id, "Globals");
    s.expect_value(&globals, "exit_code", "7", "at the line breakpoint");
    s.expect_value(&globals, "counter", "5", "at the line breakpoint");

    s.resume(tid);
    s.expect_exit(7);
}

/// Worker threads in threads.c (NTHREADS); with main, NTHREADS + 1.
const WORKERS: usize = 4;

/// threads.c: stopped at a function breakpoint in `worker`, `threads`
/// lists main and the four workers, the stopped one is in `worker` called
/// from `thread_main` with a worker's id; with the breakpoint cleared (as
/// a user does in the Breakpoints view) `continue` runs to the end
/// (exit code 3: every worker ran).
#[test]
fn threads_at_a_breakpoint() {
    let f = fixture("threads");
    let mut s = Session::attach(&f);

    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "worker"}]}),
    );
    let bp = s.single_breakpoint(
        &body,
        f.line("worker-body"),
        "setFunctionBreakpoints worker",
    );
    s.request("setExceptionBreakpoints", json!({"filters": []}));
    s.configuration_done();

    let stop = s.first_stop("worker");
    let tid = s.expect_breakpoint_stop(&stop, bp, "worker");

    let threads = s.threads();
    let pid = s.server.inferior_pid();
    let ids: BTreeSet<i64> = threads.iter().map(|t| t.0).collect();
    if threads.len() != WORKERS + 1 || ids.len() != WORKERS + 1 {
        s.fail(&format!(
            "threads should list {} distinct threads: {threads:?}",
            WORKERS + 1
        ));
    }
    if !ids.contains(&tid) || !ids.contains(&i64::from(pid)) {
        s.fail(&format!(
            "threads should list the stopped thread {tid} and the main thread {pid}: {threads:?}"
        ));
    }
    for id in &ids {
        if !Path::new(&format!("/proc/{pid}/task/{id}")).exists() {
            s.fail(&format!(
                "thread {id} is not a thread of the program {pid}: {threads:?}"
            ));
        }
    }
    // Names come from the server (jThreadsInfo): the program's comm.
    if let Some((id, name)) = threads.iter().find(|(_, name)| !name.contains("threads")) {
        s.fail(&format!(
            "thread {id} should be named after the program (\"threads\"), got {name:?}: {threads:?}"
        ));
    }

    let frames = s.stack(tid);
    s.expect_frame(&frames, 0, "worker", "worker-body");
    if frames.get(1).map(|fr| fr.name.as_str()) != Some("thread_main") {
        s.fail(&format!(
            "worker should be called from thread_main: {frames:#?}"
        ));
    }
    let locals = s.variables(frames[0].id, "Locals");
    let id_ok = locals
        .get("id")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|id| id < WORKERS);
    if !id_ok {
        s.fail(&format!(
            "worker's id should be a worker number: {locals:?}"
        ));
    }
    // Every thread has a stack VS Code can show.
    for (id, _) in &threads {
        s.stack(*id);
    }

    s.request("setFunctionBreakpoints", json!({"breakpoints": []}));
    s.resume(tid);
    s.expect_exit(3);
}

/// basic.c stopped in `add`: lldb knows the program's shared libraries
/// (`modules` lists libc), so the stack goes on below `main` into libc.
///
/// lldb 19 takes the `main-lm` attribute of a `qXfer:libraries-svr4:read`
/// reply (the main program's link_map, for gdb) for the address of the
/// pointer to `r_debug`: given one, it set its shared-library breakpoint at
/// a garbage address and never loaded libc. The server gives lldb none.
#[test]
fn shared_libraries_are_known() {
    let f = fixture("basic");
    let mut s = Session::attach(&f);
    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "add"}]}),
    );
    let bp = s.single_breakpoint(&body, f.line("add-body"), "setFunctionBreakpoints add");
    s.configuration_done();

    let stop = s.first_stop("add");
    let tid = s.expect_breakpoint_stop(&stop, bp, "add");
    let body = s.request("modules", json!({"startModule": 0, "moduleCount": 0}));
    let modules: Vec<String> = body["modules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect();
    if !modules.iter().any(|m| m.starts_with("libc.so")) {
        s.fail(&format!("modules should list libc: {modules:?}"));
    }
    let frames = s.stack(tid);
    s.expect_frame(&frames, 1, "main", "loop-call");
    if !frames
        .iter()
        .skip(2)
        .any(|fr| fr.name.starts_with("__libc_start"))
    {
        s.fail(&format!(
            "the stack should go on below main into libc: {frames:#?}"
        ));
    }
    let output = s.dap.output_text();
    if output.contains("failed to set breakpoint site") {
        s.fail("lldb failed to set one of its own breakpoints");
    }
    s.request("setFunctionBreakpoints", json!({"breakpoints": []}));
    s.resume(tid);
    s.expect_exit(7);
}

/// threads.c with a logpoint in `worker` (a breakpoint that logs
/// `{id}` and goes on): each of the four workers logs once, whichever
/// threads hit it at the same time.
///
/// When two threads hit the breakpoint before the program is stopped, the
/// stop reply names one and the other's hit is pending. lldb must hear of
/// both at once (`jstopinfo` in the stop reply, `jThreadsInfo`): seeing a
/// thread sit on a breakpoint with no reason, it would step it off and the
/// hit would be lost.
#[test]
fn every_worker_hit_is_reported() {
    let f = fixture("threads");
    let mut s = Session::attach(&f);
    let body = s.request(
        "setBreakpoints",
        json!({
            "source": {"name": f.file_name(), "path": f.source.to_str().expect("UTF-8 path")},
            "breakpoints": [{"line": f.line("worker-body"), "logMessage": "worker hit id={id}"}],
        }),
    );
    s.single_breakpoint(&body, f.line("worker-body"), "setBreakpoints worker-body");
    s.configuration_done();
    s.expect_exit(3);
    let output = s.dap.output_text();
    let mut hits: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("worker hit id="))
        .collect();
    hits.sort_unstable();
    if hits != ["0", "1", "2", "3"] {
        s.fail(&format!("each worker should log one hit, got {hits:?}"));
    }
}
