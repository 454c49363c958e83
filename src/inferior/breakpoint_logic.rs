//! The conditions and commands of breakpoints (agent bytecode from gdb),
//! and their evaluation at a hit against the stopped thread: its general
//! registers from the cached GETREGS set, its memory as the program sees it
//! (our `int3`s hidden), without allocating per hit.

use super::breakpoints::Breakpoints;
use super::tracer::Tracer;
use crate::agent::{Machine, Program, Variables};
use crate::arch::x86_64::Mode;
use crate::sys::Tid;
use std::collections::BTreeMap;

/// What runs at a breakpoint's hits.
#[derive(Debug, Clone, Default)]
pub struct BreakpointLogic {
    /// Or'ed: the hit is reported if one holds (or fails to evaluate).
    pub conditions: Vec<Program>,
    /// Run when the hit is reported (a dprintf's printf); a breakpoint
    /// with commands is then not reported at all.
    pub commands: Vec<Program>,
}

impl BreakpointLogic {
    fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.commands.is_empty()
    }
}

/// The stopped thread, as a program reads it.
struct ThreadMachine<'a, T: Tracer> {
    tracer: &'a mut T,
    breakpoints: &'a Breakpoints,
    tid: Tid,
    mode: Mode,
}

impl<T: Tracer> Machine for ThreadMachine<'_, T> {
    fn register(&mut self, regnum: usize) -> Option<u64> {
        if let Some(value) = self
            .tracer
            .general_register(self.tid, self.mode, regnum)
            .ok()?
        {
            return Some(value);
        }
        // Not a general register: the whole set (rarely needed).
        let mut bytes = Vec::new();
        self.tracer
            .registers(self.tid)
            .ok()?
            .read(regnum, &mut bytes)?;
        let mut word = [0u8; 8];
        if bytes.len() > word.len() {
            return None;
        }
        word[..bytes.len()].copy_from_slice(&bytes);
        Some(u64::from_le_bytes(word))
    }

    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        // As the program sees it: our int3s hidden.
        self.breakpoints
            .read(self.tracer, addr, buf)
            .is_ok_and(|n| n == buf.len())
    }
}

/// The conditions and commands of the breakpoints, and what they keep
/// between hits.
#[derive(Debug, Default, Clone)]
pub struct AgentState {
    logic: BTreeMap<u64, BreakpointLogic>,
    variables: Variables,
    /// printf's output, reused from hit to hit.
    output: Vec<u8>,
}

impl AgentState {
    /// Give the breakpoint at `addr` these conditions and commands (none:
    /// an ordinary breakpoint again).
    pub fn set(&mut self, addr: u64, logic: BreakpointLogic) {
        if logic.is_empty() {
            self.logic.remove(&addr);
        } else {
            self.logic.insert(addr, logic);
        }
    }

    pub fn forget(&mut self, addr: u64) {
        self.logic.remove(&addr);
    }

    pub fn clear(&mut self) {
        self.logic.clear();
    }

    /// Whether `tid`'s hit of the breakpoint at `addr` is to be reported:
    /// yes for a plain breakpoint; with conditions, if one holds or fails
    /// (gdb then evaluates it again and says what is wrong); with commands
    /// (run here, their output printed), no.
    pub fn hit_is_reported<T: Tracer>(
        &mut self,
        tracer: &mut T,
        breakpoints: &Breakpoints,
        tid: Tid,
        mode: Mode,
        addr: u64,
    ) -> bool {
        let Some(logic) = self.logic.get(&addr) else {
            return true;
        };
        let mut machine = ThreadMachine {
            tracer,
            breakpoints,
            tid,
            mode,
        };
        let (variables, output) = (&mut self.variables, &mut self.output);
        output.clear();
        let holds = logic.conditions.is_empty()
            || logic.conditions.iter().any(|condition| {
                condition
                    .condition(&mut machine, variables, output)
                    .unwrap_or_else(|e| {
                        log::debug!("thread {tid}: condition at {addr:#x}: {e}");
                        true
                    })
            });
        if !holds {
            return false;
        }
        if logic.commands.is_empty() {
            return true;
        }
        for command in &logic.commands {
            if let Err(e) = command.evaluate(&mut machine, variables, output) {
                log::warn!("thread {tid}: command at {addr:#x}: {e}");
                break;
            }
        }
        crate::console::program_output(output);
        false
    }
}
