//! `qXfer:libraries-svr4` over raw packets with two link-map namespaces
//! (dlmopen.c): every namespace listed with its `lmid`, and the incremental
//! reads of `augmented-libraries-svr4-read` (`lmid=;start=;prev=`).

use super::{features, qxfer_read};
use crate::support::fixtures::fixture;
use crate::support::rsp::{connect_as_gdb, run_to};
use crate::support::server::Server;

/// One `<library .../>` of the list: its name, `lm` and `lmid`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    lm: String,
    lmid: String,
}

fn entries(document: &[u8]) -> Vec<Entry> {
    let text = String::from_utf8_lossy(document);
    // Each item starts with its first attribute: look for ` NAME="` after a space.
    let attribute = |item: &str, name: &str| {
        let item = format!(" {item}");
        let start = item.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = item[start..].find('"')?;
        Some(item[start..start + len].to_string())
    };
    text.split("<library ")
        .skip(1)
        .filter_map(|item| {
            Some(Entry {
                name: attribute(item, "name")?,
                lm: attribute(item, "lm")?,
                lmid: attribute(item, "lmid")?,
            })
        })
        .collect()
}

#[test]
fn namespaces_and_incremental_reads() {
    let f = fixture("dlmopen");
    let server = Server::start_fixture(&f);
    let (mut c, supported) = connect_as_gdb(&server);
    assert!(
        features(&supported).contains("augmented-libraries-svr4-read+"),
        "{supported}"
    );
    run_to(&mut c, &server, &f, "loaded");
    let all = entries(&qxfer_read(&mut c, &server, "qXfer:libraries-svr4:read::"));
    let libm = all
        .iter()
        .find(|e| e.name.ends_with("/libm.so.6"))
        .unwrap_or_else(|| panic!("no libm in {all:?}\n{}", server.dump()))
        .clone();
    let first = &all[0];
    assert_ne!(libm.lmid, first.lmid, "libm is in a namespace of its own");
    let second: Vec<Entry> = all
        .iter()
        .filter(|e| e.lmid == libm.lmid)
        .cloned()
        .collect();
    assert!(
        second[0] == libm && second.iter().any(|e| e.name.ends_with("/libc.so.6")),
        "libm first in its namespace, with a libc of its own: {second:?}"
    );

    // Addresses as gdb sends them: hex digits, no `0x`.
    let read = |c: &mut _, lmid: &str, start: &str, prev: &str| {
        let hex = |a: &str| a.trim_start_matches("0x").to_string();
        let (lmid, start, prev) = (hex(lmid), hex(start), hex(prev));
        let prefix = format!("qXfer:libraries-svr4:read:lmid={lmid};start={start};prev={prev}:");
        entries(&qxfer_read(c, &server, &prefix))
    };
    // From the namespace's first object, and from the one after it.
    assert_eq!(read(&mut c, &libm.lmid, &libm.lm, "0"), second);
    assert_eq!(
        read(&mut c, &libm.lmid, &second[1].lm, &libm.lm),
        second[1..]
    );
    // The default namespace from its second library on.
    let default: Vec<Entry> = all
        .iter()
        .filter(|e| e.lmid == first.lmid)
        .cloned()
        .collect();
    assert_eq!(
        read(&mut c, &first.lmid, &default[1].lm, &default[0].lm),
        default[1..]
    );
    // A start whose predecessor is not the one given: nothing.
    assert_eq!(read(&mut c, &libm.lmid, &second[1].lm, "0"), vec![]);
}
