//! The integration tests of rgdbserver, one test binary (`cargo test --test
//! e2e`), a module per group; `cargo test --test e2e gdb_basic::` runs one
//! group. The groups:
//! - `gdb_*`: the real gdb against the small C programs in tests/fixtures,
//!   in batch mode (or reading commands from a pipe), asserting on what it
//!   prints; `gdb_mi` drives its machine interface as IDEs do;
//! - `lldb_basic`: lldb-19 in batch mode; `lldb_dap`: lldb-dap-19 as VS Code
//!   drives it; `lldb_packets`: lldb's own packets over raw RSP;
//! - `protocol` and `packets`: a raw Remote Serial Protocol client;
//! - `backend`: the library's `inferior` layer on real processes, no
//!   server and no client.
//!
//! What they share is in [`support`], one module for each thing the tests
//! drive; its top comment lists them and the environment variables
//! (`RGDB_TEST_SERVER` runs the end-to-end tests against another server,
//! e.g. GNU gdbserver).
//!
//! `backend` is in this binary too, rather than in one of its own: it
//! traces its programs from a thread of its own per test, and the
//! `inferior` layer waits with `waitpid(-1, __WALL | __WNOTHREAD)`, which
//! only sees the children and tracees of the calling thread. So it never
//! reaps the servers and debuggers the other tests spawn (std's `Child`
//! waits for its own pid only), and they never reap its tracees; the whole
//! binary was run many times, with more test threads than cores, to check.

mod support;

mod backend;
mod gdb_attach;
mod gdb_basic;
mod gdb_conditions;
mod gdb_debugging;
mod gdb_extended;
mod gdb_fork;
mod gdb_info_os;
mod gdb_interrupt;
mod gdb_libraries;
mod gdb_memory_scan;
mod gdb_mi;
mod gdb_multi;
mod gdb_non_stop;
mod gdb_permanent_breakpoint;
mod gdb_program_knowledge;
mod gdb_registers;
mod gdb_session_end;
mod gdb_signals;
mod gdb_terminal;
mod gdb_threads;
mod gdb_transports;
mod gdb_watchpoints;
mod lldb_basic;
mod lldb_dap;
mod lldb_packets;
mod lldb_register_sets;
mod packets;
mod protocol;
