//! End-to-end tests driving `gdb --interpreter=mi3` the way IDE front ends
//! (VS Code cpptools, CLion) do: MI commands with numeric tokens, gdb in
//! asynchronous mode (`mi-async`), `-target-select remote`, breakpoints,
//! `-exec-continue`, `*stopped` records, `-thread-info`,
//! `-stack-list-frames`, `-data-evaluate-expression`, `-exec-interrupt`
//! while the program runs, and the program's exit.
//!
//! The MI driver and record parser are in support/mi.rs.

use std::collections::BTreeSet;

use crate::support::fixtures::fixture;
use crate::support::mi::{mi_quote, parse_record, Mi, Value};
use crate::support::process::thread_ids;
use crate::support::{scaled, CLIENT_TIMEOUT};

/// Worker threads in threads.c (NTHREADS); with main, NTHREADS + 1.
const WORKERS: usize = 4;

/// threads.c: a breakpoint in `worker` set by FILE:LINE, `-thread-info`
/// listing every thread, per-thread stacks and expressions, then the
/// breakpoint deleted and the program run to its exit.
#[test]
fn mi_breakpoint_threads_stack_and_exit() {
    let f = fixture("threads");
    let mut mi = Mi::start(&f);
    let pid = mi.server.inferior_pid();

    let location = f.location("worker-body");
    let bp = mi.done(&format!("-break-insert -f {location}"));
    let bkptno = mi.field(&bp, "bkpt.number").to_string();
    mi.check(
        mi.field(&bp, "bkpt.func") == "worker"
            && mi.field(&bp, "bkpt.line") == f.line("worker-body").to_string(),
        &format!(
            "the breakpoint should be in worker at {location}: {}",
            bp.line
        ),
    );

    mi.run("-exec-continue");
    let stop = mi.wait_async("*stopped");
    mi.check(
        mi.field(&stop, "reason") == "breakpoint-hit"
            && mi.field(&stop, "bkptno") == bkptno
            && mi.field(&stop, "frame.func") == "worker"
            && mi.field(&stop, "frame.line") == f.line("worker-body").to_string()
            && mi.field(&stop, "stopped-threads") == "all",
        &format!(
            "should stop at breakpoint {bkptno} in worker: {}",
            stop.line
        ),
    );
    let stop_thread = mi.field(&stop, "thread-id").to_string();
    let stop_args = stop.results.list("frame.args").unwrap_or_default();
    let stop_id = stop_args
        .iter()
        .find(|a| a.str("name") == Some("id"))
        .and_then(|a| a.str("value"))
        .unwrap_or_else(|| panic!("no id argument in {}\n{}", stop.line, mi.dump()))
        .to_string();

    // Every thread, all stopped, the current one the one at the breakpoint.
    let info = mi.done("-thread-info");
    let threads = info
        .results
        .list("threads")
        .unwrap_or_else(|| panic!("no threads=[...] in {}\n{}", info.line, mi.dump()))
        .to_vec();
    mi.check(
        threads.len() == WORKERS + 1,
        &format!(
            "-thread-info should list {} threads: {}",
            WORKERS + 1,
            info.line
        ),
    );
    mi.check(
        mi.field(&info, "current-thread-id") == stop_thread,
        &format!("the current thread should be {stop_thread}: {}", info.line),
    );
    let mut lwps = BTreeSet::new();
    let mut main_thread = None;
    let mut worker_threads = Vec::new();
    for t in &threads {
        let id = t.str("id").unwrap_or_default().to_string();
        let target_id = t.str("target-id").unwrap_or_default();
        mi.check(
            t.str("state") == Some("stopped"),
            &format!("thread {id} should be stopped: {}", info.line),
        );
        // The CPU it last ran on (qXfer:threads `core=`).
        mi.check(
            t.str("core").is_some_and(|c| c.parse::<u32>().is_ok()),
            &format!("thread {id} should show its core: {}", info.line),
        );
        // `Thread PID.LWP`
        let lwp = target_id
            .strip_prefix(&format!("Thread {pid}."))
            .and_then(|l| l.parse::<u32>().ok())
            .unwrap_or_else(|| {
                panic!(
                    "thread {id}: target-id {target_id:?} is not `Thread {pid}.LWP`\n{}",
                    mi.dump()
                )
            });
        lwps.insert(lwp);
        if lwp == pid {
            main_thread = Some(id.clone());
        } else {
            worker_threads.push(id.clone());
        }
        if id == stop_thread {
            mi.check(
                t.str("frame.func") == Some("worker"),
                &format!("thread {id} should be in worker: {}", info.line),
            );
        }
    }
    mi.check(
        main_thread.is_some() && worker_threads.len() == WORKERS,
        &format!("one main thread and {WORKERS} workers: {}", info.line),
    );
    let tasks = thread_ids(pid);
    mi.check(
        lwps == tasks,
        &format!("-thread-info should list the program's threads {tasks:?}, not {lwps:?}"),
    );

    // The current thread's stack, then every worker's (as an IDE shows the
    // call stack of the thread clicked).
    let funcs = mi.frame_funcs("");
    mi.check(
        funcs.len() >= 2 && funcs[0] == "worker" && funcs[1] == "thread_main",
        &format!("-stack-list-frames should show worker then thread_main: {funcs:?}"),
    );
    for t in &worker_threads {
        let funcs = mi.frame_funcs(&format!("--thread {t}"));
        mi.check(
            funcs.iter().any(|f| f == "thread_main"),
            &format!("thread {t}'s stack should reach thread_main: {funcs:?}"),
        );
    }

    let names = mi.variable_names("");
    mi.check(
        names == ["id"],
        &format!("worker's only variable is id: {names:?}"),
    );

    let id = mi.evaluate("", "id");
    mi.check(
        id.parse::<usize>().is_ok_and(|v| v < WORKERS) && id == stop_id,
        &format!("id should be the stop's id={stop_id} (0..{WORKERS}), not {id:?}"),
    );
    // The same through --thread/--frame, as cpptools passes them.
    let id_n: usize = id.parse().expect("checked above");
    let value = mi.evaluate(&format!("--thread {stop_thread} --frame 0"), "id * 10 + 1");
    let want = (id_n * 10 + 1).to_string();
    mi.check(
        value == want,
        &format!("id * 10 + 1 should be {want}, not {value:?}"),
    );

    // Without the breakpoint the program runs to its end; threads.c
    // returns 3 when every worker ran, which gdb prints in octal.
    mi.done(&format!("-break-delete {bkptno}"));
    mi.run("-exec-continue");
    let group = mi.wait_async("=thread-group-exited");
    mi.check(
        group.results.str("exit-code") == Some("03"),
        &format!("the thread group should exit with 03: {}", group.line),
    );
    mi.wait_exited("03");

    let mut server = mi.exit();
    server.wait_stderr("Child exited with status 3", None);
    server.wait_clean_exit(None);
}

