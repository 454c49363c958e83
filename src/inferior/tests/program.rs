//! What the program looks like, read through the tracer: /proc facts from
//! fake tables, and the register mode.

use super::*;
use crate::arch::x86_64::Mode;
use crate::inferior::Error;
use crate::sys::procfs::{Ids, Mapping, ProcessStatus};
use std::path::Path;

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
    let exec = WaitStatus::Event {
        tid: PID,
        event: PtraceEvent::Exec,
        signal: libc::SIGTRAP,
    };
    assert!(feed(&mut p, &[exec]).is_some());
    assert_eq!(p.mode(), Mode::I386);
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
