//! x86 debug registers: four address slots (DR0-DR3) and their control
//! word (DR7), shared out among hardware breakpoints and watchpoints.
//! A watched region that is not one aligned 1/2/4/8-byte unit takes
//! several slots, as many as its aligned pieces.

/// What a slot fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwKind {
    /// Executing the instruction at the address (`hbreak`).
    Execute,
    /// Writing (`watch`).
    Write,
    /// Reading or writing (`awatch`; x86 cannot watch reads alone).
    Access,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    addr: u64,
    len: u8,
    kind: HwKind,
    /// The region the client asked for, which this slot is a piece of.
    region: (u64, u64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebugRegisters {
    slots: [Option<Slot>; 4],
}

/// Why a region cannot be watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwError {
    /// All four slots are taken.
    NoSlots,
    /// Zero length, or an instruction breakpoint on more than one byte.
    BadLength,
}

/// Cut `[addr, addr+len)` into naturally aligned pieces of 8, 4, 2 or 1 bytes.
fn aligned_pieces(addr: u64, len: u64) -> Vec<(u64, u8)> {
    let mut pieces = Vec::new();
    let (mut at, end) = (addr, addr.saturating_add(len));
    while at < end {
        let size = [8u64, 4, 2, 1]
            .into_iter()
            .find(|&size| at % size == 0 && at + size <= end)
            .unwrap_or(1);
        pieces.push((at, size as u8));
        at += size;
    }
    pieces
}

impl DebugRegisters {
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Take slots for a region; all or nothing.
    pub fn insert(&mut self, addr: u64, len: u64, kind: HwKind) -> Result<(), HwError> {
        if len == 0 || (kind == HwKind::Execute && len != 1) || len > 4 * 8 {
            return Err(HwError::BadLength);
        }
        let pieces = aligned_pieces(addr, len);
        let free: Vec<usize> = (0..4).filter(|&i| self.slots[i].is_none()).collect();
        if pieces.len() > free.len() {
            return Err(HwError::NoSlots);
        }
        let region = (addr, len);
        for ((at, size), slot) in pieces.into_iter().zip(free) {
            self.slots[slot] = Some(Slot {
                addr: at,
                len: size,
                kind,
                region,
            });
        }
        Ok(())
    }

    /// Free the slots of a region; `false` if there was no such region.
    pub fn remove(&mut self, addr: u64, len: u64, kind: HwKind) -> bool {
        let mut found = false;
        for slot in &mut self.slots {
            if slot.is_some_and(|s| s.region == (addr, len) && s.kind == kind) {
                *slot = None;
                found = true;
            }
        }
        found
    }

    /// DR0-DR3.
    pub fn addresses(&self) -> [u64; 4] {
        self.slots.map(|s| s.map_or(0, |s| s.addr))
    }

    /// DR7: a local-enable bit per used slot, with its condition and length.
    pub fn control(&self) -> u64 {
        let mut dr7 = 0u64;
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let rw: u64 = match slot.kind {
                HwKind::Execute => 0b00,
                HwKind::Write => 0b01,
                HwKind::Access => 0b11,
            };
            let len: u64 = match slot.len {
                1 => 0b00,
                2 => 0b01,
                8 => 0b10,
                _ => 0b11,
            };
            dr7 |= 1 << (2 * i);
            dr7 |= (rw | (len << 2)) << (16 + 4 * i);
        }
        dr7
    }

    /// The region (start, kind) whose slot fired, from DR6's low bits.
    pub fn hit(&self, dr6: u64) -> Option<(u64, HwKind)> {
        (0..4)
            .filter(|i| dr6 & (1 << i) != 0)
            .find_map(|i| self.slots[i].map(|s| (s.region.0, s.kind)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_split_into_aligned_pieces() {
        assert_eq!(aligned_pieces(0x1000, 8), vec![(0x1000, 8)]);
        assert_eq!(
            aligned_pieces(0x1003, 6),
            vec![(0x1003, 1), (0x1004, 4), (0x1008, 1)]
        );
        assert_eq!(aligned_pieces(0x1002, 2), vec![(0x1002, 2)]);
    }

    #[test]
    fn control_word_and_slots() {
        let mut dr = DebugRegisters::default();
        dr.insert(0x1000, 4, HwKind::Write).unwrap();
        dr.insert(0x2000, 1, HwKind::Execute).unwrap();
        // slot 0: enable, RW=01, LEN=11; slot 1: enable, RW=00, LEN=00
        assert_eq!(dr.control(), 0b1 | 0b100 | (0b1101 << 16));
        assert_eq!(dr.addresses(), [0x1000, 0x2000, 0, 0]);
        assert_eq!(dr.hit(0b10), Some((0x2000, HwKind::Execute)));
        assert_eq!(dr.insert(0x3001, 8, HwKind::Access), Err(HwError::NoSlots));
        assert!(!dr.is_empty() && dr.slots[2].is_none(), "all or nothing");
        assert_eq!(
            dr.insert(0x4000, 2, HwKind::Execute),
            Err(HwError::BadLength)
        );
        assert!(dr.remove(0x1000, 4, HwKind::Write));
        assert!(!dr.remove(0x1000, 4, HwKind::Write));
        assert_eq!(dr.control(), 0b100);
    }
}