/// Threads in spin.c besides main.
const SPINNERS: usize = 3;

/// spin.c never stops by itself: `-exec-interrupt` while it runs stops it
/// with SIGINT, twice, with every thread inspectable in between; then the
/// program is killed as an IDE's "stop debugging" does.
#[test]
fn mi_interrupt_running_program() {
    let f = fixture("spin");
    let mut mi = Mi::start(&f);

    mi.run("-exec-continue");
    // spin.c prints "ready" once every spinner is in its loop.
    let timeout = scaled(CLIENT_TIMEOUT);
    if mi.server.stdout().wait_for_line("ready", timeout).is_none() {
        panic!("spin never printed ready within {timeout:?}\n{}", mi.dump());
    }
    let stop = mi.interrupt();
    mi.check(
        stop.results.str("stopped-threads") == Some("all"),
        &format!("-exec-interrupt should stop everything: {}", stop.line),
    );

    let info = mi.done("-thread-info");
    let threads = info.results.list("threads").unwrap_or_default().to_vec();
    mi.check(
        threads.len() == SPINNERS + 1 && threads.iter().all(|t| t.str("state") == Some("stopped")),
        &format!(
            "-thread-info should list {} stopped threads: {}",
            SPINNERS + 1,
            info.line
        ),
    );
    let spinners: Vec<String> = threads
        .iter()
        .filter(|t| t.str("frame.func") == Some("spinner"))
        .filter_map(|t| t.str("id").map(str::to_string))
        .collect();
    mi.check(
        spinners.len() == SPINNERS,
        &format!("{SPINNERS} threads should be in spinner: {}", info.line),
    );

    // Each spinner's frame and variables, through --thread/--frame as
    // cpptools passes them.
    let mut ids = BTreeSet::new();
    for t in &spinners {
        let funcs = mi.frame_funcs(&format!("--thread {t}"));
        mi.check(
            funcs.first().map(String::as_str) == Some("spinner"),
            &format!("thread {t}'s frame 0 should be spinner: {funcs:?}"),
        );
        let id = mi.evaluate(&format!("--thread {t} --frame 0"), "id");
        let id: usize = id
            .parse()
            .unwrap_or_else(|_| panic!("thread {t}: id is {id:?}\n{}", mi.dump()));
        mi.check(
            id < SPINNERS && ids.insert(id),
            &format!("thread {t}: id {id} should be new and below {SPINNERS} ({ids:?})"),
        );
        let spins = mi.evaluate(&format!("--thread {t} --frame 0"), "spins[id]");
        mi.check(
            spins.parse::<u64>().is_ok_and(|n| n > 0),
            &format!("thread {t}: spins[{id}] should have counted, is {spins:?}"),
        );
    }

    // Resume and interrupt again.
    mi.run("-exec-continue");
    mi.interrupt();
    let info = mi.done("-thread-info");
    let count = info.results.list("threads").map_or(0, <[Value]>::len);
    mi.check(
        count == SPINNERS + 1,
        &format!("still {} threads: {}", SPINNERS + 1, info.line),
    );

    // Stop debugging: kill the program, then leave.
    mi.done(&format!("-interpreter-exec console {}", mi_quote("kill")));
    mi.wait_async("=thread-group-exited");
    let timeout = scaled(CLIENT_TIMEOUT);
    mi.check(
        mi.server.wait_inferior_gone_within(timeout),
        "the program should be gone after kill",
    );
    let mut server = mi.exit();
    server.wait_exit(None);
}

