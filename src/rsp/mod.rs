//! The Remote Serial Protocol layer: one dispatch decides, for every
//! packet, who answers it.
//!
//! | packets | who answers | why |
//! | --- | --- | --- |
//! | run control: `?`, `vCont`, `c`, `s`, `C`, `S`, Ctrl-C; the stop replies | ours | gdbstub 0.7's engine is all-stop and one-process only, and cannot word exec stops or lldb's stop replies |
//! | threads and processes: `Hg`, `Hc`, `qC`, `qfThreadInfo`, `T`, `qAttached`, `k`, `vKill`, `D`, `vRun`, `vAttach`, `R` | ours | the thread a request goes to, and the processes, are state our replies depend on: kept in one place |
//! | registers and memory: `g`, `G`, `p`, `P`, `m`, `M`, `x`, `X`, `qCRC`, `qSearch:memory` | ours | bulk data stays out of gdbstub's buffer (see engine.rs), and gdbstub writes replies a byte at a time |
//! | documents: `qXfer` features, threads, siginfo (read and write), exec-file, auxv, libraries-svr4, osdata | ours | whole documents in one round trip, in the client's dialect |
//! | host I/O data: `vFile:pread`, `vFile:pwrite` | ours | bulk data |
//! | `qSupported` | both | the engine lists what it serves; we add ours and our PacketSize |
//! | `QStartNoAckMode` | ours | acknowledgements are the session's |
//! | `qGetTLSAddr`, `QPassSignals`, `QProgramSignals` | ours | gdbstub has no such packet |
//! | breakpoints and watchpoints: `Z`, `z` | ours | conditions and commands (agent bytecode) come with them, which gdbstub 0.7 drops |
//! | lldb's own: `qHostInfo`, `qProcessInfo`, `jThreadsInfo`, `qMemoryRegionInfo`, `qWatchpointSupportInfo`, `QListThreadsInStopReply` | ours | gdbstub has none or words them otherwise |
//! | `qRcmd` (monitor commands) | ours | console output comes before the reply, and a failed command is an error reply |
//! | everything else: other `vFile:` requests, `QEnvironment*`, `QSetWorkingDir`, `QStartupWithShell`, `QDisableRandomization`, `QCatchSyscalls`, `!`, unknown packets | gdbstub's engine | request and reply, no state of ours needed |
//!
//! Parsing is in [`request`], encodings in [`codec`], the client's dialect
//! and negotiated features in [`client`], stop replies in [`stop_reply`],
//! the gdbstub bridge in [`engine`], the debugging target both act on in
//! [`debug_target`].

pub mod client;
pub mod codec;
pub mod debug_target;
mod disabled;
mod documents;
mod engine;
mod inspect;
mod lldb;
mod memory_scan;
mod monitor;
mod osdata;
mod points;
pub mod request;
pub mod signals;
mod stop_reply;

use client::ClientProfile;
use codec::{Refusal, ThreadRef, MAX_READ, PACKET_SIZE};
use debug_target::DebugTarget;
pub use disabled::{DisabledPackets, DISABLEABLE};
use engine::Engine;
use gdbstub::common::Signal;
use inspect::{
    read_memory, read_register, read_registers, tls_address, write_memory, write_register,
    write_registers,
};
use request::{Parsed, Request, VContAction, VContKind, XferObject};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::console::say;
use crate::debug_output;
use crate::inferior::{Action, Origin, Report, Resume, ResumePlan};
use crate::sys::Tid;

/// What the session does after a packet or a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Go on serving this client.
    Serving,
    /// Plain remote: the program exited, was killed, or was detached: the
    /// session is over with it.
    ProgramGone,
    /// `monitor exit`.
    ExitRequested,
}

