//! The printf opcode's format, as gdbserver prints it: gdb sends the format
//! as the user typed it between the quotes of `dprintf` (escapes such as
//! `\n` still two characters) and gdbserver's printf undoes the escapes,
//! splits the format at its conversions and prints each with C's printf.
//! Here the format is parsed once, when the program is, into literal
//! pieces and conversions; a hit only formats numbers and copies strings.
//!
//! Conversions gdbserver prints: `d i u o x X` (with `h`, `l`, `ll`, `z`),
//! `c` and `s`, with C's flags `0 - + space #`, width and precision;
//! `%%`. gdb refuses `*` and `%n`; gdbserver refuses floating point, `%p`,
//! `%lc` and `%ls`. All of these are rejected at parse time here.

use super::error::{Fault, FormatError};
use super::limits::MAX_OUTPUT;
use super::machine::Machine;

/// A parsed format: what to print, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Format {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Convert(Spec),
}

/// One conversion: `%[flags][width][.precision][length]conversion`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    kind: Kind,
    size: Size,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Signed,
    Unsigned(Radix),
    Char,
    Str,
}

/// The C type an integer argument is printed as (gdbserver passes an
/// `int`, `long`, `long long` or `size_t`; `h` then narrows to a short).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Size {
    Short,
    #[default]
    Int,
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Radix {
    Octal,
    Decimal,
    Hex,
    HexUpper,
}

impl Format {
    /// Parse `text`, the format's bytes before its NUL, for a printf that
    /// passes `nargs` arguments.
    pub(super) fn parse(text: &[u8], nargs: u8) -> Result<Format, FormatError> {
        let text = unescape(text)?;
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while let Some(&c) = text.get(i) {
            i += 1;
            if c != b'%' {
                literal.push(c);
            } else if text.get(i) == Some(&b'%') {
                literal.push(b'%');
                i += 1;
            } else {
                let (spec, next) = parse_spec(&text, i)?;
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Convert(spec));
                i = next;
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        let wanted = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Convert(_)))
            .count();
        if wanted != usize::from(nargs) {
            return Err(FormatError::ArgumentCount {
                wanted,
                given: nargs,
            });
        }
        Ok(Format { pieces })
    }

    /// Print with `args` as they lie on the stack: gdb pushes the last
    /// argument first, so the first argument is the last entry.
    pub(super) fn render<M: Machine + ?Sized>(
        &self,
        args: &[u64],
        machine: &mut M,
        out: &mut Output,
    ) -> Result<(), Fault> {
        let mut args = args.iter().rev();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.write(bytes)?,
                Piece::Convert(spec) => {
                    // parse() matched the conversions to the count.
                    let value = args.next().copied().unwrap_or_default();
                    spec.render(value, machine, out)?;
                }
            }
        }
        Ok(())
    }
}

