//! The target description (`qXfer:features:read:target.xml`), made for
//! this host's register features.

use super::DebugTarget;
use crate::arch::x86_64::{target_description, Features};
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
        static XML: OnceLock<String> = OnceLock::new();
        let xml = XML
            .get_or_init(|| target_description(Features::host()))
            .as_bytes();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(xml.len());
        let n = (xml.len() - start).min(length).min(buf.len());
        buf[..n].copy_from_slice(&xml[start..start + n]);
        Ok(n)
    }
}