/// One client's conversation with the server.
pub struct Protocol {
    client: ClientProfile,
    engine: Engine,
    /// All-stop: a resume was sent and its stop reply is owed.
    awaiting_stop: bool,
    /// The thread `Hc` chose, for the legacy `c`/`s`.
    resume_thread: ThreadRef,
    /// What lldb has been told of the current stop, for `jThreadsInfo`.
    news: lldb::StopNews,
    /// The `qXfer:threads` or `osdata` document being read.
    threads_document: Option<Vec<u8>>,
    /// Non-stop: the stop replies the client has yet to take (with their
    /// process), the first one sent as a `%Stop` notification (or as the
    /// reply to `?`); each `vStopped` takes one and answers with the next,
    /// `OK` at the end.
    notifications: VecDeque<(Tid, Vec<u8>)>,
    /// What a monitor command said, for the client's console before the reply.
    console: String,
}

impl Protocol {
    pub fn new(target: &mut DebugTarget) -> Result<Protocol, String> {
        // A new client has agreed to nothing yet.
        target.processes.set_follow_forks(false);
        target
            .processes
            .set_non_stop(false)
            .map_err(|e| e.to_string())?;
        Ok(Protocol {
            client: ClientProfile::default(),
            engine: Engine::new(target)?,
            awaiting_stop: false,
            resume_thread: ThreadRef::All,
            news: lldb::StopNews::default(),
            threads_document: None,
            notifications: VecDeque::new(),
            console: String::new(),
        })
    }

    /// Whether the client acknowledges packets (before `QStartNoAckMode`).
    pub fn acks(&self) -> bool {
        self.client.acks
    }

    /// Whether the client is to hear of stops now (all-stop: one is owed;
    /// non-stop: always): the session then collects wait statuses
    /// ([`poll`](Self::poll)).
    pub fn watching_program(&self) -> bool {
        self.awaiting_stop || self.client.non_stop
    }

    /// Answer one packet (its body); the reply, if any, is appended to
    /// `out`, framed.
    pub fn packet(&mut self, target: &mut DebugTarget, body: &[u8], out: &mut Vec<u8>) -> Outcome {
        if self.awaiting_stop && !self.client.non_stop {
            // An all-stop client sends nothing but Ctrl-C while the program runs.
            log::warn!(
                "ignoring packet {:?} sent while the program runs",
                String::from_utf8_lossy(body)
            );
            return Outcome::Serving;
        }
        log::debug!(target: debug_output::REMOTE, "getpkt (\"{}\")", body.escape_ascii());
        self.client.note_packet(body);
        let reply = match request::parse(body) {
            _ if target.disabled_packets.refuses(body) => Some(codec::unsupported()),
            Parsed::Ours(request) => self.dispatch(target, request),
            Parsed::Malformed => Some(codec::error(&Refusal::Malformed)),
            Parsed::Engine => Some(self.engine.answer(target, body)),
        };
        if !self.console.is_empty() {
            let console = std::mem::take(&mut self.console);
            send(
                out,
                &[b"O", codec::hex(console.as_bytes()).as_slice()].concat(),
            );
        }
        if let Some(reply) = reply {
            send(out, &reply);
        }
        self.outcome(target)
    }

    /// Ctrl-C: stop the running program; the stop is reported once every
    /// thread has stopped.
    pub fn interrupt(&mut self, target: &mut DebugTarget) {
        if self.client.non_stop {
            let _ = self.ctrl_c(target);
            return;
        }
        if !self.awaiting_stop {
            log::debug!("Ctrl-C while the program is stopped: nothing to do");
            return;
        }
        target.processes.interrupt();
    }

    /// Take in the wait statuses that are there; if the process stopped,
    /// its stop reply is appended to `out`.
    pub fn poll(&mut self, target: &mut DebugTarget, out: &mut Vec<u8>) -> Result<Outcome, String> {
        if self.client.non_stop {
            while let Some((pid, report)) = target.processes.poll().map_err(|e| e.to_string())? {
                self.notify_stop(target, pid, report, out);
            }
            return Ok(self.outcome(target));
        }
        if !self.awaiting_stop {
            return Ok(Outcome::Serving);
        }
        if let Some((pid, report)) = target.processes.poll().map_err(|e| e.to_string())? {
            self.awaiting_stop = false;
            self.report_stop(target, pid, report, out);
        }
        Ok(self.outcome(target))
    }

