//! The documents of the `qXfer` reads we serve, each made whole and then
//! sliced (codec::qxfer): the target description, the thread list, the
//! executable's path, the auxv, the loaded libraries and a thread's
//! siginfo. What gdb needs to find the program's files without a local copy
//! comes from these: one round trip each when they fit in one reply.

use super::client::ClientProfile;
use super::codec::{self, Refusal};
use super::debug_target::DebugTarget;
use super::osdata;
use super::request::XferObject;
use crate::arch::x86_64::{target_description, Features, Mode, Reader};
use crate::inferior::{self, LinkMaps, ListFrom};
use crate::sys::Tid;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

/// The `qXfer` document `object` (the thread list comes from `threads`,
/// built once per read of it: gdb reads it in slices).
pub fn document(
    target: &mut DebugTarget,
    client: &ClientProfile,
    object: XferObject<'_>,
) -> Result<Vec<u8>, Refusal> {
    match object {
        XferObject::Features(b"target.xml") => {
            Ok(description(target.mode(), client.description_reader()).to_vec())
        }
        XferObject::Features(_) => Err(Refusal::Malformed),
        XferObject::Threads => Ok(threads(target, client)),
        XferObject::Siginfo => {
            let tid = target.selected_thread().ok_or(Refusal::NoProcess)?;
            Ok(target.process()?.siginfo(tid)?)
        }
        XferObject::ExecFile(annex) => {
            let pid = match annex {
                b"" => target.pid().ok_or(Refusal::NoProcess)?,
                hex => codec::number(hex)
                    .and_then(|pid| Tid::try_from(pid).ok())
                    .ok_or(Refusal::Malformed)?,
            };
            // gdb asks for a process's program before it attaches to it.
            let path = match target.process_by_pid(pid) {
                Ok(process) => process.executable_path()?,
                Err(_) => inferior::executable_of(pid)?,
            };
            Ok(path.as_os_str().as_bytes().to_vec())
        }
        XferObject::Auxv => Ok(target.process()?.auxv()?),
        // The host's, with or without a process.
        XferObject::OsData(annex) => Ok(osdata::document(annex)),
        XferObject::Libraries(annex) => {
            if let Some(from) = list_from(annex) {
                let maps = target.process()?.link_maps_from(from);
                return Ok(libraries_xml(&maps).into_bytes());
            }
            let mut maps = target.process()?.link_maps();
            if !client.wants_main_lm() && maps.main_lm.take().is_none() {
                // Not set up yet: lldb wants an error.
                return Err(Refusal::Failed);
            }
            Ok(libraries_xml(&maps).into_bytes())
        }
    }
}

/// `qXfer:siginfo:write`: `data` at `offset` in the selected thread's
/// siginfo; the reply is the length written.
pub fn write_siginfo(
    target: &mut DebugTarget,
    offset: usize,
    data: &[u8],
) -> Result<Vec<u8>, Refusal> {
    let tid = target.selected_thread().ok_or(Refusal::NoProcess)?;
    target.process()?.write_siginfo(tid, offset, data)?;
    Ok(format!("{:x}", data.len()).into_bytes())
}

/// The description for a program in `mode`, as `reader` reads it: one per
/// mode and reader, made once.
fn description(mode: Mode, reader: Reader) -> &'static [u8] {
    static XML: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let slot = 2 * usize::from(mode == Mode::I386) + usize::from(reader == Reader::Lldb);
    XML[slot]
        .get_or_init(|| target_description(mode, Features::host(), reader))
        .as_bytes()
}

/// `qXfer:threads`: every thread, with its name.
fn threads(target: &mut DebugTarget, client: &ClientProfile) -> Vec<u8> {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<threads>\n");
    for (pid, tid) in target.threads() {
        let _ = write!(xml, "<thread id=\"{}\"", client.thread_id(pid, tid));
        if let Ok(process) = target.process_by_pid(pid) {
            if let Ok(core) = process.thread_core(tid) {
                let _ = write!(xml, " core=\"{core}\"");
            }
            if let Ok(name) = process.thread_name(tid) {
                let _ = write!(xml, " name=\"{}\"", codec::xml_escape(&name));
            }
        }
        xml.push_str("/>\n");
    }
    xml.push_str("</threads>\n");
    xml.into_bytes()
}

/// The `lmid=LMID;start=LM;prev=LM` annex of an incremental read (gdb's
/// `augmented-libraries-svr4-read`), unknown keys ignored; `None` without
/// a start (the whole list).
fn list_from(annex: &[u8]) -> Option<ListFrom> {
    let mut from = ListFrom {
        lmid: 0,
        start: 0,
        prev: 0,
    };
    for pair in annex.split(|&b| b == b';') {
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        let value = codec::number(&pair[eq + 1..]).unwrap_or(0);
        match &pair[..eq] {
            b"lmid" => from.lmid = value,
            b"start" => from.start = value,
            b"prev" => from.prev = value,
            _ => {}
        }
    }
    (from.start != 0).then_some(from)
}

/// `qXfer:libraries-svr4`: the loaded objects, and the main program's
/// `link_map` when it is to be told.
fn libraries_xml(maps: &LinkMaps) -> String {
    let mut xml = String::from("<library-list-svr4 version=\"1.0\"");
    if let Some(main) = maps.main_lm {
        let _ = write!(xml, " main-lm=\"{main:#x}\"");
    }
    xml.push('>');
    for lib in &maps.libraries {
        let _ = write!(
            xml,
            // lmid: the namespace, named by its r_debug's address.
            "<library name=\"{}\" lm=\"{:#x}\" l_addr=\"{:#x}\" l_ld=\"{:#x}\" lmid=\"{:#x}\"/>",
            codec::xml_escape(&lib.name),
            lib.lm,
            lib.l_addr,
            lib.l_ld,
            lib.lmid
        );
    }
    xml.push_str("</library-list-svr4>");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inferior::Library;

    #[test]
    fn libraries_are_listed_escaped() {
        let maps = LinkMaps {
            main_lm: Some(0x1000),
            libraries: vec![Library {
                name: "/lib/a&b.so".into(),
                lm: 0x2000,
                l_addr: 0x7f00,
                l_ld: 0x7f10,
                lmid: 0x3000,
            }],
        };
        assert_eq!(
            libraries_xml(&maps),
            "<library-list-svr4 version=\"1.0\" main-lm=\"0x1000\"><library name=\"/lib/a&amp;b.so\" lm=\"0x2000\" l_addr=\"0x7f00\" l_ld=\"0x7f10\" lmid=\"0x3000\"/></library-list-svr4>"
        );
    }
}
