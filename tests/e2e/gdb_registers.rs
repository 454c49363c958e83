//! End-to-end tests with gdb in batch mode on registers beyond the
//! general ones: fs_base, orig_rax, AVX ymm and AVX-512 zmm/k (checked
//! against the CPU's flags: present when the CPU has them, void when not;
//! every zmm and k register read and written where the CPU has AVX-512),
//! writing registers, inferior function calls, and a 32-bit (`-m32`)
//! program under the 64-bit server.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, fixture_m32};
use crate::support::gdb::{self, debug_fixture, mark};
use crate::support::output::printed_value;
use crate::support::process::cpu_flags;
use crate::support::server::Server;

/// The printed value of section `name` of a session, or a panic with the
/// whole output.
fn value_of<'a>(s: &'a Session, name: &str) -> &'a str {
    printed_value(s.section(name))
        .unwrap_or_else(|| panic!("no `$N = ...` in section @@{name}\n{}", s.dump()))
}

/// Asserts that a register the CPU lacks is unknown to gdb: printing it
/// (`p $name`, section `name`) gives `void` (gdb takes `$name` for an
/// unset convenience variable) or an invalid-register error.
#[track_caller]
fn assert_register_absent(s: &Session, name: &str, register: &str) {
    let text = s.section(name);
    let void = printed_value(text) == Some("void");
    let error = text.contains("Invalid register");
    assert!(
        void || error,
        "the CPU lacks {register}: gdb should print `void` or an error for it\n{}",
        s.dump()
    );
}

/// What regs.c loads into 32-bit lane `lane` of zmm`n` before regs_here().
fn zmm_loaded(n: usize, lane: usize) -> i64 {
    (1000 * n + 10 * (lane + 1)) as i64
}

/// What the write test puts in lane `lane` of zmm`n`.
fn zmm_written(n: usize, lane: usize) -> i64 {
    -((1000 * n + lane + 1) as i64)
}

/// The mask registers are 64 bits with AVX-512BW, 16 bits without it.
fn mask_width_mask(bw: bool) -> u64 {
    if bw {
        u64::MAX
    } else {
        0xffff
    }
}

/// What regs.c loads into k`n`.
fn k_loaded(n: usize, bw: bool) -> u64 {
    (0x8000_0000_0000_0000 + 0x0101_0101_0101_0101 * (n as u64 + 1)) & mask_width_mask(bw)
}

/// What the write test puts in k`n`.
fn k_written(n: usize, bw: bool) -> u64 {
    (0x00f0_f0f0_f0f0_f000 + n as u64) & mask_width_mask(bw)
}

/// The sixteen lanes of zmm`n` as gdb prints a `v16_int32`.
fn zmm_value(n: usize, lane_value: fn(usize, usize) -> i64) -> String {
    let lanes: Vec<String> = (0..16).map(|j| lane_value(n, j).to_string()).collect();
    format!("{{{}}}", lanes.join(", "))
}