    fn outcome(&self, target: &DebugTarget) -> Outcome {
        if target.exit_requested {
            Outcome::ExitRequested
        } else if !target.multi && target.processes.is_empty() && !self.client.non_stop {
            // (In non-stop the client hears of the end among other news, and
            // leaves once it has taken it all in, as with gdbserver.)
            Outcome::ProgramGone
        } else {
            Outcome::Serving
        }
    }

    fn report_stop(
        &mut self,
        target: &mut DebugTarget,
        pid: Tid,
        report: Report,
        out: &mut Vec<u8>,
    ) {
        stop_reply::announce(report);
        if let Report::Thread { tid, .. } | Report::Interrupted { tid } = report {
            target.select_thread(Some(tid));
        }
        self.news = lldb::StopNews::new(report);
        let reply = stop_reply::stop_reply(target, &self.client, pid, report, &mut self.news);
        send(out, &reply);
        if matches!(report, Report::Exited(_) | Report::Killed(_)) {
            target.drop_finished();
        }
    }

    /// Non-stop: a stop to tell. The first of a series goes out as a
    /// notification; the client takes the others with `vStopped`.
    fn notify_stop(
        &mut self,
        target: &mut DebugTarget,
        pid: Tid,
        report: Report,
        out: &mut Vec<u8>,
    ) {
        stop_reply::announce(report);
        let reply = stop_reply::stop_reply(target, &self.client, pid, report, &mut self.news);
        if matches!(report, Report::Exited(_) | Report::Killed(_)) {
            // Its threads' stops not yet sent are moot: the client could
            // only fail to look at them.
            let mut index = 0;
            self.notifications.retain(|(of, _)| {
                index += 1;
                index == 1 || *of != pid
            });
            target.drop_finished();
        }
        if self.notifications.is_empty() {
            log::debug!(target: debug_output::REMOTE, "notif (\"Stop:{}\")", reply.escape_ascii());
            codec::notification_into(out, b"Stop", &reply);
        }
        self.notifications.push_back((pid, reply));
    }

    /// `QNonStop`: non-stop mode, or back to all-stop (stopping what runs).
    fn set_non_stop(&mut self, target: &mut DebugTarget, on: bool) -> Result<Vec<u8>, Refusal> {
        target.processes.set_non_stop(on)?;
        self.client.non_stop = on;
        self.notifications.clear();
        self.awaiting_stop = false;
        Ok(codec::ok())
    }

    /// `vStopped`: the client took the last stop; the next one, or `OK`.
    fn next_stop(&mut self) -> Vec<u8> {
        self.notifications.pop_front();
        self.first_notification()
    }

    /// The stop the client is to take now, or `OK` when there is none.
    fn first_notification(&self) -> Vec<u8> {
        self.notifications
            .front()
            .map_or_else(codec::ok, |(_, reply)| reply.clone())
    }

    /// `vCtrlC` (and Ctrl-C in non-stop): SIGINT to the current process,
    /// whose thread that takes it stops and is reported.
    fn ctrl_c(&mut self, target: &mut DebugTarget) -> Result<Vec<u8>, Refusal> {
        if !self.client.non_stop {
            target.processes.interrupt();
            return Ok(codec::ok());
        }
        target.process()?.interrupt_with_sigint()?;
        Ok(codec::ok())
    }

    /// `?` in non-stop: every stopped thread's stop, the first as the
    /// reply, the others through `vStopped`; `OK` if every thread runs.
    fn non_stop_status(&mut self, target: &mut DebugTarget) -> Vec<u8> {
        self.notifications.clear();
        for (pid, tid) in target.threads() {
            let Some(event) = target
                .process_by_pid(pid)
                .ok()
                .and_then(|process| process.tell_stop(tid))
            else {
                continue;
            };
            let report = Report::Thread { tid, event };
            let reply = stop_reply::stop_reply(target, &self.client, pid, report, &mut self.news);
            self.notifications.push_back((pid, reply));
        }
        self.first_notification()
    }

