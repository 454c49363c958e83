//! Whether a process runs 64-bit or 32-bit code, and what differs with it
//! beyond the register layout.

/// Whether the process runs 64-bit or 32-bit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Amd64,
    I386,
}

/// The code segment selector of 32-bit user code on x86_64 Linux.
pub(super) const USER32_CS: u64 = 0x23;

/// The GDB numbers and sizes of the frame pointer, stack pointer and pc,
/// which stop replies carry so that gdb need not ask for them.
pub fn frame_regnums(mode: Mode) -> [(usize, usize); 3] {
    match mode {
        Mode::Amd64 => [(6, 8), (7, 8), (16, 8)],
        Mode::I386 => [(5, 4), (4, 4), (8, 4)],
    }
}
