//! Software breakpoints: the `int3` bytes we put in the program's code and
//! the original bytes they hide.

use std::collections::BTreeMap;

pub const INT3: u8 = 0xcc;

#[derive(Debug, Default)]
pub struct Breakpoints {
    /// Address -> the original byte under our `int3`.
    inserted: BTreeMap<u64, u8>,
}

impl Breakpoints {
    pub fn contains(&self, addr: u64) -> bool {
        self.inserted.contains_key(&addr)
    }

    pub fn original(&self, addr: u64) -> Option<u8> {
        self.inserted.get(&addr).copied()
    }

    pub fn add(&mut self, addr: u64, original: u8) {
        self.inserted.insert(addr, original);
    }

    pub fn remove(&mut self, addr: u64) -> Option<u8> {
        self.inserted.remove(&addr)
    }

    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty()
    }

    /// Every inserted breakpoint with its original byte.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u8)> + '_ {
        self.inserted.iter().map(|(&a, &b)| (a, b))
    }

    /// Replace our `int3`s in `buf` (read from `addr`) by the bytes they
    /// hide, so the client never sees them.
    pub fn hide_in(&self, addr: u64, buf: &mut [u8]) {
        let end = addr.saturating_add(buf.len() as u64);
        for (&bp, &original) in self.inserted.range(addr..end) {
            buf[(bp - addr) as usize] = original;
        }
    }

    /// Before `data` is written at `addr`: remember the new bytes as the
    /// originals and keep our `int3`s in what actually gets written.
    pub fn write_through(&mut self, addr: u64, data: &mut [u8]) {
        let end = addr.saturating_add(data.len() as u64);
        for (&bp, original) in self.inserted.range_mut(addr..end) {
            let i = (bp - addr) as usize;
            *original = data[i];
            data[i] = INT3;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hide_and_writes_keep_int3() {
        let mut bps = Breakpoints::default();
        bps.add(0x1002, 0x55);
        let mut buf = [INT3; 4];
        bps.hide_in(0x1000, &mut buf);
        assert_eq!(buf, [INT3, INT3, 0x55, INT3]);
        let mut data = [1, 2, 3, 4];
        bps.write_through(0x1000, &mut data);
        assert_eq!(data, [1, 2, INT3, 4]);
        assert_eq!(bps.original(0x1002), Some(3));
    }
}