    /// Non-stop `vCont`: each thread takes the leftmost action that names
    /// it; threads no action names stay as they are (running or stopped).
    /// Answered at once; the stops come as notifications.
    fn resume_non_stop(
        &mut self,
        target: &mut DebugTarget,
        actions: &[VContAction],
    ) -> Result<Vec<u8>, Refusal> {
        if target.processes.is_empty() {
            return Err(Refusal::NoProcess);
        }
        let mut chosen: BTreeMap<Tid, (Tid, VContAction)> = BTreeMap::new();
        for action in actions {
            let threads: Vec<(Tid, Tid)> = match action.thread {
                Some(ThreadRef::Id(tid)) => target
                    .processes
                    .process_of(tid)
                    .map(|pid| (pid, tid))
                    .into_iter()
                    .collect(),
                Some(ThreadRef::AllOf(pid)) => target
                    .processes
                    .threads_of(pid)
                    .into_iter()
                    .map(|tid| (pid, tid))
                    .collect(),
                Some(ThreadRef::AnyOf(pid)) => first_thread_of(target, pid)
                    .map(|tid| (pid, tid))
                    .into_iter()
                    .collect(),
                Some(ThreadRef::Any) => target
                    .selected_thread()
                    .and_then(|tid| Some((target.processes.process_of(tid)?, tid)))
                    .into_iter()
                    .collect(),
                None | Some(ThreadRef::All) => target.threads(),
            };
            for (pid, tid) in threads {
                chosen.entry(tid).or_insert((pid, *action));
            }
        }
        let mut plans: BTreeMap<Tid, ResumePlan> = BTreeMap::new();
        let mut stops: BTreeMap<Tid, Vec<Tid>> = BTreeMap::new();
        for (tid, (pid, action)) in chosen {
            let resume = match action.kind {
                VContKind::Continue => Resume::Continue,
                VContKind::Step => Resume::Step,
                VContKind::RangeStep { start, end } => Resume::RangeStep { start, end },
                VContKind::Stop => {
                    stops.entry(pid).or_default().push(tid);
                    continue;
                }
            };
            let signal = action.signal.map_or(0, |n| signals::from_gdb(Signal(n)));
            plans
                .entry(pid)
                .or_default()
                .actions
                .insert(tid, Action { resume, signal });
        }
        target.processes.resume(plans)?;
        for (pid, tids) in stops {
            target.processes.stop_threads(pid, &tids);
        }
        Ok(codec::ok())
    }