/// The format with its C escapes undone; it ends at an unescaped `"`, as
/// in gdbserver (the quote that closed it in the user's command).
fn unescape(text: &[u8]) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().copied();
    while let Some(c) = bytes.next() {
        match c {
            b'"' => break,
            b'\\' => out.push(match bytes.next().unwrap_or(0) {
                b'\\' => b'\\',
                b'a' => 0x07,
                b'b' => 0x08,
                b'e' => 0x1b,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                b'"' => b'"',
                other => return Err(FormatError::BadEscape(other)),
            }),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The digits at `text[i..]`, saturated, and where they end.
fn number(text: &[u8], mut i: usize) -> (usize, usize) {
    let mut n = 0usize;
    while let Some(d) = text.get(i).filter(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
        i += 1;
    }
    (n, i)
}

/// The conversion after a `%` at `text[i..]`, and where it ends. Which
/// modifiers go with which conversion is gdb's rule (C89's).
fn parse_spec(text: &[u8], mut i: usize) -> Result<(Spec, usize), FormatError> {
    let mut spec = Spec::default();
    while let Some(&c) = text.get(i).filter(|c| b"0-+ #".contains(c)) {
        match c {
            b'0' => spec.zero = true,
            b'-' => spec.left = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            _ => spec.alt = true,
        }
        i += 1;
    }
    (spec.width, i) = number(text, i);
    if text.get(i) == Some(&b'.') {
        let (precision, next) = number(text, i + 1);
        spec.precision = Some(precision);
        i = next;
    }
    let (mut longs, mut short, mut size_t, mut long_double) = (0, false, false, false);
    match text.get(i) {
        Some(b'h') => short = true,
        Some(b'l') if text.get(i + 1) == Some(&b'l') => longs = 2,
        Some(b'l') => longs = 1,
        Some(b'z') => size_t = true,
        Some(b'L') => long_double = true,
        _ => {}
    }
    i += longs + usize::from(short || size_t || long_double);
    let conversion = *text.get(i).ok_or(FormatError::Incomplete)?;
    let (kind, bad) = match conversion {
        b'd' | b'i' => (Kind::Signed, long_double),
        b'u' => (
            Kind::Unsigned(Radix::Decimal),
            spec.alt || spec.space || spec.plus || long_double,
        ),
        b'o' | b'x' | b'X' => {
            let radix = match conversion {
                b'o' => Radix::Octal,
                b'x' => Radix::Hex,
                _ => Radix::HexUpper,
            };
            (
                Kind::Unsigned(radix),
                spec.space || spec.plus || long_double,
            )
        }
        b'c' => (
            Kind::Char,
            longs > 1
                || short
                || long_double
                || spec.precision.is_some()
                || spec.zero
                || spec.space
                || spec.plus,
        ),
        b's' => (
            Kind::Str,
            longs > 1 || short || long_double || spec.zero || spec.space || spec.plus,
        ),
        b'p' | b'e' | b'f' | b'g' | b'E' | b'G' => return Err(FormatError::NotInAgent(conversion)),
        b'*' => return Err(FormatError::Star),
        b'n' => return Err(FormatError::PercentN),
        _ => return Err(FormatError::Unrecognized(conversion)),
    };
    if bad || (size_t && matches!(kind, Kind::Char | Kind::Str)) {
        return Err(FormatError::BadModifiers(conversion));
    }
    // %lc and %ls are wide: gdb takes them, gdbserver's printf does not.
    if longs == 1 && matches!(kind, Kind::Char | Kind::Str) {
        return Err(FormatError::NotInAgent(conversion));
    }
    spec.kind = kind;
    spec.size = match (short, longs > 0 || size_t) {
        (true, _) => Size::Short,
        (_, true) => Size::Long,
        _ => Size::Int,
    };
    Ok((spec, i + 1))
}

impl Size {
    fn signed(self, value: u64) -> i64 {
        match self {
            Size::Short => i64::from(value as i16),
            Size::Int => i64::from(value as i32),
            Size::Long => value as i64,
        }
    }

    fn unsigned(self, value: u64) -> u64 {
        match self {
            Size::Short => u64::from(value as u16),
            Size::Int => u64::from(value as u32),
            Size::Long => value,
        }
    }
}

impl Spec {
    fn render<M: Machine + ?Sized>(
        &self,
        value: u64,
        machine: &mut M,
        out: &mut Output,
    ) -> Result<(), Fault> {
        match self.kind {
            Kind::Signed | Kind::Unsigned(_) => self.integer(value, out),
            // C's %c prints its int argument as an unsigned char.
            Kind::Char => self.justify(out, |out| out.write(&[value as u8])),
            Kind::Str => self.justify(out, |out| {
                let most = self.precision.unwrap_or(usize::MAX);
                if value == 0 {
                    // gdbserver prints a null pointer as this string.
                    let null = b"(null)";
                    out.write(&null[..most.min(null.len())])
                } else {
                    out.append_string(machine, value, most)
                }
            }),
        }
    }

    /// An integer as C's printf prints it: sign or `0x` prefix, zeros up
    /// to the precision (or, with the `0` flag, to the width), digits.
    fn integer(&self, value: u64, out: &mut Output) -> Result<(), Fault> {
        let (negative, magnitude, radix) = match self.kind {
            Kind::Unsigned(radix) => (false, self.size.unsigned(value), radix),
            _ => {
                let v = self.size.signed(value);
                (v < 0, v.unsigned_abs(), Radix::Decimal)
            }
        };
        let mut buf = [0u8; 22];
        // A zero precision prints no digits for zero.
        let digits = match (magnitude, self.precision) {
            (0, Some(0)) => &[][..],
            _ => digits(magnitude, radix, &mut buf),
        };
        let mut zeros = self.precision.unwrap_or(1).saturating_sub(digits.len());
        // `#o` makes the first digit a 0.
        if self.alt && radix == Radix::Octal && zeros == 0 && digits.first() != Some(&b'0') {
            zeros = 1;
        }
        let prefix: &[u8] = match (negative, radix) {
            (true, _) => b"-",
            _ if self.plus => b"+",
            _ if self.space => b" ",
            (_, Radix::Hex) if self.alt && magnitude != 0 => b"0x",
            (_, Radix::HexUpper) if self.alt && magnitude != 0 => b"0X",
            _ => b"",
        };
        if self.zero && !self.left && self.precision.is_none() {
            let used = prefix.len() + zeros + digits.len();
            zeros += self.width.saturating_sub(used);
        }
        self.justify(out, |out| {
            out.write(prefix)?;
            out.pad(b'0', zeros)?;
            out.write(digits)
        })
    }

    /// Print `body`, then pad it with spaces to the width: after it with
    /// the `-` flag, else before it.
    fn justify(
        &self,
        out: &mut Output,
        body: impl FnOnce(&mut Output) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        let start = out.buf.len();
        body(out)?;
        let pad = self.width.saturating_sub(out.buf.len() - start);
        out.pad(b' ', pad)?;
        if !self.left {
            out.buf[start..].rotate_right(pad);
        }
        Ok(())
    }
}

/// The digits of `n` in `radix`, written at the end of `buf`.
fn digits(mut n: u64, radix: Radix, buf: &mut [u8; 22]) -> &[u8] {
    let (base, table): (u64, &[u8; 16]) = match radix {
        Radix::Octal => (8, b"0123456789abcdef"),
        Radix::Decimal => (10, b"0123456789abcdef"),
        Radix::Hex => (16, b"0123456789abcdef"),
        Radix::HexUpper => (16, b"0123456789ABCDEF"),
    };
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = table[(n % base) as usize];
        n /= base;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Where printf prints: the caller's buffer, appended to, and at most
/// `MAX_OUTPUT` bytes more per evaluation. Growing a buffer the caller
/// reuses allocates nothing once it is large enough.
pub(super) struct Output<'a> {
    buf: &'a mut Vec<u8>,
    limit: usize,
}

/// Strings are read in chunks that never cross a multiple of this: pages
/// are multiples of it, so a chunk is readable whole or not at all, and a
/// string that ends just before an unreadable page reads fine.
const CHUNK: u64 = 256;

impl<'a> Output<'a> {
    pub(super) fn new(buf: &'a mut Vec<u8>) -> Output<'a> {
        let limit = buf.len().saturating_add(MAX_OUTPUT);
        Output { buf, limit }
    }

    fn room(&self) -> usize {
        self.limit - self.buf.len()
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Fault> {
        if bytes.len() > self.room() {
            return Err(Fault::OutputTooLong);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn pad(&mut self, byte: u8, count: usize) -> Result<(), Fault> {
        if count > self.room() {
            return Err(Fault::OutputTooLong);
        }
        self.buf.resize(self.buf.len() + count, byte);
        Ok(())
    }

    /// Append the NUL-terminated string at `addr`, at most `most` bytes of
    /// it, read straight into the buffer.
    fn append_string<M: Machine + ?Sized>(
        &mut self,
        machine: &mut M,
        mut addr: u64,
        most: usize,
    ) -> Result<(), Fault> {
        let start = self.buf.len();
        loop {
            let wanted = most - (self.buf.len() - start);
            if wanted == 0 {
                return Ok(());
            }
            if self.room() == 0 {
                return Err(Fault::OutputTooLong);
            }
            let chunk = ((CHUNK - addr % CHUNK) as usize)
                .min(wanted)
                .min(self.room());
            let old = self.buf.len();
            self.buf.resize(old + chunk, 0);
            if !machine.read_memory(addr, &mut self.buf[old..]) {
                self.buf.truncate(start);
                return Err(Fault::Memory { addr, len: chunk });
            }
            if let Some(nul) = self.buf[old..].iter().position(|&b| b == 0) {
                self.buf.truncate(old + nul);
                return Ok(());
            }
            addr = addr.wrapping_add(chunk as u64);
        }
    }
}
