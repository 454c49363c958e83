//! The shared libraries a process has loaded, from the dynamic linker's own
//! lists: `r_debug` (found through the program's DT_DEBUG entry) and its
//! chain of `link_map`s, then, for each namespace `dlmopen` made, the next
//! `r_debug` (glibc's `r_debug_extended.r_next`, `r_version` 2) and its
//! chain; all read from the program's memory through the tracer. The model
//! gives the list; the protocol layer words it.

use super::tracer::MemoryReader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    pub name: String,
    /// Address of its `link_map`.
    pub lm: u64,
    /// Load bias.
    pub l_addr: u64,
    /// Address of its dynamic section.
    pub l_ld: u64,
    /// Its namespace: the address of the namespace's `r_debug`.
    pub lmid: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkMaps {
    /// The main program's `link_map` (first in the default namespace).
    pub main_lm: Option<u64>,
    /// Namespace by namespace, each in load order.
    pub libraries: Vec<Library>,
}

/// Where to read one namespace's list from, past what the client already
/// knows (gdb's incremental reads at the dynamic linker's probes): the
/// namespace, the first `link_map` to read and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFrom {
    pub lmid: u64,
    pub start: u64,
    pub prev: u64,
}

// The ELF and auxv values the walk looks for (the tests build images with them).
pub(super) const AT_PHDR: u64 = 3;
pub(super) const AT_PHNUM: u64 = 5;
pub(super) const PT_DYNAMIC: u32 = 2;
pub(super) const PT_PHDR: u32 = 6;
const DT_NULL: u64 = 0;
pub(super) const DT_DEBUG: u64 = 21;
/// Bounds against a corrupt chain in the program's memory.
const MAX_LIBRARIES: usize = 100_000;
const MAX_DYNAMIC: usize = 4096;
const MAX_NAMESPACES: usize = 256;

/// Reads of the program's memory in its own word size.
struct Words<'a, M: ?Sized> {
    mem: &'a mut M,
    /// 4 or 8 bytes.
    size: usize,
}

impl<M: MemoryReader + ?Sized> Words<'_, M> {
    fn at(&mut self, addr: u64) -> Option<u64> {
        let mut buf = [0u8; 8];
        let n = self.mem.read_memory(addr, &mut buf[..self.size]).ok()?;
        (n == self.size).then(|| u64::from_le_bytes(buf))
    }

    fn u32_at(&mut self, addr: u64) -> Option<u32> {
        let mut buf = [0u8; 4];
        (self.mem.read_memory(addr, &mut buf).ok()? == 4).then(|| u32::from_le_bytes(buf))
    }

    fn word(&self, n: u64) -> u64 {
        n * self.size as u64
    }

    fn c_string(&mut self, addr: u64) -> String {
        let mut buf = vec![0u8; 4096];
        let n = self.mem.read_memory(addr, &mut buf).unwrap_or(0);
        let end = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }
}