    /// The reply to one of our requests; `None` for a resume, whose reply
    /// is the stop to come.
    fn dispatch(&mut self, target: &mut DebugTarget, request: Request<'_>) -> Option<Vec<u8>> {
        let answer = match request {
            Request::Resume(actions) if self.client.non_stop => {
                self.resume_non_stop(target, &actions)
            }
            Request::Resume(actions) => return self.resume(target, &actions),
            Request::NonStop(on) => self.set_non_stop(target, on),
            Request::NextStop => Ok(self.next_stop()),
            Request::CtrlC => self.ctrl_c(target),
            Request::Supported(features) => {
                self.client.negotiate(features);
                target.processes.set_follow_forks(self.client.fork_events);
                Ok(self.supported(target))
            }
            Request::StartNoAckMode => {
                self.client.acks = false;
                Ok(codec::ok())
            }
            Request::VContQuery => Ok(b"vCont;c;C;s;S;t;r".to_vec()),
            Request::StopReason if self.client.non_stop => Ok(self.non_stop_status(target)),
            Request::StopReason => Ok(self.initial_stop(target)),
            Request::SelectThread { general, thread } => {
                self.select_thread(target, general, thread)
            }
            Request::CurrentThread => Ok(self.current_thread(target)),
            Request::ThreadList { first } => Ok(self.thread_list(target, first)),
            Request::ThreadAlive(ThreadRef::Id(tid)) if target.is_thread(tid) => Ok(codec::ok()),
            Request::ThreadAlive(_) => Err(Refusal::Malformed),
            Request::Attached(pid) => attached(target, pid),
            Request::Kill(pid) => self.kill(target, pid),
            Request::Detach(pid) => detach(target, pid),
            Request::Run { program, args } => self.run(target, program, args),
            Request::Attach(pid) => self.attach(target, pid),
            // Extended remote: the last program again; no reply (gdb asks `?`).
            Request::Restart if target.multi => {
                if let Err(msg) = target.restart() {
                    say(&format!("rgdbserver: {msg}"));
                }
                return None;
            }
            // Plain remote: an unknown request, as with gdbserver.
            Request::Restart => Ok(codec::unsupported()),
            Request::ReadRegisters => read_registers(target),
            Request::WriteRegisters(bytes) => write_registers(target, &bytes),
            Request::ReadRegister(regnum) => read_register(target, regnum),
            Request::WriteRegister { regnum, value } => write_register(target, regnum, &value),
            Request::ReadMemory {
                addr,
                len,
                encoding,
            } => read_memory(target, addr, len, encoding, self.client.binary_read()),
            Request::WriteMemory { addr, data } => write_memory(target, addr, &data),
            Request::Xfer { object, slice } => self.xfer(target, object, slice),
            Request::SiginfoWrite { offset, data } => {
                documents::write_siginfo(target, offset, &data)
            }
            Request::FilePread { fd, count, offset } => {
                Ok(target.host_pread(fd, count, offset, MAX_READ - 1))
            }
            Request::FilePwrite { fd, offset, data } => Ok(target.host_pwrite(fd, offset, &data)),
            Request::TlsAddress { thread, offset, lm } => tls_address(target, thread, offset, lm),
            Request::PassSignals(list) => {
                let linux: BTreeSet<i32> = list
                    .into_iter()
                    .map(|n| signals::from_gdb(Signal(n)))
                    .filter(|&sig| sig != 0)
                    .collect();
                target.set_pass_signals(linux);
                Ok(codec::ok())
            }
            // gdb passes the signals it lets through in vCont itself.
            Request::ProgramSignals => Ok(codec::ok()),
            Request::InsertPoint {
                kind,
                addr,
                len,
                conditions,
                commands,
            } => points::insert(target, kind, addr, len, &conditions, &commands),
            Request::RemovePoint { kind, addr, len } => points::remove(target, kind, addr, len),
            Request::HostInfo => Ok(codec::escape_binary(&lldb::host_info())),
            Request::ProcessInfo => lldb::process_info(target).map(|r| codec::escape_binary(&r)),
            Request::ThreadsInfo => {
                lldb::threads_info(target, &mut self.news).map(|r| codec::escape_binary(&r))
            }
            Request::ListThreadsInStopReply => {
                self.client.threads_in_stop_reply = true;
                Ok(codec::ok())
            }
            // x86 has four debug registers.
            Request::WatchpointSupportInfo => Ok(b"num:4;".to_vec()),
            Request::MemoryRegionInfo(addr) => {
                lldb::memory_region_info(target, addr).map(|r| codec::escape_binary(&r))
            }
            Request::Crc { addr, len } => memory_scan::crc(target, addr, len),
            Request::SearchMemory { addr, len, pattern } => {
                memory_scan::search(target, addr, len, &pattern)
            }
            Request::Monitor(command) => {
                let answer = monitor::run(target, &command);
                self.console = answer.console;
                answer.ok.then(codec::ok).ok_or(Refusal::Failed)
            }
        };
        Some(answer.unwrap_or_else(|refusal| {
            log::debug!("refused: {refusal:?}");
            codec::error(&refusal)
        }))
    }

