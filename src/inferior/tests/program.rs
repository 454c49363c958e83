//! What the program looks like, read through the tracer: the dynamic
//! linker's library list and TLS blocks in fake memory, /proc facts from
//! fake tables, and the register mode.

use super::*;
use crate::arch::x86_64::Mode;
use crate::inferior::libraries::{
    self, Library, LinkMaps, AT_PHDR, AT_PHNUM, DT_DEBUG, PT_DYNAMIC, PT_PHDR,
};
use crate::inferior::tls::TlsLayout;
use crate::inferior::Error;
use crate::sys::procfs::{Ids, Mapping, ProcessStatus};
use std::path::Path;

const DT_NEEDED: u64 = 1;

const MAIN_LM: u64 = 0x60_0000;
const LIBC_LM: u64 = 0x60_0100;
const VDSO_LM: u64 = 0x60_0200;
const LIBC_NAME: &str = "/lib/libc.so.6";
/// The default namespace's `r_debug`.
const R_DEBUG: u64 = 0x50_0000;

/// A dynamically linked program of word size `word` in fake memory: its
/// program headers, a dynamic section whose DT_DEBUG points at `r_debug`
/// (`0` before the dynamic linker filled it in) and a chain of three
/// link_maps: the program's, libc's and one without a name (the vdso's).
/// Returns its auxv.
fn fake_program(t: &mut FakeTracer, word: usize, r_debug: u64) -> Vec<u8> {
    let w = word as u64;
    let (phdr, phent, vaddr_at) = if word == 8 {
        (0x40_0040, 56, 16)
    } else {
        (0x40_0034, 32, 8)
    };
    // The headers say where they are themselves (load bias 0x400000) and
    // where the dynamic section is.
    for (i, (p_type, p_vaddr)) in [(PT_PHDR, phdr - 0x40_0000), (PT_DYNAMIC, 0x3000)]
        .into_iter()
        .enumerate()
    {
        let entry = phdr + i as u64 * phent;
        t.poke_word(entry, p_type.into(), 4);
        t.poke_word(entry + vaddr_at, p_vaddr, word);
    }
    let dynamic = 0x40_3000;
    for (i, value) in [DT_NEEDED, 1, DT_DEBUG, r_debug].into_iter().enumerate() {
        t.poke_word(dynamic + i as u64 * w, value, word);
    }
    // struct r_debug { int r_version; struct link_map *r_map; }
    t.poke_word(0x50_0000, 1, word);
    t.poke_word(0x50_0000 + w, MAIN_LM, word);
    // struct link_map { l_addr, l_name, l_ld, l_next, l_prev }
    let chain = [
        (MAIN_LM, 0, 0x70_0000, 0x40_3000, LIBC_LM, 0),
        (LIBC_LM, 0x7f_0000, 0x70_0010, 0x7f_1000, VDSO_LM, MAIN_LM),
        (VDSO_LM, 0x7e_0000, 0x70_0000, 0x7e_1000, 0, LIBC_LM),
    ];
    for (lm, l_addr, l_name, l_ld, l_next, l_prev) in chain {
        for (i, value) in [l_addr, l_name, l_ld, l_next, l_prev]
            .into_iter()
            .enumerate()
        {
            t.poke_word(lm + i as u64 * w, value, word);
        }
    }
    t.poke(0x70_0000, b"\0");
    t.poke(0x70_0010, LIBC_NAME.as_bytes());
    t.poke(0x70_0010 + LIBC_NAME.len() as u64, b"\0");
    let mut auxv = Vec::new();
    for value in [AT_PHNUM, 2, AT_PHDR, phdr, 0, 0] {
        auxv.extend_from_slice(&value.to_le_bytes()[..word]);
    }
    auxv
}

fn libc_library() -> Library {
    Library {
        name: LIBC_NAME.into(),
        lm: LIBC_LM,
        l_addr: 0x7f_0000,
        l_ld: 0x7f_1000,
        lmid: R_DEBUG,
    }
}

#[test]
fn the_link_map_chain_is_read_in_either_word_size() {
    for word in [8, 4] {
        let mut t = fake_tracer();
        let auxv = fake_program(&mut t, word, 0x50_0000);
        assert_eq!(
            libraries::link_maps(&mut t, &auxv, word),
            LinkMaps {
                main_lm: Some(MAIN_LM),
                libraries: vec![libc_library()],
            },
            "{word}-byte words"
        );
    }
}

#[test]
fn no_libraries_before_the_dynamic_linker_has_run() {
    let mut t = fake_tracer();
    let auxv = fake_program(&mut t, 8, 0);
    assert_eq!(libraries::link_maps(&mut t, &auxv, 8), LinkMaps::default());
    // A static program: no auxv entries to start from.
    assert_eq!(libraries::link_maps(&mut t, &[], 8), LinkMaps::default());
}