/// Runs regs.c to regs_here() (and checks that it stops there), then
/// `cmds`; with `to_the_end`, then runs it to its end, exit code 8.
fn at_regs_here(cmds: Vec<String>, to_the_end: bool) -> Session {
    let f = fixture("regs");
    let mut all = vec![
        "break regs_here".to_string(),
        mark("hit"),
        "continue".to_string(),
    ];
    all.extend(cmds);
    if to_the_end {
        all.extend(["delete".to_string(), mark("exit"), "continue".to_string()]);
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let s = debug_fixture(&f, &refs);
    assert!(
        s.section("hit").contains("Breakpoint 1, regs_here () at ")
            && s.section("hit").contains(&f.at("regs-here")),
        "continue should stop in regs_here at {}\n{}",
        f.location("regs-here"),
        s.dump()
    );
    if to_the_end {
        s.expect_exited("exit", "010");
        s.wait_stderr("Child exited with status 8");
    }
    s
}

/// fs_base (the thread pointer, which glibc's pthread_self() returns on
/// x86-64), orig_rax (-1 outside a system call), ymm0 (loaded by the
/// program) where the CPU has AVX, and where it has AVX-512 every zmm0-31
/// lane and k0-7 as the program loaded them.
#[test]
fn read_fs_base_orig_rax_and_vector_registers() {
    let flags = cpu_flags();
    let avx = flags.contains("avx");
    let avx512 = flags.contains("avx512f");
    let bw = flags.contains("avx512bw");
    let mut cmds: Vec<String> = [
        &mark("fs_base"),
        "p $fs_base",
        &mark("fs_base_hex"),
        "p/x $fs_base",
        &mark("self"),
        "p/x self_pointer",
        &mark("orig_rax"),
        "p $orig_rax",
        &mark("ymm0"),
        "p $ymm0.v8_int32",
        &mark("ymm0-whole"),
        "p $ymm0",
        &mark("xmm0"),
        "p $xmm0.v4_int32",
        &mark("zmm31-whole"),
        "p $zmm31",
        &mark("k1"),
        "p $k1",
    ]
    .map(String::from)
    .to_vec();
    for n in 0..32 {
        cmds.extend([mark(&format!("zmm{n}")), format!("p $zmm{n}.v16_int32")]);
    }
    for n in 0..8 {
        cmds.extend([mark(&format!("k{n}-hex")), format!("p/x $k{n}")]);
    }
    cmds.push(mark("end"));
    let s = at_regs_here(cmds, false);

    let fs_base: u64 = value_of(&s, "fs_base")
        .parse()
        .unwrap_or_else(|e| panic!("$fs_base is not a number: {e}\n{}", s.dump()));
    assert_ne!(fs_base, 0, "$fs_base should be non-zero\n{}", s.dump());
    let fs_hex = value_of(&s, "fs_base_hex");
    assert_eq!(
        fs_hex,
        format!("{fs_base:#x}"),
        "p/x $fs_base should match p $fs_base\n{}",
        s.dump()
    );
    assert_eq!(
        value_of(&s, "self"),
        fs_hex,
        "$fs_base should be the thread pointer pthread_self() returned\n{}",
        s.dump()
    );
    assert_eq!(
        value_of(&s, "orig_rax"),
        "-1",
        "$orig_rax should be -1 at a breakpoint (not in a system call)\n{}",
        s.dump()
    );

    if avx {
        assert_eq!(
            value_of(&s, "ymm0"),
            "{10, 20, 30, 40, 50, 60, 70, 80}",
            "the CPU has AVX: $ymm0 should hold what the program loaded\n{}",
            s.dump()
        );
        assert_eq!(
            value_of(&s, "xmm0"),
            "{10, 20, 30, 40}",
            "$xmm0 is the low half of $ymm0\n{}",
            s.dump()
        );
    } else {
        assert_register_absent(&s, "ymm0-whole", "AVX (ymm0)");
    }

    if avx512 {
        for n in 0..32 {
            assert_eq!(
                value_of(&s, &format!("zmm{n}")),
                zmm_value(n, zmm_loaded),
                "the CPU has AVX-512: $zmm{n} should hold what the program loaded\n{}",
                s.dump()
            );
        }
        for n in 0..8 {
            assert_eq!(
                value_of(&s, &format!("k{n}-hex")),
                format!("{:#x}", k_loaded(n, bw)),
                "the CPU has AVX-512: $k{n} should hold what the program loaded\n{}",
                s.dump()
            );
        }
    } else {
        assert_register_absent(&s, "zmm31-whole", "AVX-512 (zmm31)");
        assert_register_absent(&s, "k1", "AVX-512 (k1)");
    }
}

/// Where the CPU has AVX-512: every zmm0-31 lane and k0-7 written from
/// gdb, read back by gdb, and found by the program in its registers when it
/// stores them after regs_here(). Without AVX-512, gdb has no such
/// registers to write and the program runs on unharmed.
#[test]
fn write_avx512_registers() {
    let flags = cpu_flags();
    let avx512 = flags.contains("avx512f");
    let bw = flags.contains("avx512bw");
    let mut cmds = vec![mark("set")];
    for n in 0..32 {
        cmds.push(format!(
            "set var $zmm{n}.v16_int32 = {}",
            zmm_value(n, zmm_written)
        ));
    }
    for n in 0..8 {
        cmds.push(format!("set var $k{n} = {:#x}", k_written(n, bw)));
    }
    for n in [0, 15, 16, 31] {
        cmds.extend([mark(&format!("zmm{n}")), format!("p $zmm{n}.v16_int32")]);
    }
    cmds.extend([mark("k7"), "p/x $k7".to_string()]);
    let s = at_regs_here(cmds, true);
    if !avx512 {
        assert!(
            s.section("set").contains("not a structure"),
            "the CPU lacks AVX-512: gdb should have no $zmm0 to write\n{}",
            s.dump()
        );
        return;
    }
    for n in [0, 15, 16, 31] {
        assert_eq!(
            value_of(&s, &format!("zmm{n}")),
            zmm_value(n, zmm_written),
            "$zmm{n} should read back as written\n{}",
            s.dump()
        );
    }
    assert_eq!(
        value_of(&s, "k7"),
        format!("{:#x}", k_written(7, bw)),
        "$k7 should read back as written\n{}",
        s.dump()
    );
    // The program itself found every written value in its registers.
    for n in 0..32 {
        let lanes: Vec<String> = (0..16).map(|j| zmm_written(n, j).to_string()).collect();
        s.wait_stdout(&format!("regs: zmm{n} seen: {}", lanes.join(" ")));
    }
    for n in 0..8 {
        s.wait_stdout(&format!("regs: k{n} seen: {:#x}", k_written(n, bw)));
    }
}

/// Writing rax and (with AVX) ymm1, which the program then finds in the
/// register; an inferior call; the program still runs to its exit code.
#[test]
fn write_registers_and_call_a_function() {
    let avx = cpu_flags().contains("avx");
    let mut cmds = vec![
        "set var $rax = 0x1234".to_string(),
        mark("rax"),
        "p/x $rax".to_string(),
    ];
    if avx {
        cmds.extend([
            "set var $ymm1.v8_int32 = {1,2,3,4,5,6,7,8}".to_string(),
            mark("ymm1"),
            "p $ymm1.v8_int32".to_string(),
        ]);
    }
    cmds.extend([
        mark("call"),
        "print f(5)".to_string(),
        // The call leaves the registers as they were.
        mark("rax-after"),
        "p/x $rax".to_string(),
    ]);
    if avx {
        cmds.extend([mark("ymm1-after"), "p $ymm1.v8_int32".to_string()]);
    }
    let s = at_regs_here(cmds, true);
    assert_eq!(
        value_of(&s, "rax"),
        "0x1234",
        "$rax should read back as written\n{}",
        s.dump()
    );
    assert_eq!(
        value_of(&s, "call"),
        "28",
        "f(5) = 5 * 5 + 3 = 28\n{}",
        s.dump()
    );
    assert_eq!(
        value_of(&s, "rax-after"),
        "0x1234",
        "$rax should be restored after the inferior call\n{}",
        s.dump()
    );
    if avx {
        assert_eq!(
            value_of(&s, "ymm1"),
            "{1, 2, 3, 4, 5, 6, 7, 8}",
            "$ymm1 should read back as written\n{}",
            s.dump()
        );
        assert_eq!(
            value_of(&s, "ymm1-after"),
            "{1, 2, 3, 4, 5, 6, 7, 8}",
            "$ymm1 should be restored after the inferior call\n{}",
            s.dump()
        );
    }
    // The program itself found the written ymm1 in the register.
    if avx {
        s.wait_stdout("regs: ymm1 seen: 1 2 3 4 5 6 7 8");
    } else {
        s.wait_stdout("regs: no AVX");
    }
}

/// A 32-bit program: gdb sees an i386 target (eip, not rip), breaks,
/// backtraces, finishes with the returned value, and runs to the exit code.
#[test]
fn program_built_with_m32() {
    let f = fixture_m32("m32");
    let cmds = [
        mark("arch"),
        "show architecture".to_string(),
        "break square".to_string(),
        mark("hit"),
        "continue".to_string(),
        mark("bt"),
        "bt".to_string(),
        mark("eip"),
        "info registers eip".to_string(),
        mark("rip"),
        "info registers rip".to_string(),
        mark("ptr"),
        "p sizeof(void *)".to_string(),
        mark("finish"),
        "finish".to_string(),
        "delete".to_string(),
        mark("exit"),
        "continue".to_string(),
    ];
    let cmd_refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let s = debug_fixture(&f, &cmd_refs);

    assert!(
        s.section("arch").contains("i386"),
        "gdb should see an i386 target\n{}",
        s.dump()
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("Breakpoint 1, square (x=7) at ") && hit.contains(&f.at("square-body")),
        "continue should stop in square (x=7)\n{}",
        s.dump()
    );
    let bt = s.section("bt");
    assert!(
        bt.contains("#0  square (x=7) at ")
            && bt.contains(" in main () at ")
            && bt.contains(&f.at("call")),
        "bt should show square then main\n{}",
        s.dump()
    );
    let eip = s.section("eip");
    assert!(
        eip.lines()
            .any(|l| l.starts_with("eip") && l.contains("<square+")),
        "`info registers eip` should show eip in square\n{}",
        s.dump()
    );
    assert!(
        s.section("rip").contains("Invalid register `rip'"),
        "a 32-bit target has no rip\n{}",
        s.dump()
    );
    assert_eq!(
        value_of(&s, "ptr"),
        "4",
        "pointers are 4 bytes in a 32-bit program\n{}",
        s.dump()
    );
    let finish = s.section("finish");
    assert!(
        finish.contains("Value returned is $") && finish.contains(" = 49"),
        "finish should return 49 from square (7)\n{}",
        s.dump()
    );
    assert!(
        finish.contains(" in main () at "),
        "finish should return to main\n{}",
        s.dump()
    );
    s.expect_exited("exit", "011");
    s.wait_stderr("Child exited with status 9");
}

/// gdb reads no registers to show where the program stopped when it
/// connects: the `?` reply carries the frame registers, like every stop
/// reply (gdb used to send `g` right after it).
#[test]
fn connecting_reads_no_registers() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let args = gdb::args(
        Some(&f.exe),
        &[
            "set debug remote 1",
            &gdb::target_remote(server.port()),
            &mark("frame"),
            "frame",
        ],
    );
    let s = Session::run(server, gdb::batch(&args, None));
    let sent: Vec<&str> = s
        .output
        .lines()
        .filter(|l| l.contains("Sending packet: $g#") || l.contains("Sending packet: $p"))
        .collect();
    assert!(
        sent.is_empty(),
        "gdb read registers: {sent:?}\n{}",
        s.dump()
    );
    s.expect_in("frame", "_start");
}