    /// gdbstub's `qSupported` features with this layer's added, and our
    /// PacketSize in place of its own (the size of its buffer).
    fn supported(&mut self, target: &mut DebugTarget) -> Vec<u8> {
        let engines = self.engine.answer(target, b"qSupported:multiprocess+");
        let mut reply = format!("PacketSize={PACKET_SIZE:x}").into_bytes();
        for feature in engines.split(|&b| b == b';') {
            if !feature.starts_with(b"PacketSize=") && !feature.is_empty() {
                reply.push(b';');
                reply.extend_from_slice(feature);
            }
        }
        reply.extend_from_slice(
            b";qXfer:features:read+;qXfer:threads:read+;qXfer:siginfo:read+\
              ;qXfer:siginfo:write+;qXfer:exec-file:read+;qXfer:auxv:read+\
              ;qXfer:libraries-svr4:read+;qXfer:osdata:read+\
              ;augmented-libraries-svr4-read+;QPassSignals+;QProgramSignals+;binary-upload+\
              ;swbreak+;hwbreak+;ConditionalBreakpoints+;BreakpointCommands+;QNonStop+",
        );
        if self.client.exec_events {
            reply.extend_from_slice(b";exec-events+");
        }
        if self.client.fork_events {
            reply.extend_from_slice(b";fork-events+;vfork-events+");
        }
        reply
    }

    /// `?`: the process is stopped at its main thread (or, if that is gone,
    /// its first one), which register requests now go to.
    fn initial_stop(&mut self, target: &mut DebugTarget) -> Vec<u8> {
        self.news = lldb::StopNews::default();
        let tid = first_thread(target);
        if tid.is_some() {
            target.select_thread(tid);
        }
        stop_reply::initial_stop_reply(target, &self.client, target.pid(), tid)
    }

    fn select_thread(
        &mut self,
        target: &mut DebugTarget,
        general: bool,
        thread: ThreadRef,
    ) -> Result<Vec<u8>, Refusal> {
        let chosen = match thread {
            ThreadRef::All if !general => ThreadRef::All,
            // "All threads" makes no sense for registers and memory.
            ThreadRef::All | ThreadRef::AllOf(_) if general => return Err(Refusal::Malformed),
            ThreadRef::Any => ThreadRef::Id(first_thread(target).ok_or(Refusal::NoProcess)?),
            ThreadRef::AnyOf(pid) => {
                ThreadRef::Id(first_thread_of(target, pid).ok_or(Refusal::Malformed)?)
            }
            ThreadRef::AllOf(pid) if target.processes.get(pid).is_none() => {
                return Err(Refusal::Malformed)
            }
            // A thread that does not exist: gdbserver refuses it at once
            // (accepting it would fail every later request).
            ThreadRef::Id(tid) if !target.is_thread(tid) => return Err(Refusal::Malformed),
            id => id,
        };
        match (general, chosen) {
            (true, ThreadRef::Id(tid)) => target.select_thread(Some(tid)),
            (true, _) => {}
            (false, chosen) => self.resume_thread = chosen,
        }
        Ok(codec::ok())
    }

    /// `qC`
    fn current_thread(&self, target: &mut DebugTarget) -> Vec<u8> {
        let tid = target
            .selected_thread()
            .filter(|&tid| target.is_thread(tid))
            .or_else(|| first_thread(target));
        match tid.and_then(|tid| Some((target.processes.process_of(tid)?, tid))) {
            Some((pid, tid)) => format!("QC{}", self.client.thread_id(pid, tid)).into_bytes(),
            None => codec::error(&Refusal::NoProcess),
        }
    }

    /// `qfThreadInfo`: every thread of every process in one reply;
    /// `qsThreadInfo`: the end.
    fn thread_list(&self, target: &mut DebugTarget, first: bool) -> Vec<u8> {
        let ids: Vec<String> = target
            .threads()
            .into_iter()
            .map(|(pid, tid)| self.client.thread_id(pid, tid))
            .collect();
        if !first || ids.is_empty() {
            return b"l".to_vec();
        }
        format!("m{}", ids.join(",")).into_bytes()
    }