#[test]
fn the_process_reads_its_libraries_in_its_own_mode() {
    let mut t = fake_tracer();
    t.auxv = fake_program(&mut t, 4, 0x50_0000);
    t.mode = Mode::I386;
    let mut p = Process::new(PID, t, &[PID]);
    p.detect_mode();
    assert_eq!(p.link_maps().libraries, vec![libc_library()]);
    // Vanished: nothing to read.
    p.tracer().dead.push(PID);
    assert_eq!(p.link_maps(), LinkMaps::default());
}

#[test]
fn the_mode_is_the_main_threads() {
    let mut t = fake_tracer();
    t.mode = Mode::I386;
    let mut p = Process::new(PID, t, &[PID]);
    assert_eq!(p.mode(), Mode::Amd64, "until detected");
    p.detect_mode();
    assert_eq!(p.mode(), Mode::I386);
}

#[test]
fn exec_detects_the_new_programs_mode() {
    let mut p = running_process();
    p.tracer().mode = Mode::I386;
    let exec = ptrace_event(PID, PtraceEvent::Exec);
    assert!(feed(&mut p, &[exec]).is_some());
    assert_eq!(p.mode(), Mode::I386);
}

/// Where the fake libc's `_thread_db_*` descriptors are, as linked.
fn thread_db_symbol(path: &Path, name: &str) -> Option<u64> {
    assert_eq!(path, Path::new(LIBC_NAME));
    let at = [
        "_thread_db_link_map_l_tls_modid",
        "_thread_db_link_map_l_tls_offset",
        "_thread_db_pthread_dtvp",
        "_thread_db_dtv_t_pointer_val",
        "_thread_db_dtv_dtv",
    ]
    .iter()
    .position(|&n| n == name)?;
    Some(0x2000 + 12 * at as u64)
}

/// A thread pointer, its DTV and the TLS block of module 2 (libc's link_map).
const TP: u64 = 0x7000_0000;
const DTV: u64 = 0x80_0000;
const BLOCK: u64 = 0x90_0000;

/// glibc's descriptors in fake memory: l_tls_modid at 0x470 in a link_map,
/// l_tls_offset at 0x478, the DTV pointer at 8 in the thread, the pointer
/// at 0 in each 16-byte DTV entry. Then module 2 with its block.
fn fake_tls(t: &mut FakeTracer) -> LinkMaps {
    let l_addr = libc_library().l_addr;
    let descriptors: [(u32, u32, u32); 5] = [
        (64, 1, 0x470),
        (64, 1, 0x478),
        (64, 1, 8),
        (64, 1, 0),
        (128, 0, 0),
    ];
    for (i, (bits, count, offset)) in descriptors.into_iter().enumerate() {
        let addr = l_addr + 0x2000 + 12 * i as u64;
        t.poke_word(addr, bits.into(), 4);
        t.poke_word(addr + 4, count.into(), 4);
        t.poke_word(addr + 8, offset.into(), 4);
    }
    t.poke_word(LIBC_LM + 0x470, 2, 8);
    t.poke_word(LIBC_LM + 0x478, 0x40, 8);
    t.poke_word(TP + 8, DTV, 8);
    t.poke_word(DTV + 2 * 16, BLOCK, 8);
    LinkMaps {
        main_lm: Some(MAIN_LM),
        libraries: vec![libc_library()],
    }
}

#[test]
fn a_tls_address_is_found_through_the_threads_dtv() {
    let mut t = fake_tracer();
    let maps = fake_tls(&mut t);
    let layout = TlsLayout::find(&mut t, &maps, thread_db_symbol).unwrap();
    assert_eq!(
        layout.address(&mut t, TP, LIBC_LM, 0x10),
        Some(BLOCK + 0x10)
    );
    // Not allocated in this thread yet: static TLS, below the thread pointer.
    t.poke_word(DTV + 2 * 16, u64::MAX, 8);
    assert_eq!(
        layout.address(&mut t, TP, LIBC_LM, 0x10),
        Some(TP - 0x40 + 0x10)
    );
    // A module without TLS.
    t.poke_word(LIBC_LM + 0x470, 0, 8);
    assert_eq!(layout.address(&mut t, TP, LIBC_LM, 0x10), None);
}

#[test]
fn no_tls_layout_without_libc_or_its_descriptors() {
    let mut t = fake_tracer();
    let maps = fake_tls(&mut t);
    assert_eq!(
        TlsLayout::find(&mut t, &LinkMaps::default(), thread_db_symbol),
        None
    );
    assert_eq!(TlsLayout::find(&mut t, &maps, |_, _| None), None);
}

