//! Transfers through the server's own layer: `vFile:` (the host I/O gdb
//! reads the program with when it has no copy), and memory and file
//! transfers larger than gdbstub's packet buffer.

use std::fs;

use crate::support::fixtures::{fixture, TempDir};
use crate::support::rsp::{
    assert_usable, connect_as_gdb, continue_to_exit, hex_decode, hex_encode, is_error_reply,
    request, request_raw, unescape, RspClient,
};
use crate::support::server::{testing_gnu_gdbserver, Server};

#[test]
fn host_io_reads_the_program() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let exe = fs::canonicalize(&f.exe).expect("canonical fixture path");
    let exe_str = exe.to_str().expect("UTF-8 path");

    // Open the program, read its first 16 bytes, close.
    let open = request(
        &mut c,
        &server,
        &format!("vFile:open:{},0,0", hex_encode(exe_str.as_bytes())),
    );
    let fd = open
        .strip_prefix('F')
        .and_then(|n| i64::from_str_radix(n, 16).ok())
        .filter(|n| *n >= 0)
        .unwrap_or_else(|| {
            panic!(
                "vFile:open should give F<fd>, got {open:?}\n{}",
                server.dump()
            )
        });
    let pread = request_raw(&mut c, &server, &format!("vFile:pread:{fd:x},10,0"));
    let data = pread.strip_prefix(b"F10;").unwrap_or_else(|| {
        panic!(
            "vFile:pread of 16 bytes should give `F10;` and the data, got {:?}\n{}",
            String::from_utf8_lossy(&pread),
            server.dump()
        )
    });
    let data = unescape(data);
    let file = fs::read(&exe).expect("reading the fixture");
    assert_eq!(
        data,
        file[..16],
        "vFile:pread should return the file's first 16 bytes"
    );
    assert_eq!(&data[..4], b"\x7fELF", "the ELF magic");
    let close = request(&mut c, &server, &format!("vFile:close:{fd:x}"));
    assert_eq!(close, "F0", "vFile:close\n{}", server.dump());
    let closed = request(&mut c, &server, &format!("vFile:pread:{fd:x},10,0"));
    assert!(
        closed.starts_with("F-1"),
        "reading a closed fd should fail with F-1,errno, got {closed:?}\n{}",
        server.dump()
    );
    assert_usable(&mut c, &server, "vFile");
    continue_to_exit(&mut c, &server, 7);
}

/// Escapes binary data for a packet (`#`, `$`, `}`, `*`: `}` then xor 0x20).
fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for &b in data {
        if matches!(b, b'#' | b'$' | b'}' | b'*') {
            out.extend_from_slice(&[b'}', b ^ 0x20]);
        } else {
            out.push(b);
        }
    }
    out
}

/// Sends a packet with binary data after `head` and returns the reply.
fn request_binary(c: &mut RspClient, server: &Server, head: &str, data: &[u8]) -> String {
    let mut packet = head.as_bytes().to_vec();
    packet.extend_from_slice(&escape(data));
    let reply = c.send_packet(&packet).and_then(|()| c.read_reply());
    reply.unwrap_or_else(|e| panic!("{head}... failed: {e}\n{}", server.dump()))
}

/// The `F` result of a `vFile` reply, and what follows its `;`.
fn file_result<'r>(reply: &'r [u8], what: &str) -> (i64, &'r [u8]) {
    let text_end = reply.iter().position(|&b| b == b';').unwrap_or(reply.len());
    let number = std::str::from_utf8(&reply[..text_end])
        .ok()
        .and_then(|r| r.strip_prefix('F'))
        .and_then(|n| i64::from_str_radix(n, 16).ok())
        .unwrap_or_else(|| {
            panic!(
                "{what}: expected F<n>, got {:?}",
                String::from_utf8_lossy(reply)
            )
        });
    (number, reply.get(text_end + 1..).unwrap_or_default())
}