    /// `k` (every process) or `vKill;PID`.
    fn kill(&mut self, target: &mut DebugTarget, pid: Option<Tid>) -> Result<Vec<u8>, Refusal> {
        ours(target, pid)?;
        target.kill(pid)?;
        Ok(match pid {
            None => self.client.kill_reply(),
            Some(_) => codec::ok(),
        })
    }

    fn run(
        &mut self,
        target: &mut DebugTarget,
        program: Vec<u8>,
        args: Vec<Vec<u8>>,
    ) -> Result<Vec<u8>, Refusal> {
        let program = Some(os(&program)).filter(|p| !p.is_empty());
        let args = args.iter().map(|a| os(a)).collect();
        // Next to the processes there are, for a client that can tell
        // them apart; else in their place.
        match target.run(program, args, self.client.multiprocess) {
            Ok(pid) => Ok(self.new_process_stop(target, pid)),
            Err(msg) => {
                say(&format!("rgdbserver: {msg}"));
                Err(Refusal::Failed)
            }
        }
    }

    fn attach(&mut self, target: &mut DebugTarget, pid: Tid) -> Result<Vec<u8>, Refusal> {
        match target.attach(pid, self.client.multiprocess) {
            // Non-stop: the client stops the threads itself (`vCont;t`),
            // and hears of each stop as a notification.
            Ok(()) if self.client.non_stop => Ok(codec::ok()),
            Ok(()) => Ok(self.new_process_stop(target, pid)),
            Err(msg) => {
                say(&format!("rgdbserver: {msg}"));
                Err(Refusal::Failed)
            }
        }
    }

    /// The reply to `vRun` and `vAttach`: the new process, stopped at its
    /// main thread, which requests now go to.
    fn new_process_stop(&mut self, target: &mut DebugTarget, pid: Tid) -> Vec<u8> {
        self.news = lldb::StopNews::default();
        let tid = first_thread_of(target, pid);
        target.select_thread(tid);
        if let (true, Some(tid)) = (self.client.non_stop, tid) {
            // Told stopped here, it stays so until resumed.
            if let Ok(process) = target.process_by_pid(pid) {
                process.tell_stop(tid);
            }
        }
        stop_reply::initial_stop_reply(target, &self.client, Some(pid), tid)
    }

    /// `vCont` (and `c`, `s`): resume as the actions say; the reply is the
    /// stop to come, or an error now.
    fn resume(&mut self, target: &mut DebugTarget, actions: &[VContAction]) -> Option<Vec<u8>> {
        let plans = match self.plans(target, actions) {
            Ok(plans) => plans,
            Err(refusal) => return Some(codec::error(&refusal)),
        };
        if target.processes.is_empty() {
            return Some(codec::error(&Refusal::NoProcess));
        }
        match target.processes.resume(plans) {
            Ok(()) => {
                self.awaiting_stop = true;
                None
            }
            Err(e) => {
                log::warn!("resume refused: {e}");
                Some(codec::error(&Refusal::Model(e)))
            }
        }
    }

