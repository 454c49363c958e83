//! Requests that look at a whole range of the program's memory and answer
//! in a few bytes: `qCRC` (gdb's `compare-sections`) and `qSearch:memory`
//! (gdb's `find`). Each reads the range once, in large chunks, as the
//! program sees it (our breakpoints hidden), instead of gdb reading it all
//! through the connection.

use super::codec::Refusal;
use super::debug_target::DebugTarget;

/// How much memory is read at once.
const CHUNK: usize = 64 * 1024;

/// gdb's CRC for `compare-sections`: CRC-32 with the polynomial
/// 0x04c11db7, most significant bit first, no final xor.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc32(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ byte)];
    }
    crc
}

/// `qCRC:ADDR,LEN`: `C` and the CRC of the range (from 0xffffffff, as gdb
/// starts its own); an error if any of it cannot be read.
pub fn crc(target: &mut DebugTarget, addr: u64, len: u64) -> Result<Vec<u8>, Refusal> {
    let process = target.process()?;
    let mut crc = 0xffff_ffff;
    let mut buf = vec![0u8; CHUNK];
    let mut at = addr;
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
        let n = process.read_memory(at, &mut buf[..want])?;
        if n == 0 {
            return Err(Refusal::Failed);
        }
        crc = crc32(crc, &buf[..n]);
        at = at.wrapping_add(n as u64);
        left -= n as u64;
    }
    Ok(format!("C{crc:x}").into_bytes())
}

/// `qSearch:memory:ADDR;LEN;PATTERN`: `1,ADDR` for the first place in the
/// range where the pattern lies whole, `0` if none; an error if memory
/// before a match cannot be read.
pub fn search(
    target: &mut DebugTarget,
    addr: u64,
    len: u64,
    pattern: &[u8],
) -> Result<Vec<u8>, Refusal> {
    let process = target.process()?;
    let end = addr.saturating_add(len);
    // The bytes read and not yet ruled out, from `start`: a chunk, and the
    // end of the one before it where a match may begin.
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + pattern.len());
    let mut start = addr;
    let mut next = addr;
    loop {
        if let Some(i) = find(&window, pattern) {
            return Ok(format!("1,{:x}", start + i as u64).into_bytes());
        }
        if next >= end {
            return Ok(b"0".to_vec());
        }
        let keep = window.len().min(pattern.len().saturating_sub(1));
        start += (window.len() - keep) as u64;
        window.drain(..window.len() - keep);
        let want = usize::try_from(end - next).map_or(CHUNK, |l| l.min(CHUNK));
        let old = window.len();
        window.resize(old + want, 0);
        let n = process.read_memory(next, &mut window[old..])?;
        window.truncate(old + n);
        if n == 0 {
            return Err(Refusal::Failed);
        }
        next += n as u64;
    }
}

/// Where `pattern` first lies whole in `haystack` (an empty one: at once).
fn find(haystack: &[u8], pattern: &[u8]) -> Option<usize> {
    let Some((&first, _)) = pattern.split_first() else {
        return Some(0);
    };
    let last_start = haystack.len().checked_sub(pattern.len())?;
    (0..=last_start).find(|&i| haystack[i] == first && haystack[i..].starts_with(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_gdbs() {
        // The CRC-32/MPEG-2 check value: gdb's xcrc32 from 0xffffffff.
        assert_eq!(crc32(0xffff_ffff, b"123456789"), 0x0376_e6e7);
        assert_eq!(crc32(0xffff_ffff, b""), 0xffff_ffff);
    }

    #[test]
    fn patterns_are_found_whole() {
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"abcab", b"abd"), None);
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"xyz", b""), Some(0));
    }
}
