//! End-to-end tests with gdb in batch mode on what gdb learns about the
//! program from the server: the program and its libraries with no local
//! copy (`qXfer:exec-file`, `vFile:`, `qXfer:libraries-svr4`,
//! `qXfer:auxv`), thread names (`qXfer:threads`), `$_siginfo`
//! (`qXfer:siginfo`), signals passed without a stop (`QPassSignals`) and
//! thread-local storage (`qGetTLSAddr`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{self, debug_fixture, mark, target_remote, thread_rows};
use crate::support::output::printed_value;
use crate::support::server::Server;

/// The e_entry and e_phoff fields of a 64-bit ELF file's header.
fn elf_entry_and_phoff(path: &Path) -> (u64, u64) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        bytes.len() >= 64 && bytes[..4] == *b"\x7fELF" && bytes[4] == 2,
        "{} is not a 64-bit ELF file",
        path.display()
    );
    let word = |off: usize| {
        u64::from_le_bytes(
            bytes[off..off + 8]
                .try_into()
                .expect("8 bytes of the ELF header"),
        )
    };
    (word(24), word(32))
}

/// The value column of an `info auxv` row for `tag` (e.g. `AT_ENTRY`):
/// `9    AT_ENTRY             Entry point of program         0x555555555060`.
fn auxv_value(text: &str, tag: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut fields = l.split_whitespace();
        fields.next()?.parse::<u64>().ok()?;
        if fields.next()? != tag {
            return None;
        }
        let last = l.split_whitespace().last()?;
        u64::from_str_radix(last.strip_prefix("0x")?, 16).ok()
    })
}

/// The `From` and `To` addresses of the `info sharedlibrary` row whose
/// library path ends with `name`.
fn library_range(text: &str, name: &str) -> Option<(u64, u64)> {
    text.lines().find_map(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        if fields.len() < 4 || !fields.last()?.ends_with(name) {
            return None;
        }
        let from = u64::from_str_radix(fields[0].strip_prefix("0x")?, 16).ok()?;
        let to = u64::from_str_radix(fields[1].strip_prefix("0x")?, 16).ok()?;
        Some((from, to))
    })
}

/// The pcs of `bt` frames that print one: `#1  0x00007ffff7e13bf4 in ...`.
fn frame_pcs(bt: &str) -> Vec<u64> {
    bt.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('#')?;
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            let hex = rest.trim_start().strip_prefix("0x")?;
            let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
            u64::from_str_radix(&digits, 16).ok()
        })
        .collect()
}

