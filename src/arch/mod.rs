//! Register layouts: the kernel's register sets <-> GDB's register numbering,
//! and the target description that tells the client that numbering.

pub mod x86_64;