/// An auxv entry: pairs of words.
fn auxv_entry(auxv: &[u8], key: u64, word: usize) -> Option<u64> {
    let read = |bytes: &[u8]| {
        let mut buf = [0u8; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(buf)
    };
    auxv.chunks_exact(2 * word)
        .find_map(|pair| (read(&pair[..word]) == key).then(|| read(&pair[word..])))
}

/// Where the dynamic linker keeps `r_debug`; `None` for a static program,
/// or before the dynamic linker has filled in DT_DEBUG.
fn r_debug_address<M: MemoryReader + ?Sized>(mem: &mut Words<M>, auxv: &[u8]) -> Option<u64> {
    let phdr = auxv_entry(auxv, AT_PHDR, mem.size)?;
    let phnum = auxv_entry(auxv, AT_PHNUM, mem.size)?;
    // Elf64_Phdr: 56 bytes, p_vaddr at 16; Elf32_Phdr: 32 bytes, p_vaddr at 8.
    let (phent, vaddr_at) = if mem.size == 8 { (56, 16) } else { (32, 8) };
    let (mut bias, mut dynamic) = (None, None);
    for i in 0..phnum.min(256) {
        let entry = phdr + i * phent;
        let p_type = mem.u32_at(entry)?;
        let p_vaddr = mem.at(entry + vaddr_at)?;
        match p_type {
            PT_PHDR => bias = Some(phdr.wrapping_sub(p_vaddr)),
            PT_DYNAMIC => dynamic = Some(p_vaddr),
            _ => {}
        }
    }
    let dynamic = dynamic?.wrapping_add(bias.unwrap_or(0));
    // ElfN_Dyn: a tag word and a value word.
    for i in 0..MAX_DYNAMIC as u64 {
        let entry = dynamic + mem.word(2 * i);
        match mem.at(entry)? {
            DT_NULL => return None,
            DT_DEBUG => return mem.at(entry + mem.word(1)).filter(|&a| a != 0),
            _ => {}
        }
    }
    None
}

/// The loaded objects of every namespace, in load order, from the
/// program's memory, its auxiliary vector and its word size (4 or 8
/// bytes). Empty before the dynamic linker has set up its list (at the
/// first instruction) and for static programs.
pub fn link_maps<M: MemoryReader + ?Sized>(mem: &mut M, auxv: &[u8], word_size: usize) -> LinkMaps {
    let mut mem = Words {
        mem,
        size: word_size,
    };
    let mut maps = LinkMaps::default();
    let Some(mut r_debug) = r_debug_address(&mut mem, auxv) else {
        return maps;
    };
    let default = r_debug;
    for _ in 0..MAX_NAMESPACES {
        // struct r_debug { int r_version; struct link_map *r_map; r_brk;
        // r_state; r_ldbase } and, from version 2, `r_next`: the int is
        // padded to a word.
        let Some(version) = mem.u32_at(r_debug).filter(|&v| v >= 1) else {
            break;
        };
        let mut lm = mem.at(r_debug + mem.word(1)).unwrap_or(0);
        let mut prev = 0;
        if r_debug == default && lm != 0 {
            // The main program: told apart, not listed.
            maps.main_lm = Some(lm);
            prev = lm;
            lm = mem.at(lm + mem.word(3)).unwrap_or(0);
        }
        walk(&mut mem, r_debug, lm, prev, &mut maps.libraries);
        match mem.at(r_debug + mem.word(5)) {
            Some(next) if version >= 2 && next != 0 => r_debug = next,
            _ => break,
        }
    }
    maps
}

/// One namespace's objects from `from.start` on (the main program
/// included, if it is the start: the client asked for it).
pub fn link_maps_from<M: MemoryReader + ?Sized>(
    mem: &mut M,
    word_size: usize,
    from: ListFrom,
) -> LinkMaps {
    let mut mem = Words {
        mem,
        size: word_size,
    };
    let mut maps = LinkMaps::default();
    walk(
        &mut mem,
        from.lmid,
        from.start,
        from.prev,
        &mut maps.libraries,
    );
    maps
}

/// Follow a `link_map` chain from `lm`, whose `l_prev` must be `prev`,
/// adding the objects that have a name (the main program and the vdso
/// may have none).
fn walk<M: MemoryReader + ?Sized>(
    mem: &mut Words<M>,
    lmid: u64,
    mut lm: u64,
    mut prev: u64,
    out: &mut Vec<Library>,
) {
    while lm != 0 && out.len() < MAX_LIBRARIES {
        // struct link_map { l_addr, l_name, l_ld, l_next, l_prev }
        let (Some(l_addr), Some(l_name), Some(l_ld), Some(l_next), Some(l_prev)) = (
            mem.at(lm),
            mem.at(lm + mem.word(1)),
            mem.at(lm + mem.word(2)),
            mem.at(lm + mem.word(3)),
            mem.at(lm + mem.word(4)),
        ) else {
            break;
        };
        if l_prev != prev {
            log::warn!("corrupt link_map list at {lm:#x}: l_prev {l_prev:#x}, expected {prev:#x}");
            break;
        }
        let name = if l_name == 0 {
            String::new()
        } else {
            mem.c_string(l_name)
        };
        if !name.is_empty() {
            out.push(Library {
                name,
                lm,
                l_addr,
                l_ld,
                lmid,
            });
        }
        prev = lm;
        lm = l_next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::tracer::{LiveTracer, Tracer};
    use crate::sys::Tid;

    #[test]
    fn our_own_process_lists_libc() {
        // The test binary is dynamically linked: its list has libc.
        let mut tracer = LiveTracer::new(std::process::id() as Tid).unwrap();
        let auxv = tracer.auxv().unwrap();
        let maps = link_maps(&mut tracer, &auxv, 8);
        assert!(maps.main_lm.is_some());
        assert!(
            maps.libraries.iter().any(|l| l.name.contains("libc.so")),
            "{maps:?}"
        );
    }
}
