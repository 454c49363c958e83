//! Thread-local storage: the address of a module's TLS block in a thread,
//! for `qGetTLSAddr` (gdb 13 cannot find it itself without libthread_db).
//!
//! glibc (2.34 and later) describes its private layouts for debuggers in
//! libc's dynamic symbols `_thread_db_*`: each is three u32s (field size in
//! bits, element count, offset). With them: the module's id is in its
//! `link_map`, the thread's DTV hangs off its thread pointer (fs_base), and
//! the DTV entry for the id points at the block.

use super::libraries::LinkMaps;
use super::tracer::MemoryReader;
use std::path::Path;

/// Offsets of the fields the lookup needs, from libc's descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsLayout {
    /// `link_map.l_tls_modid`
    modid: u64,
    /// `link_map.l_tls_offset` (static TLS: the block is at tp - offset)
    tls_offset: u64,
    /// `struct pthread` -> its DTV pointer
    dtv_pointer: u64,
    /// `dtv_t.pointer.val`, and the size of one `dtv_t`
    dtv_val: u64,
    dtv_entry_size: u64,
}

fn read_u64<M: MemoryReader + ?Sized>(mem: &mut M, addr: u64) -> Option<u64> {
    let mut buf = [0u8; 8];
    (mem.read_memory(addr, &mut buf).ok()? == 8).then(|| u64::from_le_bytes(buf))
}

/// The descriptor at `addr`: (size in bits, count, offset).
fn descriptor<M: MemoryReader + ?Sized>(mem: &mut M, addr: u64) -> Option<(u32, u32, u32)> {
    let mut raw = [0u8; 12];
    if mem.read_memory(addr, &mut raw).ok()? != raw.len() {
        return None;
    }
    let word = |i: usize| u32::from_le_bytes(raw[4 * i..4 * i + 4].try_into().unwrap_or([0; 4]));
    Some((word(0), word(1), word(2)))
}

impl TlsLayout {
    /// Read the layout from the libc the process has loaded. `symbol`
    /// gives the value of a dynamic symbol in a library file, as linked.
    pub fn find<M: MemoryReader + ?Sized>(
        mem: &mut M,
        maps: &LinkMaps,
        symbol: impl Fn(&Path, &str) -> Option<u64>,
    ) -> Option<TlsLayout> {
        let libc = maps.libraries.iter().find(|l| {
            Path::new(&l.name)
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with("libc.so"))
        })?;
        let path = Path::new(&libc.name);
        let mut libc_descriptor = |name| {
            let addr = libc.l_addr.wrapping_add(symbol(path, name)?);
            descriptor(mem, addr)
        };
        let mut offset = |name| libc_descriptor(name).map(|(_, _, off)| u64::from(off));
        let modid = offset("_thread_db_link_map_l_tls_modid")?;
        let tls_offset = offset("_thread_db_link_map_l_tls_offset")?;
        let dtv_pointer = offset("_thread_db_pthread_dtvp")?;
        let dtv_val = offset("_thread_db_dtv_t_pointer_val")?;
        let (dtv_bits, _, _) = libc_descriptor("_thread_db_dtv_dtv")?;
        Some(TlsLayout {
            modid,
            tls_offset,
            dtv_pointer,
            dtv_val,
            // _thread_db_dtv_dtv describes the DTV as an array of dtv_t.
            dtv_entry_size: u64::from(dtv_bits / 8).max(16),
        })
    }

    /// The address of `offset` in the TLS block of the module whose
    /// `link_map` is `lm`, in the thread whose thread pointer is `tp`.
    pub fn address<M: MemoryReader + ?Sized>(
        &self,
        mem: &mut M,
        tp: u64,
        lm: u64,
        offset: u64,
    ) -> Option<u64> {
        let modid = read_u64(mem, lm + self.modid).filter(|&id| id != 0)?;
        let dtv = read_u64(mem, tp + self.dtv_pointer)?;
        let block = read_u64(mem, dtv + modid * self.dtv_entry_size + self.dtv_val);
        // -1: not allocated in this thread yet; static TLS sits below tp.
        let block = match block {
            Some(val) if val != u64::MAX && val != 0 => val,
            _ => {
                let static_offset = read_u64(mem, lm + self.tls_offset)?;
                if static_offset == 0 || static_offset == u64::MAX {
                    return None;
                }
                tp.wrapping_sub(static_offset)
            }
        };
        Some(block.wrapping_add(offset))
    }
}
