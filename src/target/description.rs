//! The target description (`qXfer:features:read:target.xml`), made for
//! this host's register features.

use super::DebugTarget;
use crate::arch::x86_64::{current_mode, target_description, Features, Mode};
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::{TargetError, TargetResult};
use std::sync::OnceLock;

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
        // One description per mode, made once.
        static XML: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
        let mode = current_mode();
        let xml = XML[usize::from(mode == Mode::I386)]
            .get_or_init(|| target_description(mode, Features::host()))
            .as_bytes();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
        let n = (xml.len() - start).min(length).min(buf.len());
        buf[..n].copy_from_slice(&xml[start..start + n]);
        Ok(n)
    }
}