#[test]
fn proc_facts_come_through_the_tracer() {
    let mut t = fake_tracer();
    t.names.insert(A, "worker".into());
    t.executable = "/bin/prog".into();
    t.auxv = vec![1, 2, 3];
    t.maps = vec![Mapping {
        start: 0x1000,
        end: 0x2000,
        readable: true,
        writable: false,
        executable: true,
        name: "/bin/prog".into(),
    }];
    t.status = ProcessStatus {
        parent_pid: 1,
        uid: Ids {
            real: 1000,
            effective: 0,
        },
        gid: Ids {
            real: 100,
            effective: 100,
        },
    };
    let mut p = Process::new(PID, t, &[PID, A]);
    assert_eq!(p.thread_name(A).unwrap(), "worker");
    assert!(matches!(p.thread_name(B), Err(Error::NoSuchThread(B))));
    assert_eq!(p.executable_path().unwrap(), Path::new("/bin/prog"));
    assert_eq!(p.auxv().unwrap(), vec![1, 2, 3]);
    assert_eq!(p.memory_maps().unwrap()[0].end, 0x2000);
    assert_eq!(p.process_status().unwrap().uid.real, 1000);
    // A process that vanished is an expected error, not a failure of ours.
    p.tracer().dead.extend([PID, A]);
    assert!(matches!(p.auxv(), Err(Error::NoSuchThread(PID))));
    assert!(matches!(p.thread_name(A), Err(Error::NoSuchThread(A))));
    // Once it is gone, there is nothing to ask.
    p.kill().unwrap();
    assert!(matches!(p.process_status(), Err(Error::Gone)));
}

#[test]
fn a_siginfo_write_patches_the_stopped_threads_siginfo() {
    let mut p = Process::new(PID, fake_tracer(), &[PID]);
    p.write_siginfo(PID, 4, &[7, 0, 0, 0]).unwrap();
    let siginfo = p.siginfo(PID).unwrap();
    assert_eq!(
        (siginfo.len(), &siginfo[..8]),
        (128, &[0, 0, 0, 0, 7, 0, 0, 0][..])
    );
    // Nothing past its end, and only a thread we have.
    assert!(p.write_siginfo(PID, 126, &[1, 2, 3]).is_err());
    assert!(matches!(
        p.write_siginfo(A, 0, &[1]),
        Err(Error::NoSuchThread(A))
    ));
}

/// A second namespace (`dlmopen`): the default `r_debug` at version 2
/// points on to one whose list holds `/lib/libm.so.6`.
fn fake_second_namespace(t: &mut FakeTracer) -> Library {
    const SECOND: u64 = 0x51_0000;
    const LIBM_LM: u64 = 0x60_0300;
    t.poke_word(R_DEBUG, 2, 8);
    t.poke_word(R_DEBUG + 5 * 8, SECOND, 8);
    t.poke_word(SECOND, 2, 8);
    t.poke_word(SECOND + 8, LIBM_LM, 8);
    for (i, value) in [0x7d_0000, 0x70_0100, 0x7d_1000, 0, 0]
        .into_iter()
        .enumerate()
    {
        t.poke_word(LIBM_LM + 8 * i as u64, value, 8);
    }
    t.poke(0x70_0100, b"/lib/libm.so.6\0");
    Library {
        name: "/lib/libm.so.6".into(),
        lm: LIBM_LM,
        l_addr: 0x7d_0000,
        l_ld: 0x7d_1000,
        lmid: SECOND,
    }
}

#[test]
fn every_namespace_is_listed_with_its_lmid() {
    let mut t = fake_tracer();
    let auxv = fake_program(&mut t, 8, R_DEBUG);
    let libm = fake_second_namespace(&mut t);
    let maps = libraries::link_maps(&mut t, &auxv, 8);
    assert_eq!(maps.main_lm, Some(MAIN_LM));
    // The first object of a namespace other than the default one is listed.
    assert_eq!(maps.libraries, vec![libc_library(), libm.clone()]);
}

#[test]
fn a_namespace_is_read_from_where_the_client_asks() {
    let mut t = fake_tracer();
    fake_program(&mut t, 8, R_DEBUG);
    let libm = fake_second_namespace(&mut t);
    let from = |lmid, start, prev| libraries::ListFrom { lmid, start, prev };
    let read = |t: &mut FakeTracer, f| libraries::link_maps_from(t, 8, f).libraries;
    assert_eq!(
        read(&mut t, from(R_DEBUG, LIBC_LM, MAIN_LM)),
        vec![libc_library()]
    );
    assert_eq!(read(&mut t, from(libm.lmid, libm.lm, 0)), vec![libm]);
    // A start whose l_prev is not the one given: the list changed under
    // the client, nothing is told.
    assert_eq!(read(&mut t, from(R_DEBUG, LIBC_LM, 0)), vec![]);
}
