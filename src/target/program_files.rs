//! What gdb needs to find the program's files without a local copy, as
//! whole documents our layer serves in slices (front.rs answers the
//! `qXfer` reads itself: gdbstub would take an extra round trip for each
//! document, even one that fits in a single reply):
//! `qXfer:exec-file` (the executable's path), `qXfer:auxv` (where a PIE is
//! loaded), `qXfer:libraries-svr4` (the loaded libraries).

use super::front::Dialect;
use super::DebugTarget;
use crate::inferior::LinkMaps;
use crate::sys::procfs;
use std::os::unix::ffi::OsStrExt;

impl DebugTarget {
    fn current_pid(&mut self) -> Option<i32> {
        self.inferior().map(|i| i.process.pid())
    }

    /// The path of process `pid` (hex; empty: the current one).
    pub(super) fn exec_file_document(&mut self, pid_annex: &[u8]) -> Option<Vec<u8>> {
        let pid = match std::str::from_utf8(pid_annex).ok()? {
            "" => self.current_pid()?,
            hex => i32::from_str_radix(hex, 16).ok()?,
        };
        let path = procfs::exe_path(pid).ok()?;
        Some(path.as_os_str().as_bytes().to_vec())
    }

    pub(super) fn auxv_document(&mut self) -> Option<Vec<u8>> {
        procfs::auxv(self.current_pid()?).ok()
    }

    /// For lldb: no document (an error) until the dynamic linker has set
    /// up its list, as lldb-server does, and no `main-lm`, which lldb takes
    /// for the address of the pointer to `r_debug`.
    pub(super) fn libraries_document(&mut self, dialect: Dialect) -> Option<Vec<u8>> {
        let mut maps = self.inferior()?.process.link_maps();
        if dialect == Dialect::Lldb {
            maps.main_lm.take()?;
        }
        Some(libraries_xml(&maps).into_bytes())
    }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The `qXfer:libraries-svr4:read` document.
fn libraries_xml(maps: &LinkMaps) -> String {
    let mut xml = String::from("<library-list-svr4 version=\"1.0\"");
    if let Some(main) = maps.main_lm {
        xml.push_str(&format!(" main-lm=\"{main:#x}\""));
    }
    xml.push('>');
    for lib in &maps.libraries {
        xml.push_str(&format!(
            // lmid: the link-map namespace; all in the default one.
            "<library name=\"{}\" lm=\"{:#x}\" l_addr=\"{:#x}\" l_ld=\"{:#x}\" lmid=\"0x0\"/>",
            xml_escape(&lib.name),
            lib.lm,
            lib.l_addr,
            lib.l_ld
        ));
    }
    xml.push_str("</library-list-svr4>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::Library;

    #[test]
    fn xml_lists_libraries_escaped() {
        let maps = LinkMaps {
            main_lm: Some(0x1000),
            libraries: vec![Library {
                name: "/lib/a&b.so".into(),
                lm: 0x2000,
                l_addr: 0x7f00,
                l_ld: 0x7f10,
            }],
        };
        assert_eq!(
            libraries_xml(&maps),
            "<library-list-svr4 version=\"1.0\" main-lm=\"0x1000\"><library name=\"/lib/a&amp;b.so\" lm=\"0x2000\" l_addr=\"0x7f00\" l_ld=\"0x7f10\" lmid=\"0x0\"/></library-list-svr4>"
        );
    }
}