/// gdb with no local copy of the program: it reads the program and libc
/// from the server, breaks by symbol, lists libc, backtraces through libc
/// (a qsort callback, and `write`), shows the auxiliary vector, and runs
/// the program to its exit code.
#[test]
fn gdb_without_local_program_file() {
    let f = fixture("nofile");
    let server = Server::start_fixture(&f);
    let exe: PathBuf = fs::canonicalize(&f.exe).expect("canonical fixture path");
    // No program file, and run from `/`, where no fixture is.
    let args = gdb::args(
        None,
        &[
            &target_remote(server.port()),
            "break by_value",
            &mark("callback"),
            "continue",
            &mark("bt-callback"),
            "bt",
            &mark("libs"),
            "info sharedlibrary",
            &mark("auxv"),
            "info auxv",
            "delete",
            &mark("break-write"),
            "break write",
            "continue",
            &mark("bt-write"),
            "bt",
            &mark("pc-write"),
            "p/x $pc",
            "delete",
            &mark("exit"),
            "continue",
        ],
    );
    let s = Session::run(server, gdb::batch(&args, Some(Path::new("/"))));

    // gdb had no file: it read the program through the server.
    let reading = format!("Reading {} from remote target...", exe.display());
    assert!(
        s.output.contains(&reading),
        "gdb should say {reading:?}\n{}",
        s.dump()
    );
    assert!(
        s.output
            .contains(&format!("Reading symbols from target:{}", exe.display())),
        "gdb should load the program's symbols from the target\n{}",
        s.dump()
    );

    // Breakpoint by symbol, in a callback called from libc's qsort.
    let callback = s.section("callback");
    assert!(
        callback.contains("Breakpoint 1, by_value (a=0x") && callback.contains(&f.at("compare")),
        "continue should stop at `Breakpoint 1, by_value (...)` at {}\n{}",
        f.location("compare"),
        s.dump()
    );

    // libc is listed, symbols read.
    let libs = s.section("libs");
    let libc_row = libs
        .lines()
        .find(|l| l.trim_end().ends_with("libc.so.6"))
        .unwrap_or_else(|| panic!("`info sharedlibrary` does not list libc.so.6\n{}", s.dump()));
    assert!(
        libc_row.contains("Yes"),
        "libc's symbols should be read: {libc_row:?}\n{}",
        s.dump()
    );
    let (libc_from, libc_to) = library_range(libs, "libc.so.6")
        .unwrap_or_else(|| panic!("no address range in {libc_row:?}\n{}", s.dump()));
    assert!(
        libc_from < libc_to,
        "bad libc range {libc_row:?}\n{}",
        s.dump()
    );
    let in_libc = |pc: u64| (libc_from..libc_to).contains(&pc);

    // bt from the callback: our frame, libc's qsort frames, then main.
    let bt = s.section("bt-callback");
    assert!(
        bt.contains("#0  by_value (a=0x"),
        "bt should start in by_value\n{}",
        s.dump()
    );
    assert!(
        bt.contains(" in main () at ") && bt.contains(&f.at("qsort")),
        "bt should reach main at {}\n{}",
        f.location("qsort"),
        s.dump()
    );
    let pcs = frame_pcs(bt);
    assert!(
        pcs.iter().any(|&pc| in_libc(pc)),
        "bt from the qsort callback should show frames in libc \
         ({libc_from:#x}..{libc_to:#x}); frame pcs {pcs:x?}\n{}",
        s.dump()
    );

    // The auxiliary vector: AT_ENTRY and AT_PHDR, consistent with the
    // program's ELF header (same load base).
    let auxv = s.section("auxv");
    let entry = auxv_value(auxv, "AT_ENTRY")
        .unwrap_or_else(|| panic!("`info auxv` lacks AT_ENTRY\n{}", s.dump()));
    let phdr = auxv_value(auxv, "AT_PHDR")
        .unwrap_or_else(|| panic!("`info auxv` lacks AT_PHDR\n{}", s.dump()));
    let (e_entry, e_phoff) = elf_entry_and_phoff(&exe);
    assert!(
        entry != 0 && phdr != 0 && entry.wrapping_sub(phdr) == e_entry.wrapping_sub(e_phoff),
        "AT_ENTRY {entry:#x} and AT_PHDR {phdr:#x} should differ by e_entry - e_phoff \
         ({e_entry:#x} - {e_phoff:#x})\n{}",
        s.dump()
    );

    // A breakpoint on libc's write: bt shows libc then the program.
    let hit = s.section("break-write");
    assert!(
        hit.contains("Breakpoint 2, "),
        "continue should stop at breakpoint 2 (write)\n{}",
        s.dump()
    );
    let pc_text = s.section("pc-write");
    let pc = printed_value(pc_text)
        .and_then(|v| v.strip_prefix("0x"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| panic!("no pc printed\n{}", s.dump()));
    assert!(
        in_libc(pc),
        "stopped in write, pc {pc:#x} should be in libc ({libc_from:#x}..{libc_to:#x})\n{}",
        s.dump()
    );
    let bt = s.section("bt-write");
    assert!(
        bt.contains("#0  ")
            && bt.contains(" in report () at ")
            && bt.contains(&f.at("write"))
            && bt.contains(" in main () at "),
        "bt from write should show libc's write, report () at {} and main ()\n{}",
        f.location("write"),
        s.dump()
    );

    s.expect_exited("exit", "06");
    s.wait_stdout("nofile: sorted");
    s.wait_stderr("Child exited with status 6");
}

/// Threads named with pthread_setname_np and prctl(PR_SET_NAME) show
/// their names in `info threads`.
#[test]
fn thread_names_in_info_threads() {
    let f = fixture("thread_names");
    let s = debug_fixture(
        &f,
        &[
            "break all_named",
            &mark("hit"),
            "continue",
            &mark("info"),
            "info threads",
            &mark("exit"),
            "continue",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("Breakpoint 1, all_named () at ") && hit.contains(&f.at("all-named")),
        "continue should stop in all_named\n{}",
        s.dump()
    );
    let info = s.section("info");
    let rows = thread_rows(info);
    assert_eq!(
        rows.len(),
        4,
        "main and three workers should be listed: {rows:#?}\n{}",
        s.dump()
    );
    for name in [
        "\"worker-1\"",
        "\"worker-2\"",
        "\"worker-3\"",
        "\"thread_names\"",
    ] {
        let n = rows.iter().filter(|r| r.contains(name)).count();
        assert_eq!(
            n,
            1,
            "exactly one `info threads` row should show {name}: {rows:#?}\n{}",
            s.dump()
        );
    }
    // The main thread (gdb's thread 1, current) keeps the program's name.
    let main_row = rows
        .iter()
        .find(|r| r.trim_start().starts_with('*'))
        .unwrap_or_else(|| panic!("no current thread in {rows:#?}\n{}", s.dump()));
    assert!(
        main_row.contains("\"thread_names\"") && main_row.contains("all_named ()"),
        "the current thread is main, named thread_names, in all_named: {main_row:?}\n{}",
        s.dump()
    );
    s.expect_exited("exit", "04");
}

/// `$_siginfo` is writable (`qXfer:siginfo:write`): after `call`, the
/// thread's siginfo is the one it stopped with (gdb puts it back; it used
/// to read 11, from the call's own stop), and `set $_siginfo...` sticks.
#[test]
fn siginfo_survives_a_call_and_takes_writes() {
    let f = fixture("basic");
    let s = debug_fixture(
        &f,
        &[
            "break add",
            "continue",
            &mark("before"),
            "p $_siginfo.si_signo",
            &mark("call"),
            "call fact(3)",
            &mark("after"),
            "p $_siginfo.si_signo",
            "set $_siginfo.si_errno = 7",
            &mark("errno"),
            "p $_siginfo.si_errno",
        ],
    );
    for (section, value) in [
        ("before", "5"),
        ("call", "6"),
        ("after", "5"),
        ("errno", "7"),
    ] {
        assert_eq!(
            printed_value(s.section(section)),
            Some(value),
            "section @@{section}\n{}",
            s.dump()
        );
    }
}

/// After a SIGSEGV writing to 0x10, `$_siginfo` has the signal number and
/// the fault address.
#[test]
fn siginfo_after_sigsegv() {
    let f = fixture("segv_addr");
    let s = debug_fixture(
        &f,
        &[
            &mark("fault"),
            "continue",
            &mark("signo"),
            "p $_siginfo.si_signo",
            &mark("addr"),
            "p $_siginfo._sifields._sigfault.si_addr",
            &mark("code"),
            "p $_siginfo.si_code",
            &mark("end"),
            "continue",
        ],
    );
    let fault = s.section("fault");
    assert!(
        fault.contains("Program received signal SIGSEGV, Segmentation fault.")
            && fault.contains(&f.at("fault")),
        "continue should report SIGSEGV at {}\n{}",
        f.location("fault"),
        s.dump()
    );
    assert_eq!(
        printed_value(s.section("signo")),
        Some("11"),
        "$_siginfo.si_signo should be 11 (SIGSEGV)\n{}",
        s.dump()
    );
    assert_eq!(
        printed_value(s.section("addr")),
        Some("(void *) 0x10"),
        "the fault address should be 0x10\n{}",
        s.dump()
    );
    // SEGV_MAPERR: nothing is mapped at 0x10.
    assert_eq!(
        printed_value(s.section("code")),
        Some("1"),
        "si_code should be SEGV_MAPERR (1)\n{}",
        s.dump()
    );
    assert!(
        s.section("end")
            .contains("Program terminated with signal SIGSEGV, Segmentation fault."),
        "continuing should end the program with SIGSEGV\n{}",
        s.dump()
    );
}

/// `handle SIGUSR1 nostop noprint pass`: 100 SIGUSR1s are all delivered
/// and the server never stops for them (no stop reply for signal 30, which
/// gdb would otherwise resume silently: `set debug remote` shows it).
#[test]
fn pass_signals_without_stopping() {
    let f = fixture("usr1_storm");
    let s = debug_fixture(
        &f,
        &[
            "handle SIGUSR1 nostop noprint pass",
            "set debug remote 1",
            &mark("cont"),
            "continue",
            "set debug remote 0",
            &mark("end"),
        ],
    );
    assert!(
        s.output.contains(") exited with code 0144]"),
        "the program should exit with 100 (`exited with code 0144`): every SIGUSR1 delivered\n{}",
        s.dump()
    );
    s.wait_stdout("usr1_storm: delivered 100 of 100");
    s.expect_not("received signal SIGUSR1");
    // gdb told the server to pass SIGUSR1 (GDB's number 30, 0x1e)...
    assert!(
        s.output
            .lines()
            .any(|l| l.contains("Sending packet: $QPassSignals:") && l.contains(";1e;")),
        "gdb should send QPassSignals with 1e (SIGUSR1)\n{}",
        s.dump()
    );
    // ...and the server never reported a SIGUSR1 stop.
    for stop in ["Packet received: T1e", "Packet received: S1e"] {
        s.expect_not(stop);
    }
    s.wait_stderr("Child exited with status 100");
}

/// `__thread` variables and errno: each thread's own values.
#[test]
fn thread_local_variables_and_errno_per_thread() {
    let f = fixture("tls");
    let mut cmds = vec![
        "break tls_ready".to_string(),
        mark("hit"),
        "continue".to_string(),
        mark("info"),
        "info threads".to_string(),
    ];
    for n in 1..=3 {
        cmds.push(format!("thread {n}"));
        cmds.push(mark(&format!("tv{n}")));
        cmds.push("p tv".to_string());
        // The cast makes gdb read errno with or without libc's debug
        // information (without it, `errno` has no type).
        cmds.push(mark(&format!("errno{n}")));
        cmds.push("p (int) errno".to_string());
    }
    cmds.push(mark("exit"));
    cmds.push("continue".to_string());
    let cmd_refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let s = debug_fixture(&f, &cmd_refs);

    assert!(
        s.section("hit").contains("Breakpoint 1, tls_ready () at "),
        "continue should stop in tls_ready\n{}",
        s.dump()
    );
    let rows = thread_rows(s.section("info"));
    assert_eq!(rows.len(), 3, "three threads: {rows:#?}\n{}", s.dump());

    let value = |name: &str| -> i64 {
        printed_value(s.section(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number printed in section {name}\n{}", s.dump()))
    };
    // gdb's thread 1 is main: tv 100, errno 1000.
    assert_eq!(
        (value("tv1"), value("errno1")),
        (100, 1000),
        "main thread's tv and errno\n{}",
        s.dump()
    );
    // Threads 2 and 3 are the workers, in either order: 101/1001 and
    // 102/1002, each with its own pair.
    let mut workers = vec![
        (value("tv2"), value("errno2")),
        (value("tv3"), value("errno3")),
    ];
    workers.sort_unstable();
    assert_eq!(
        workers,
        vec![(101, 1001), (102, 1002)],
        "each worker's own tv and errno\n{}",
        s.dump()
    );
    s.expect_exited("exit", "05");
}