/// Memory and file transfers of 64 KiB, four times gdbstub's own packet
/// buffer: our layer answers them (`X`, `M`, `m`, `x`, `vFile:pread`,
/// `vFile:pwrite`), with data holding every byte value, escapes included.
#[test]
fn bulk_memory_and_file_transfers() {
    // GNU: gdbserver's PacketSize is about 16 KiB.
    let size = if testing_gnu_gdbserver() {
        0x1000
    } else {
        0x10000
    };
    let pattern = |seed: usize| -> Vec<u8> { (0..size).map(|i| (i * 7 + seed) as u8).collect() };
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);

    // Memory: below the stack pointer at the first instruction, inside the
    // initial stack mapping and not yet in use.
    let regs = hex_decode(&request(&mut c, &server, "g")).expect("g is hex");
    let rsp = u64::from_le_bytes(regs[7 * 8..8 * 8].try_into().unwrap());
    let addr = (rsp - 0x1000 - size as u64) & !0xfff;
    let data = pattern(1);
    let reply = request_binary(&mut c, &server, &format!("X{addr:x},{size:x}:"), &data);
    assert_eq!(reply, "OK", "X of {size:#x} bytes\n{}", server.dump());
    let back = hex_decode(&request(&mut c, &server, &format!("m{addr:x},{size:x}")));
    assert!(
        back.as_deref() == Some(&data[..]),
        "m reads back what X wrote"
    );

    let data = pattern(2);
    let reply = request(
        &mut c,
        &server,
        &format!("M{addr:x},{size:x}:{}", hex_encode(&data)),
    );
    assert_eq!(reply, "OK", "M of {size:#x} bytes\n{}", server.dump());
    // GNU: gdbserver 13 has no `x`.
    let back = if testing_gnu_gdbserver() {
        hex_decode(&request(&mut c, &server, &format!("m{addr:x},{size:x}")))
    } else {
        let reply = request_raw(&mut c, &server, &format!("x{addr:x},{size:x}"));
        reply.strip_prefix(b"b").map(unescape)
    };
    assert!(
        back.as_deref() == Some(&data[..]),
        "reading back what M wrote"
    );
    let short = request(&mut c, &server, &format!("M{addr:x},{size:x}:00"));
    // GNU: gdbserver writes the one byte it got.
    if !testing_gnu_gdbserver() {
        assert!(
            is_error_reply(&short),
            "M with less data than its length: {short:?}"
        );
    }

    // Files: read a large one (this test's own binary), write a new one.
    let exe = std::env::current_exe().expect("test binary path");
    let file = fs::read(&exe).expect("reading the test binary");
    assert!(file.len() > 0x1000 + size, "the test binary is large");
    let open = request(
        &mut c,
        &server,
        &format!(
            "vFile:open:{},0,0",
            hex_encode(exe.to_str().unwrap().as_bytes())
        ),
    );
    let (fd, _) = file_result(open.as_bytes(), "vFile:open");
    let pread = request_raw(
        &mut c,
        &server,
        &format!("vFile:pread:{fd:x},{size:x},1000"),
    );
    let (n, data) = file_result(&pread, "vFile:pread");
    assert_eq!(
        n, size as i64,
        "vFile:pread gives all {size:#x} bytes asked"
    );
    assert!(
        unescape(data) == file[0x1000..0x1000 + size],
        "vFile:pread data"
    );
    request(&mut c, &server, &format!("vFile:close:{fd:x}"));

    let dir = TempDir::new("pwrite");
    let path = dir.path().join("written");
    // gdb's flags: O_CREAT 0x200 | O_TRUNC 0x400 | O_WRONLY 1; mode 0600.
    let open = request(
        &mut c,
        &server,
        &format!(
            "vFile:open:{},601,180",
            hex_encode(path.to_str().unwrap().as_bytes())
        ),
    );
    let (fd, _) = file_result(open.as_bytes(), "vFile:open to write");
    assert!(fd >= 0, "vFile:open to write: {open:?}");
    let data = pattern(3);
    let reply = request_binary(&mut c, &server, &format!("vFile:pwrite:{fd:x},0,"), &data);
    assert_eq!(file_result(reply.as_bytes(), "vFile:pwrite").0, size as i64);
    request(&mut c, &server, &format!("vFile:close:{fd:x}"));
    assert!(
        fs::read(&path).ok() == Some(data),
        "the file holds what vFile:pwrite sent"
    );
    let closed = request(&mut c, &server, &format!("vFile:pwrite:{fd:x},0,00"));
    assert!(
        closed.starts_with("F-1,"),
        "pwrite to a closed fd: {closed:?}"
    );

    assert_usable(&mut c, &server, "bulk transfers");
    continue_to_exit(&mut c, &server, 7);
}
