//! End-to-end tests with gdb in batch mode on hardware watchpoints and
//! breakpoints (the x86 debug registers: `watch`, `rwatch`, `awatch`,
//! `hbreak`, running out of the four slots) and on `catch syscall`.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture};
use crate::support::gdb::{debug_fixture, mark};
use crate::support::server::testing_gnu_gdbserver;

/// Runs watch.c to main (then deletes that breakpoint), runs `cmds`, then
/// with everything deleted runs it to its end: exit code 10, when all it
/// did ran.
fn from_main_to_end(cmds: &[&str]) -> (Fixture, Session) {
    let f = fixture("watch");
    let exit = mark("exit");
    let mut all = vec!["break main", "continue", "delete"];
    all.extend_from_slice(cmds);
    all.extend(["delete", exit.as_str(), "continue"]);
    let s = debug_fixture(&f, &all);
    s.expect_exited("exit", "012");
    (f, s)
}

/// `watch global`: a hardware watchpoint that fires on main's write, then
/// on the write of a thread created after the watchpoint was set.
#[test]
fn watch_fires_in_main_and_in_a_thread_created_later() {
    let (f, s) = from_main_to_end(&[
        &mark("set"),
        "watch global",
        &mark("main-write"),
        "continue",
        &mark("thread-write"),
        "continue",
        &mark("bt"),
        "bt",
    ]);
    let set = s.section("set");
    assert!(
        set.contains("Hardware watchpoint 2: global"),
        "`watch global` should set a hardware watchpoint\n{}",
        s.dump()
    );
    let main_write = s.section("main-write");
    assert!(
        main_write.contains("Hardware watchpoint 2: global")
            && main_write.contains("Old value = 0\nNew value = 1\n"),
        "main's write should trigger the watchpoint: Old value = 0, New value = 1\n{}",
        s.dump()
    );
    assert!(
        main_write.contains("main () at ") && main_write.contains(&f.at("create")),
        "the watchpoint should stop in main right after the write, at {}\n{}",
        f.location("create"),
        s.dump()
    );
    let thread_write = s.section("thread-write");
    assert!(
        thread_write.contains("hit Hardware watchpoint 2: global")
            && thread_write.contains("Old value = 1\nNew value = 2\n"),
        "the new thread's write should trigger the watchpoint: Old value = 1, New value = 2\n{}",
        s.dump()
    );
    assert!(
        thread_write.contains("writer (arg=0x0) at "),
        "the watchpoint should stop in the thread's function writer\n{}",
        s.dump()
    );
    let bt = s.section("bt");
    assert!(
        bt.contains("#0  writer (arg=0x0) at ") && !bt.contains(" main () at "),
        "the stop should be in the new thread (writer, not main)\n{}",
        s.dump()
    );
}

/// `rwatch` (emulated by gdb with an access watchpoint, which the server
/// offers), `awatch` on an unaligned 4-byte slice that takes several debug
/// registers, and `hbreak`. Each is deleted before the next so that the
/// four debug registers suffice.
#[test]
fn read_and_access_watchpoints_and_hardware_breakpoint() {
    let (f, s) = from_main_to_end(&[
        &mark("rwatch-set"),
        "rwatch g2",
        &mark("rwatch-hit"),
        "continue",
        "delete",
        &mark("awatch-set"),
        "awatch buf[3]@4",
        &mark("awatch-hit"),
        "continue",
        "delete",
        &mark("hbreak-set"),
        "hbreak hfunc",
        &mark("hbreak-hit"),
        "continue",
    ]);
    assert!(
        s.section("rwatch-set")
            .contains("Hardware read watchpoint 2: g2"),
        "`rwatch g2` should set a hardware read watchpoint\n{}",
        s.dump()
    );
    let rhit = s.section("rwatch-hit");
    assert!(
        rhit.contains("Hardware read watchpoint 2: g2")
            && rhit.contains("Value = 5\n")
            && rhit.contains(&f.at("read-g2")),
        "the read of g2 at {} should trigger the read watchpoint with `Value = 5`\n{}",
        f.location("read-g2"),
        s.dump()
    );
    assert!(
        s.section("awatch-set")
            .contains("Hardware access (read/write) watchpoint 3: buf[3]@4"),
        "`awatch buf[3]@4` should set a hardware access watchpoint\n{}",
        s.dump()
    );
    let ahit = s.section("awatch-hit");
    assert!(
        ahit.contains("Hardware access (read/write) watchpoint 3: buf[3]@4")
            && ahit.contains("Old value = \"\\000\\000\\000\"")
            && ahit.contains("New value = \"\\000\\000x\""),
        "the write of buf[5] should trigger the access watchpoint on buf[3]@4\n{}",
        s.dump()
    );
    assert!(
        s.section("hbreak-set")
            .contains("Hardware assisted breakpoint 4 at 0x"),
        "`hbreak hfunc` should set a hardware assisted breakpoint\n{}",
        s.dump()
    );
    let hhit = s.section("hbreak-hit");
    assert!(
        hhit.contains("Breakpoint 4, hfunc (x=5) at ") && hhit.contains(&f.at("hfunc")),
        "the hardware breakpoint should be hit in hfunc (x=5)\n{}",
        s.dump()
    );
}

