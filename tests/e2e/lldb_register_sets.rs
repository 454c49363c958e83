//! lldb's register sets, from the target description's `group=`
//! attributes: named and ordered as lldb-server names them, so that
//! `register read` shows the general registers alone.

use crate::support::fixtures::fixture;
use crate::support::lldb::{self, mark};
use crate::support::server::testing_gnu_gdbserver;

/// `register read` shows "General Purpose Registers" and nothing else (it
/// used to show one set of every register, x87, SSE, AVX and AVX-512
/// included, ending in "32 registers were unavailable"); `register read
/// --all` shows every set, every register in it readable.
///
/// rgdbserver only: GNU gdbserver's description carries gdb's register
/// groups, which lldb shows as sets named `general`, `float`, `vector`.
#[test]
fn register_read_shows_the_general_registers() {
    if testing_gnu_gdbserver() {
        return;
    }
    let f = fixture("basic");
    let s = lldb::debug_fixture(
        &f,
        &[
            &mark("general"),
            "register read",
            &mark("all"),
            "register read --all",
            &mark("end"),
        ],
    );
    let general = s.section("general");
    let sets: Vec<&str> = general.lines().filter(|l| l.ends_with(':')).collect();
    assert_eq!(sets, ["General Purpose Registers:"], "{}", s.dump());
    for register in ["rax = ", "rip = ", "fs_base = "] {
        s.expect_in("general", register);
    }
    for other in ["xmm0", "st0", "mxcsr", "ymm", "zmm", "unavailable"] {
        assert!(!general.contains(other), "{other}\n{}", s.dump());
    }
    let all = s.section("all");
    for set in ["General Purpose Registers:", "Floating Point Registers:"] {
        s.expect_in("all", set);
    }
    assert!(!all.contains("unavailable"), "{}", s.dump());
}
