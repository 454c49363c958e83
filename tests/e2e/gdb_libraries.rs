//! End-to-end tests with gdb of shared libraries in more than one
//! link-map namespace (`dlmopen`): `qXfer:libraries-svr4` lists every
//! namespace, each library with its `lmid`.

use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark};

/// A breakpoint on a function of a library that dlmopen.c loads into a
/// second namespace is hit, and `info sharedlibrary` lists that library
/// and the second libc beside the first. (Only the default namespace was
/// listed: the breakpoint stayed pending and the program ran to its end.)
#[test]
fn breakpoint_in_a_second_namespace() {
    let f = fixture("dlmopen");
    let s = debug_fixture(
        &f,
        &[
            "set breakpoint pending on",
            "break cbrt",
            &mark("hit"),
            "continue",
            &mark("shared"),
            "info sharedlibrary",
            &mark("bt"),
            "bt",
            "delete",
            &mark("end"),
            "continue",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("Breakpoint 1, ") && hit.contains("cbrt"),
        "the breakpoint in libm should be hit\n{}",
        s.dump()
    );
    let shared = s.section("shared");
    let rows = |name: &str| shared.lines().filter(|l| l.ends_with(name)).count();
    assert_eq!(rows("/libm.so.6"), 1, "{}", s.dump());
    assert_eq!(
        rows("/libc.so.6"),
        2,
        "one libc per namespace\n{}",
        s.dump()
    );
    s.expect_in("bt", "in main () at ");
    s.expect_in("end", "exited normally]");
}