/// Five watchpoints on five separate aligned words need five debug
/// registers: gdb cannot insert them all, and the server says why.
#[test]
fn too_many_hardware_watchpoints() {
    let (_, s) = from_main_to_end(&[
        &mark("set"),
        "watch w1",
        "watch w2",
        "watch w3",
        "watch w4",
        "watch w5",
        &mark("cont"),
        "continue",
    ]);
    let set = s.section("set");
    for (n, w) in (2..=6).zip(["w1", "w2", "w3", "w4", "w5"]) {
        assert!(
            set.contains(&format!("Hardware watchpoint {n}: {w}")),
            "`watch {w}` should set hardware watchpoint {n}\n{}",
            s.dump()
        );
    }
    let cont = s.section("cont");
    assert!(
        cont.contains("Could not insert hardware watchpoint")
            || cont.contains("You may have requested too many hardware breakpoints/watchpoints"),
        "continuing with five watchpoints should fail to insert one\n{}",
        s.dump()
    );
    assert!(
        !cont.contains("Old value") && !cont.contains("exited with code"),
        "the program should not have run\n{}",
        s.dump()
    );
    if !testing_gnu_gdbserver() {
        s.wait_stderr("all four debug registers are in use");
    }
    // Once they are deleted the program runs normally.
}

/// `catch syscall write`: stops at the entry (orig_rax is write's
/// number, which is 1) and at the return (rax is what write returned: 16),
/// then the program runs to its exit code.
#[test]
fn catch_syscall_write_entry_and_return() {
    let f = fixture("syscalls");
    let s = debug_fixture(
        &f,
        &[
            &mark("set"),
            "catch syscall write",
            &mark("entry"),
            "continue",
            &mark("entry-nr"),
            "p $orig_rax",
            &mark("entry-bt"),
            "bt",
            &mark("return"),
            "continue",
            &mark("return-value"),
            "p $rax",
            "delete",
            &mark("exit"),
            "continue",
        ],
    );
    assert!(
        s.section("set")
            .contains("Catchpoint 1 (syscall 'write' [1])"),
        "`catch syscall write` should set catchpoint 1\n{}",
        s.dump()
    );
    let entry = s.section("entry");
    assert!(
        entry.contains("Catchpoint 1 (call to syscall write)"),
        "the first continue should stop at the call to write\n{}",
        s.dump()
    );
    assert!(
        !entry.contains("returned from syscall"),
        "the first stop is the entry, not the return\n{}",
        s.dump()
    );
    assert!(
        s.section("entry-nr").contains(" = 1\n"),
        "at the entry, $orig_rax should be write's number (1)\n{}",
        s.dump()
    );
    let bt = s.section("entry-bt");
    assert!(
        bt.contains(" in main () at ") && bt.contains(&f.at("write")),
        "bt at the syscall should reach main at {}\n{}",
        f.location("write"),
        s.dump()
    );
    let ret = s.section("return");
    assert!(
        ret.contains("Catchpoint 1 (returned from syscall write)"),
        "the second continue should stop at the return from write\n{}",
        s.dump()
    );
    assert!(
        s.section("return-value").contains(" = 16\n"),
        "at the return, $rax should be write's result (16 bytes)\n{}",
        s.dump()
    );
    s.expect_exited("exit", "013");
    s.wait_stdout("syscalls: hello");
}

/// A catchpoint on a system call the program never makes never fires.
#[test]
fn catch_syscall_not_called_never_fires() {
    let f = fixture("syscalls");
    let s = debug_fixture(
        &f,
        &[
            &mark("set"),
            "catch syscall chroot",
            &mark("cont"),
            "continue",
        ],
    );
    assert!(
        s.section("set")
            .contains("Catchpoint 1 (syscall 'chroot' [161])"),
        "`catch syscall chroot` should set catchpoint 1\n{}",
        s.dump()
    );
    let cont = s.section("cont");
    assert!(
        !cont.contains("Catchpoint 1 ("),
        "the catchpoint must not fire: the program never calls chroot\n{}",
        s.dump()
    );
    s.expect_exited("cont", "013");
    s.wait_stdout("syscalls: hello");
    s.wait_stderr("Child exited with status 11");
}
