//! The target description (`qXfer:features:read:target.xml`), made for
//! this host's register features and for the client reading it. Our layer
//! serves it (front.rs); gdbstub's override is there so that gdbstub
//! offers `qXfer:features:read+`.

use super::front::Dialect;
use super::DebugTarget;
use crate::arch::x86_64::{current_mode, target_description, Features, Mode, Reader};
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::{TargetError, TargetResult};
use std::sync::OnceLock;

/// The description for the current process's mode, as `dialect` reads it.
/// One per mode and reader, made once.
pub fn description(dialect: Dialect) -> &'static [u8] {
    static XML: [OnceLock<String>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let mode = current_mode();
    let reader = match dialect {
        Dialect::Gdb => Reader::Gdb,
        Dialect::Lldb => Reader::Lldb,
    };
    let slot = 2 * usize::from(mode == Mode::I386) + usize::from(reader == Reader::Lldb);
    XML[slot]
        .get_or_init(|| target_description(mode, Features::host(), reader))
        .as_bytes()
}

impl TargetDescriptionXmlOverride for DebugTarget {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Err(TargetError::NonFatal);
        }
        let xml = description(Dialect::Gdb);
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
        let n = (xml.len() - start).min(length).min(buf.len());
        buf[..n].copy_from_slice(&xml[start..start + n]);
        Ok(n)
    }
}