    /// Each process's resume plan for `actions`: for each thread the
    /// leftmost action naming it wins; a default action (no thread, `-1`)
    /// goes to every process, `pPID.-1` to one. A thread no action names
    /// stays stopped (scheduler locking), and so does a process no action
    /// names (gdb's `schedule-multiple off`).
    fn plans(
        &self,
        target: &DebugTarget,
        actions: &[VContAction],
    ) -> Result<BTreeMap<Tid, ResumePlan>, Refusal> {
        let mut plans: BTreeMap<Tid, ResumePlan> = BTreeMap::new();
        for action in actions {
            let resume = match action.kind {
                VContKind::Continue => Resume::Continue,
                VContKind::Step => Resume::Step,
                VContKind::RangeStep { start, end } => Resume::RangeStep { start, end },
                // Stopping a thread is for non-stop mode.
                VContKind::Stop => return Err(Refusal::Malformed),
            };
            let signal = action.signal.map_or(0, |n| signals::from_gdb(Signal(n)));
            let thread = match action.thread {
                // The legacy `c` and `s` act on the thread `Hc` chose.
                Some(ThreadRef::Any) => match self.resume_thread {
                    ThreadRef::All if resume == Resume::Continue => None,
                    ThreadRef::All | ThreadRef::Any => target.selected_thread().map(ThreadRef::Id),
                    chosen => Some(chosen),
                },
                Some(ThreadRef::AnyOf(pid)) => first_thread_of(target, pid).map(ThreadRef::Id),
                other => other,
            };
            let pids = match thread {
                Some(ThreadRef::Id(tid)) => {
                    // A thread that is gone: its action is dropped.
                    let Some(pid) = target.processes.process_of(tid) else {
                        continue;
                    };
                    plans
                        .entry(pid)
                        .or_default()
                        .actions
                        .entry(tid)
                        .or_insert(Action { resume, signal });
                    continue;
                }
                Some(ThreadRef::AllOf(pid)) => vec![pid],
                _ => target.processes.pids(),
            };
            // A default action: only continue makes sense for every thread.
            if resume != Resume::Continue {
                return Err(Refusal::Malformed);
            }
            for pid in pids {
                plans.entry(pid).or_default().others.get_or_insert(Action {
                    resume,
                    // As gdbstub before us: a default action's signal is not delivered.
                    signal: 0,
                });
            }
        }
        Ok(plans)
    }

    fn xfer(
        &mut self,
        target: &mut DebugTarget,
        object: XferObject<'_>,
        slice: &[u8],
    ) -> Result<Vec<u8>, Refusal> {
        if !matches!(object, XferObject::Threads | XferObject::OsData(_)) {
            let document = documents::document(target, &self.client, object)?;
            return Ok(codec::qxfer(&document, slice));
        }
        // gdb reads them in slices: build one once, at the first, so that
        // it is quick and all the slices are of the same document.
        if slice.starts_with(b"0,") || self.threads_document.is_none() {
            self.threads_document = Some(documents::document(target, &self.client, object)?);
        }
        Ok(codec::qxfer(
            self.threads_document.as_deref().unwrap_or_default(),
            slice,
        ))
    }
}

/// Frame a reply into `out`; logged for `--remote-debug`.
fn send(out: &mut Vec<u8>, body: &[u8]) {
    log::debug!(target: debug_output::REMOTE, "putpkt (\"{}\")", body.escape_ascii());
    codec::frame_into(out, body);
}

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_owned()
}

/// The current process's main thread if it is there, else its first one.
fn first_thread(target: &DebugTarget) -> Option<Tid> {
    first_thread_of(target, target.pid()?)
}

/// Process `pid`'s main thread if it is there, else its first one.
fn first_thread_of(target: &DebugTarget, pid: Tid) -> Option<Tid> {
    let process = &target.processes.get(pid)?.process;
    if process.thread_state(pid).is_some() {
        return Some(pid);
    }
    process.thread_ids().next()
}

/// A request naming a process we do not debug is refused.
fn ours(target: &DebugTarget, pid: Option<Tid>) -> Result<(), Refusal> {
    match pid {
        Some(pid) if target.processes.get(pid).is_none() => Err(Refusal::Failed),
        _ => Ok(()),
    }
}

/// `D` (every process) or `D;PID`.
fn detach(target: &mut DebugTarget, pid: Option<Tid>) -> Result<Vec<u8>, Refusal> {
    ours(target, pid)?;
    target.detach(pid)?;
    Ok(codec::ok())
}

/// `qAttached`: `1` for a process we attached to (gdb detaches it on
/// quit), `0` for one we launched (gdb kills it); without a pid, the
/// current process.
fn attached(target: &DebugTarget, pid: Option<Tid>) -> Result<Vec<u8>, Refusal> {
    let pid = pid.or_else(|| target.pid()).ok_or(Refusal::NoProcess)?;
    Ok(match target.origin(pid) {
        Some(Origin::Attached) => b"1".to_vec(),
        Some(Origin::Launched) => b"0".to_vec(),
        None => return Err(Refusal::Failed),
    })
}
