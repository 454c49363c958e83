//! The status lines the server prints on stderr, as gdbserver does: IDEs
//! and scripts wait for them (`Listening on port N`, `Process P created;
//! pid = N`, `Child exited with status N`...). Any layer may print one.

use std::io::Write;

/// Print one line, whole, in one write (Rust's stderr is unbuffered and
/// would write a formatted line in pieces, which a reader can catch
/// half-written).
pub fn say(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Where what the program's breakpoints print (a dprintf run in the
/// server) goes: stdout, as gdbserver's, unless the protocol runs over it.
static PROGRAM_OUTPUT_TO_STDERR: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Send breakpoint output to stderr (the protocol runs over stdout).
pub fn program_output_to_stderr() {
    PROGRAM_OUTPUT_TO_STDERR.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// What a breakpoint printed (a dprintf's text), whole, in one write.
pub fn program_output(text: &[u8]) {
    if text.is_empty() {
        return;
    }
    let _ = if PROGRAM_OUTPUT_TO_STDERR.load(std::sync::atomic::Ordering::Relaxed) {
        std::io::stderr().write_all(text)
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text).and_then(|()| out.flush())
    };
}
