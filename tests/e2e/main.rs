//! The end-to-end tests: one test binary (step 1 of the restructuring).

mod support;

mod backend;
mod gdb_attach;
mod gdb_basic;
mod gdb_extended;
mod gdb_fork;
mod gdb_interrupt;
mod gdb_mi;
mod gdb_program_knowledge;
mod gdb_registers;
mod gdb_session_end;
mod gdb_signals;
mod gdb_threads;
mod gdb_transports;
mod gdb_watchpoints;
mod lldb_basic;
mod lldb_dap;
mod lldb_packets;
mod packets;
mod protocol;
