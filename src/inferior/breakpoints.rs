//! Software breakpoints: the `int3` bytes we put in the program's code, the
//! original bytes they hide, and whether they are in memory at all (a vfork
//! child runs in our memory and must not meet them). The table writes the
//! program's memory itself, through the writer it is given, so the bytes in
//! memory and the table never disagree.

use super::tracer::{MemoryReader, MemoryWriter};
use crate::sys::Errno;
use std::collections::BTreeMap;

pub const INT3: u8 = 0xcc;

/// Where the breakpoints of the table are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Placement {
    /// Every `int3` is in memory (but the one a step-over lifts for a step).
    #[default]
    InMemory,
    /// Taken out while `children` (one or more) vfork children share the
    /// memory; breakpoints inserted meanwhile wait in the table, and all go
    /// in when the last child is done.
    LiftedForVfork { children: usize },
}

#[derive(Debug, Default, Clone)]
pub struct Breakpoints {
    /// Address -> the original byte under our `int3`.
    inserted: BTreeMap<u64, u8>,
    placement: Placement,
}

impl Breakpoints {
    pub fn contains(&self, addr: u64) -> bool {
        self.inserted.contains_key(&addr)
    }

    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty()
    }

    /// Every breakpoint with its original byte.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u8)> + '_ {
        self.inserted.iter().map(|(&a, &b)| (a, b))
    }

    pub fn addresses(&self) -> Vec<u64> {
        self.inserted.keys().copied().collect()
    }

    fn in_memory(&self) -> bool {
        self.placement == Placement::InMemory
    }

    fn set_placement(&mut self, new: Placement) {
        log::debug!("breakpoints: {:?} -> {new:?}", self.placement);
        self.placement = new;
    }

    /// Put an `int3` at `addr` (already there: nothing to do).
    pub fn insert(&mut self, mem: &mut impl MemoryWriter, addr: u64) -> Result<(), Errno> {
        if self.contains(addr) {
            return Ok(());
        }
        let mut original = [0u8];
        if mem.read_memory(addr, &mut original)? != 1 {
            return Err(Errno::EFAULT);
        }
        if self.in_memory() {
            mem.write_memory(addr, &[INT3])?;
        }
        self.inserted.insert(addr, original[0]);
        Ok(())
    }

    /// Take the breakpoint at `addr` out; `false` if there was none.
    pub fn remove(&mut self, mem: &mut impl MemoryWriter, addr: u64) -> Result<bool, Errno> {
        let Some(&original) = self.inserted.get(&addr) else {
            return Ok(false);
        };
        if self.in_memory() {
            mem.write_memory(addr, &[original])?;
        }
        self.inserted.remove(&addr);
        Ok(true)
    }

    /// Put the original byte back at `addr` for a step over it; the table
    /// keeps the breakpoint, and [`Breakpoints::reinsert`] puts it back.
    pub fn lift(&self, mem: &mut impl MemoryWriter, addr: u64) {
        if let Some(&original) = self.inserted.get(&addr) {
            if let Err(errno) = mem.write_memory(addr, &[original]) {
                log::warn!("cannot lift breakpoint at {addr:#x}: {errno}");
            }
        }
    }

    /// Put a lifted breakpoint back, if it is still wanted and the memory
    /// is ours alone.
    pub fn reinsert(&self, mem: &mut impl MemoryWriter, addr: u64) {
        if self.contains(addr) && self.in_memory() {
            if let Err(errno) = mem.write_memory(addr, &[INT3]) {
                log::warn!("cannot reinsert breakpoint at {addr:#x}: {errno}");
            }
        }
    }

    /// A vfork child now runs in the memory: take every `int3` out (the
    /// first child does; the others find them out already).
    pub fn lift_for_vfork(&mut self, mem: &mut impl MemoryWriter) {
        let children = match self.placement {
            Placement::InMemory => {
                for addr in self.addresses() {
                    self.lift(mem, addr);
                }
                1
            }
            Placement::LiftedForVfork { children } => children + 1,
        };
        self.set_placement(Placement::LiftedForVfork { children });
    }

    /// A vfork child has exec'd or exited: when it was the last, the memory
    /// is ours again and every breakpoint goes back in.
    pub fn vfork_done(&mut self, mem: &mut impl MemoryWriter) {
        match self.placement {
            Placement::InMemory => {}
            Placement::LiftedForVfork { children: 1 } => {
                self.set_placement(Placement::InMemory);
                for addr in self.addresses() {
                    self.reinsert(mem, addr);
                }
            }
            Placement::LiftedForVfork { children } => {
                self.set_placement(Placement::LiftedForVfork {
                    children: children - 1,
                })
            }
        }
    }

    /// Read program memory as the program sees it: our `int3`s hidden.
    pub fn read(
        &self,
        mem: &mut impl MemoryReader,
        addr: u64,
        buf: &mut [u8],
    ) -> Result<usize, Errno> {
        let n = mem.read_memory(addr, buf)?;
        self.hide_in(addr, &mut buf[..n]);
        Ok(n)
    }

    /// Write program memory; breakpoints inside the range stay inserted,
    /// with the new bytes as their originals (unless the write fails).
    pub fn write(
        &mut self,
        mem: &mut impl MemoryWriter,
        addr: u64,
        data: &[u8],
    ) -> Result<(), Errno> {
        let mut bytes = data.to_vec();
        let end = addr.saturating_add(data.len() as u64);
        let saved: Vec<(u64, u8)> = self
            .inserted
            .range(addr..end)
            .map(|(&a, &b)| (a, b))
            .collect();
        self.write_through(addr, &mut bytes);
        let result = mem.write_memory(addr, &bytes);
        if result.is_err() {
            // Nothing was written: the old originals still stand.
            self.inserted.extend(saved);
        }
        result
    }

    /// Replace our `int3`s in `buf` (read from `addr`) by the bytes they
    /// hide, so the client never sees them.
    fn hide_in(&self, addr: u64, buf: &mut [u8]) {
        let end = addr.saturating_add(buf.len() as u64);
        for (&bp, &original) in self.inserted.range(addr..end) {
            buf[(bp - addr) as usize] = original;
        }
    }

    /// Before `data` is written at `addr`: remember the new bytes as the
    /// originals and keep our `int3`s in what actually gets written (when
    /// they are in memory at all).
    fn write_through(&mut self, addr: u64, data: &mut [u8]) {
        let end = addr.saturating_add(data.len() as u64);
        let in_memory = self.in_memory();
        for (&bp, original) in self.inserted.range_mut(addr..end) {
            let i = (bp - addr) as usize;
            *original = data[i];
            if in_memory {
                data[i] = INT3;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory of 0x90s but for what was written, with one address that
    /// refuses writes.
    #[derive(Default)]
    struct Memory {
        bytes: BTreeMap<u64, u8>,
        read_only: Option<u64>,
    }

    impl Memory {
        fn at(&self, addr: u64) -> u8 {
            self.bytes.get(&addr).copied().unwrap_or(0x90)
        }
    }

    impl MemoryReader for Memory {
        fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            for (at, b) in (addr..).zip(buf.iter_mut()) {
                *b = self.at(at);
            }
            Ok(buf.len())
        }
    }

    impl MemoryWriter for Memory {
        fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
            let end = addr + data.len() as u64;
            if self.read_only.is_some_and(|ro| (addr..end).contains(&ro)) {
                return Err(Errno::EIO);
            }
            self.bytes.extend((addr..).zip(data.iter().copied()));
            Ok(())
        }
    }

    impl Breakpoints {
        fn add(&mut self, addr: u64, original: u8) {
            self.inserted.insert(addr, original);
        }

        fn original(&self, addr: u64) -> Option<u8> {
            self.inserted.get(&addr).copied()
        }
    }

    #[test]
    fn reads_hide_and_writes_keep_int3() {
        let mut mem = Memory::default();
        let mut bps = Breakpoints::default();
        bps.add(0x1002, 0x55);
        let mut buf = [INT3; 4];
        bps.hide_in(0x1000, &mut buf);
        assert_eq!(buf, [INT3, INT3, 0x55, INT3]);
        let mut data = [1, 2, 3, 4];
        bps.write_through(0x1000, &mut data);
        assert_eq!(data, [1, 2, INT3, 4]);
        assert_eq!(bps.original(0x1002), Some(3));
        // The same through the memory.
        bps.write(&mut mem, 0x1000, &[5, 6, 7, 8]).unwrap();
        assert_eq!(mem.at(0x1002), INT3);
        let mut buf = [0; 4];
        assert_eq!(bps.read(&mut mem, 0x1000, &mut buf), Ok(4));
        assert_eq!(buf, [5, 6, 7, 8]);
    }

    #[test]
    fn insert_lift_reinsert_remove() {
        let mut mem = Memory::default();
        let mut bps = Breakpoints::default();
        bps.insert(&mut mem, 0x10).unwrap();
        bps.insert(&mut mem, 0x10).unwrap();
        assert_eq!((mem.at(0x10), bps.original(0x10)), (INT3, Some(0x90)));
        bps.lift(&mut mem, 0x10);
        assert_eq!(mem.at(0x10), 0x90);
        bps.reinsert(&mut mem, 0x10);
        assert_eq!(mem.at(0x10), INT3);
        assert_eq!(bps.remove(&mut mem, 0x10), Ok(true));
        assert_eq!(bps.remove(&mut mem, 0x10), Ok(false));
        assert_eq!(mem.at(0x10), 0x90);
        assert!(bps.is_empty());
    }

    #[test]
    fn a_failed_write_keeps_the_old_originals() {
        let mut mem = Memory {
            read_only: Some(0x11),
            ..Memory::default()
        };
        let mut bps = Breakpoints::default();
        bps.insert(&mut mem, 0x10).unwrap();
        assert_eq!(bps.write(&mut mem, 0x10, &[1, 2]), Err(Errno::EIO));
        assert_eq!(bps.original(0x10), Some(0x90));
    }

    #[test]
    fn vfork_children_share_memory_without_int3s() {
        let mut mem = Memory::default();
        let mut bps = Breakpoints::default();
        bps.insert(&mut mem, 0x10).unwrap();
        bps.lift_for_vfork(&mut mem);
        bps.lift_for_vfork(&mut mem);
        assert_eq!(mem.at(0x10), 0x90, "lifted for the first child");
        // Meanwhile: inserted, stepped over, written to: all in the table only.
        bps.insert(&mut mem, 0x20).unwrap();
        bps.lift(&mut mem, 0x10);
        bps.reinsert(&mut mem, 0x10);
        bps.write(&mut mem, 0x20, &[0x41]).unwrap();
        assert_eq!((mem.at(0x10), mem.at(0x20)), (0x90, 0x41));
        bps.vfork_done(&mut mem);
        assert_eq!(mem.at(0x10), 0x90, "one child still runs");
        bps.vfork_done(&mut mem);
        assert_eq!((mem.at(0x10), mem.at(0x20)), (INT3, INT3));
        assert_eq!(bps.original(0x20), Some(0x41));
        // A removal now writes the original back.
        assert_eq!(bps.remove(&mut mem, 0x20), Ok(true));
        assert_eq!(mem.at(0x20), 0x41);
    }
}
