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
