//! `Z` and `z`: software breakpoints (`int3`s in memory), hardware
//! breakpoints and watchpoints (debug registers), each in the process of
//! the selected thread, with the agent bytecode of a breakpoint's
//! conditions and commands (`ConditionalBreakpoints`, `BreakpointCommands`)
//! given to the model, which evaluates them at each hit.

use super::codec::{self, Refusal};
use super::debug_target::DebugTarget;
use super::request::PointKind;
use crate::agent::Program;
use crate::console::say;
use crate::inferior::debug_registers::HwKind;
use crate::inferior::BreakpointLogic;

/// The debug register kind of a `Z`/`z` kind; `None` for a software
/// breakpoint, and for a read watchpoint, which x86 cannot set: the empty
/// reply ("unsupported") then makes gdb use an access watchpoint instead.
fn hardware(kind: PointKind) -> Option<HwKind> {
    match kind {
        PointKind::Hardware => Some(HwKind::Execute),
        PointKind::WriteWatch => Some(HwKind::Write),
        PointKind::AccessWatch => Some(HwKind::Access),
        PointKind::Software | PointKind::ReadWatch => None,
    }
}

/// `Z`: insert, or, for a breakpoint already there, give it its new
/// conditions and commands (gdb sends it again to change them).
pub fn insert(
    target: &mut DebugTarget,
    kind: PointKind,
    addr: u64,
    len: u64,
    conditions: &[Vec<u8>],
    commands: &[Vec<u8>],
) -> Result<Vec<u8>, Refusal> {
    let process = target.process()?;
    match (kind, hardware(kind)) {
        (PointKind::Software, _) => process.insert_breakpoint(addr)?,
        (PointKind::Hardware, Some(hw)) => process.insert_hardware(addr, 1, hw).map_err(said)?,
        (_, Some(hw)) => {
            process.insert_hardware(addr, len, hw).map_err(said)?;
            return Ok(codec::ok());
        }
        (_, None) => return Ok(codec::unsupported()),
    }
    process.set_breakpoint_logic(addr, logic(addr, conditions, commands));
    Ok(codec::ok())
}

/// `z`: remove; an error if there was nothing there.
pub fn remove(
    target: &mut DebugTarget,
    kind: PointKind,
    addr: u64,
    len: u64,
) -> Result<Vec<u8>, Refusal> {
    let process = target.process()?;
    let removed = match (kind, hardware(kind)) {
        (PointKind::Software, _) => process.remove_breakpoint(addr)?,
        (PointKind::Hardware, Some(hw)) => process.remove_hardware(addr, 1, hw)?,
        (_, Some(hw)) => process.remove_hardware(addr, len, hw)?,
        (_, None) => return Ok(codec::unsupported()),
    };
    if !removed {
        return Err(Refusal::Invalid);
    }
    Ok(codec::ok())
}

/// A model error the user should see on the server's side too (no debug
/// register left, a region it cannot watch).
fn said(e: crate::inferior::Error) -> Refusal {
    say(&format!("rgdbserver: {e}"));
    Refusal::Model(e)
}

/// The programs a breakpoint runs at its hits. gdbserver takes any bytes
/// at insertion and fails at the hit; a program we cannot run makes the
/// breakpoint unconditional (every hit reported, gdb decides), as gdbserver
/// does with a condition it cannot evaluate, and a command we cannot run
/// is dropped; both are said on stderr.
fn logic(addr: u64, conditions: &[Vec<u8>], commands: &[Vec<u8>]) -> BreakpointLogic {
    let mut parsed = Vec::new();
    for code in conditions {
        match Program::parse(code) {
            Ok(program) => parsed.push(program),
            Err(e) => {
                say(&format!(
                    "rgdbserver: breakpoint at {addr:#x}: condition rejected ({e}); \
                     Condition evaluation failed. Assuming unconditional."
                ));
                parsed.clear();
                break;
            }
        }
    }
    let commands = commands
        .iter()
        .filter_map(|code| match Program::parse(code) {
            Ok(program) => Some(program),
            Err(e) => {
                say(&format!(
                    "rgdbserver: breakpoint at {addr:#x}: command dropped ({e})"
                ));
                None
            }
        })
        .collect();
    BreakpointLogic {
        conditions: parsed,
        commands,
    }
}
