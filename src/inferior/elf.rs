//! Just enough ELF64 reading to look up a symbol in a library's dynamic
//! symbol table, from the file on disk.

use std::io;
use std::path::Path;

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

const SHT_DYNSYM: u32 = 11;

/// The value of dynamic symbol `name` in the ELF64 image `data` (as
/// linked: add the load bias), or `None` if it has no such symbol.
pub fn dynamic_symbol_in(data: &[u8], name: &str) -> Option<u64> {
    if data.get(..5)? != b"\x7fELF\x02" {
        return None; // not ELF64
    }
    let shoff = usize::try_from(u64_at(data, 0x28)?).ok()?;
    let shentsize = usize::from(u16_at(data, 0x3a)?);
    let shnum = usize::from(u16_at(data, 0x3c)?);
    let section = |i: usize| shoff.checked_add(i.checked_mul(shentsize)?);
    for i in 0..shnum {
        let sh = section(i)?;
        if u32_at(data, sh + 4)? != SHT_DYNSYM {
            continue;
        }
        let (sym_off, sym_size) = (
            u64_at(data, sh + 0x18)? as usize,
            u64_at(data, sh + 0x20)? as usize,
        );
        let strtab = section(u32_at(data, sh + 0x28)? as usize)?;
        let str_off = u64_at(data, strtab + 0x18)? as usize;
        for sym in (sym_off..sym_off.checked_add(sym_size)?).step_by(24) {
            let name_at = str_off.checked_add(u32_at(data, sym)? as usize)?;
            let rest = data.get(name_at..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            if &rest[..end] == name.as_bytes() {
                return u64_at(data, sym + 8);
            }
        }
    }
    None
}

/// [`dynamic_symbol_in`] for a file.
pub fn dynamic_symbol(path: &Path, name: &str) -> io::Result<Option<u64>> {
    Ok(dynamic_symbol_in(&std::fs::read(path)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_libc_symbols() {
        let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
        assert!(dynamic_symbol(libc, "malloc").unwrap().is_some());
        assert_eq!(
            dynamic_symbol(libc, "no_such_symbol_anywhere").unwrap(),
            None
        );
        assert_eq!(dynamic_symbol_in(b"not an elf file", "malloc"), None);
    }
}