/// Non-stop as an IDE drives it (tests/fixtures/counters.c): a breakpoint
/// stops one thread (`*stopped` for it, the others `running` in
/// `-thread-info`); `-exec-interrupt --thread` and `-exec-continue
/// --thread` act on one thread, `--all` on every one, each with its own
/// `*stopped` and `*running` records; then the program runs to its end.
#[test]
fn mi_non_stop_threads_one_by_one() {
    let f = fixture("counters");
    let mut mi = Mi::start_with(&f, &["-gdb-set non-stop on"]);
    mi.done("-break-insert on_break");
    let r = mi.command("-exec-continue");
    mi.check(r.class == "running", &format!("^running: {}", r.line));
    let running = mi.wait_async("*running");
    mi.check(
        running.results.str("thread-id") == Some("1"),
        &format!(
            "non-stop resumes the selected thread only: {}",
            running.line
        ),
    );
    let hit = mi.wait_async("*stopped");
    mi.check(
        hit.results.str("reason") == Some("breakpoint-hit")
            && hit.results.str("thread-id") == Some("2")
            && hit.results.list("stopped-threads") == Some(&[Value::Const("2".to_string())][..]),
        &format!("worker 0 (thread 2) alone stops at on_break: {}", hit.line),
    );
    let states = |mi: &mut Mi| -> Vec<(String, String)> {
        let info = mi.done("-thread-info");
        info.results
            .list("threads")
            .unwrap_or_default()
            .iter()
            .map(|t| {
                (
                    t.str("id").unwrap_or_default().to_string(),
                    t.str("state").unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let threads = states(&mut mi);
    mi.check(
        threads.len() == 4
            && threads
                .iter()
                .all(|(id, state)| (id == "2") == (state == "stopped")),
        &format!("thread 2 stopped, the others running: {threads:?}"),
    );

    mi.done("-exec-interrupt --thread 3");
    let stop = mi.wait_async("*stopped");
    mi.check(
        stop.results.str("thread-id") == Some("3") && stop.results.str("signal-name") == Some("0"),
        &format!("thread 3 stops at our request (signal 0): {}", stop.line),
    );
    let r = mi.command("-exec-continue --thread 3");
    mi.check(r.class == "running", &format!("^running: {}", r.line));
    let running = mi.wait_async("*running");
    mi.check(
        running.results.str("thread-id") == Some("3"),
        &format!("thread 3 runs again: {}", running.line),
    );

    mi.done("-exec-interrupt --all");
    let mut stopped = BTreeSet::new();
    for _ in 0..3 {
        let stop = mi.wait_async("*stopped");
        stopped.insert(mi.field(&stop, "thread-id").to_string());
    }
    let expected: BTreeSet<String> = ["1", "3", "4"].iter().map(|s| s.to_string()).collect();
    mi.check(
        stopped == expected,
        &format!("threads 1, 3 and 4 each stop: {stopped:?}"),
    );
    let threads = states(&mut mi);
    mi.check(
        threads.iter().all(|(_, state)| state == "stopped"),
        &format!("every thread stopped: {threads:?}"),
    );

    mi.evaluate("", "stop=1");
    let r = mi.command("-exec-continue --all");
    mi.check(r.class == "running", &format!("^running: {}", r.line));
    mi.wait_exited_normally();
    let mut server = mi.exit();
    server.wait_clean_exit(None);
}

/// basic.c, single-threaded: a conditional breakpoint on a function,
/// arguments and locals, `-exec-finish` with the return value, a FILE:LINE
/// breakpoint, a variable changed through `-var-assign`, and the exit code
/// that change gives.
#[test]
fn mi_finish_assign_and_exit_code() {
    let f = fixture("basic");
    let mut mi = Mi::start(&f);

    // add(acc, i) is called with (0,0), (0,1), (1,2): stop at the third.
    let bp = mi.done(&format!("-break-insert -f -c {} add", mi_quote("b == 2")));
    let add_bp = mi.field(&bp, "bkpt.number").to_string();
    mi.run("-exec-continue");
    let stop = mi.wait_async("*stopped");
    let args: Vec<(String, String)> = stop
        .results
        .list("frame.args")
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (
                a.str("name").unwrap_or_default().to_string(),
                a.str("value").unwrap_or_default().to_string(),
            )
        })
        .collect();
    mi.check(
        mi.field(&stop, "reason") == "breakpoint-hit"
            && mi.field(&stop, "bkptno") == add_bp
            && mi.field(&stop, "frame.func") == "add"
            && mi.field(&stop, "frame.line") == f.line("add-body").to_string()
            && args == [("a".into(), "1".into()), ("b".into(), "2".into())],
        &format!("should stop in add(a=1, b=2): {}", stop.line),
    );

    let frames = mi.done("-stack-list-frames");
    let stack = frames.results.list("stack").unwrap_or_default();
    mi.check(
        stack.len() == 2
            && stack[0].str("func") == Some("add")
            && stack[1].str("func") == Some("main")
            && stack[1].str("line") == Some(f.line("loop-call").to_string().as_str()),
        &format!(
            "the stack should be add, then main at the call: {}",
            frames.line
        ),
    );

    let names = mi.variable_names("--thread 1 --frame 0");
    mi.check(
        names == ["a", "b", "sum"],
        &format!("add's variables are a, b and sum: {names:?}"),
    );
    let sum = mi.evaluate("", "a+b");
    mi.check(sum == "3", &format!("a+b should be 3, is {sum:?}"));

    // Back in main with add's return value.
    mi.run("-exec-finish");
    let fin = mi.wait_async("*stopped");
    mi.check(
        fin.results.str("reason") == Some("function-finished")
            && fin.results.str("frame.func") == Some("main")
            && fin.results.str("return-value") == Some("3"),
        &format!("-exec-finish should return 3 to main: {}", fin.line),
    );

    let ret_line = f.line("return");
    let bp = mi.done(&format!("-break-insert -f {}", f.location("return")));
    let ret_bp = mi.field(&bp, "bkpt.number").to_string();
    mi.run("-exec-continue");
    let stop = mi.wait_async("*stopped");
    mi.check(
        stop.results.str("reason") == Some("breakpoint-hit")
            && stop.results.str("bkptno") == Some(ret_bp.as_str())
            && stop.results.str("frame.func") == Some("main")
            && stop.results.str("frame.line") == Some(ret_line.to_string().as_str()),
        &format!("should stop at the return, line {ret_line}: {}", stop.line),
    );
    // fact(5) + (0 + 1 + 2) and counter incremented.
    let total = mi.evaluate("", "total");
    let counter = mi.evaluate("", "counter");
    mi.check(
        total == "123" && counter == "6",
        &format!("total should be 123 and counter 6, not {total:?} and {counter:?}"),
    );

    // Change the exit code as an IDE's watch window does.
    let var = mi.done("-var-create - * exit_code");
    let var_name = mi.field(&var, "name").to_string();
    mi.check(
        var.results.str("value") == Some("7"),
        &format!("exit_code starts at 7: {}", var.line),
    );
    let assigned = mi.done(&format!("-var-assign {var_name} 6"));
    mi.check(
        assigned.results.str("value") == Some("6"),
        &format!("-var-assign should answer the new value: {}", assigned.line),
    );
    let read_back = mi.evaluate("", "exit_code");
    mi.check(
        read_back == "6",
        &format!("exit_code should read back as 6, is {read_back:?}"),
    );

    // The assigned code.
    mi.run("-exec-continue");
    mi.wait_exited("06");
    let mut server = mi.exit();
    server.wait_stderr("Child exited with status 6", None);
    server.wait_exit(None);
}

#[test]
fn mi_record_parser() {
    let r = parse_record(
        r#"12^done,stack=[frame={level="0",func="a\"b\\c\n"},frame={level="1",args=[]}],n="x",e={},l=["p","q"]"#,
    )
    .expect("parses");
    assert_eq!(r.class, "done");
    let stack = r.results.list("stack").expect("stack");
    assert_eq!(stack.len(), 2);
    assert_eq!(stack[0].str("func"), Some("a\"b\\c\n"));
    assert_eq!(stack[1].list("args"), Some(&[][..]));
    assert_eq!(r.results.str("n"), Some("x"));
    assert_eq!(r.results.get("e"), Some(&Value::Tuple(Vec::new())));
    assert_eq!(
        r.results.list("l"),
        Some(&[Value::Const("p".into()), Value::Const("q".into())][..])
    );
    let r = parse_record("*running,thread-id=\"all\"").expect("parses");
    assert_eq!(r.class, "running");
    assert_eq!(r.results.str("thread-id"), Some("all"));
    let r = parse_record("7^exit").expect("parses");
    assert_eq!(r.class, "exit");
    assert!(parse_record("~\"text\"").is_err());
    assert!(parse_record("^done,a=\"unterminated").is_err());
}
