//! Extended remote (`--multi`): `run`, `attach`, `kill` and the settings of
//! the next `run`. gdbstub also routes some plain-remote packets through
//! here: the real process id (instead of a made-up one), and `qAttached`
//! (gdb kills a launched program when it quits, and detaches from an
//! attached one).

use super::{map_error, DebugTarget, Inferior, Origin};
use crate::inferior;
use crate::server::say;
use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, ConfigureAslr, ConfigureAslrOps, ConfigureEnv, ConfigureEnvOps,
    ConfigureStartupShell, ConfigureStartupShellOps, ConfigureWorkingDir, ConfigureWorkingDirOps,
    CurrentActivePid, CurrentActivePidOps, ExtendedMode, ShouldTerminate,
};
use gdbstub::target::{TargetError, TargetResult};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_owned()
}

impl DebugTarget {
    fn refuse_unless_multi(&self, what: &str) -> TargetResult<(), Self> {
        if self.multi {
            Ok(())
        } else {
            say(&format!(
                "rgdbserver: {what} needs extended-remote: start the server with --multi"
            ));
            Err(TargetError::NonFatal)
        }
    }
}

impl ExtendedMode for DebugTarget {
    fn run(&mut self, filename: Option<&[u8]>, args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        self.refuse_unless_multi("run")?;
        // No program named: the last one run (or the command line's), as
        // gdbserver does; the arguments are always the new ones.
        let program = match filename.filter(|f| !f.is_empty()).map(os) {
            Some(program) => program,
            None => match &self.settings.last_program {
                Some(program) => program.clone(),
                None => {
                    say("rgdbserver: run: no program given (use `set remote exec-file` in gdb)");
                    return Err(TargetError::NonFatal);
                }
            },
        };
        // gdb has split the arguments already; each is quoted for the shell.
        let spec = self.settings.spec(program.clone(), args.map(os).collect());
        let process = inferior::launch(&spec).map_err(map_error)?;
        self.settings.last_program = Some(program.clone());
        let pid = process.pid();
        say(&format!(
            "Process {} created; pid = {pid}",
            program.to_string_lossy()
        ));
        self.replace(Inferior {
            process,
            origin: Origin::Launched,
        });
        Pid::new(pid as usize).ok_or(TargetError::NonFatal)
    }

    fn attach(&mut self, pid: Pid) -> TargetResult<(), Self> {
        self.refuse_unless_multi("attach")?;
        let process = inferior::attach(pid.get() as i32).map_err(map_error)?;
        say(&format!("Attached; pid = {pid}"));
        self.replace(Inferior {
            process,
            origin: Origin::Attached,
        });
        Ok(())
    }

    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        match self.inferior() {
            Some(Inferior {
                origin: Origin::Attached,
                ..
            }) => Ok(AttachKind::Attach),
            _ => Ok(AttachKind::Run),
        }
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        if let Some(inferior) = self.inferior() {
            inferior.process.kill().map_err(map_error)?;
        }
        self.drop_finished();
        // Plain remote ends the session with the program; extended remote goes on.
        Ok(if self.multi {
            ShouldTerminate::No
        } else {
            ShouldTerminate::Yes
        })
    }

    fn restart(&mut self) -> Result<(), Self::Error> {
        log::warn!("restart (R) is not supported; use `run`");
        Ok(())
    }

    #[inline(always)]
    fn support_current_active_pid(&mut self) -> Option<CurrentActivePidOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_configure_env(&mut self) -> Option<ConfigureEnvOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_configure_working_dir(&mut self) -> Option<ConfigureWorkingDirOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_configure_startup_shell(&mut self) -> Option<ConfigureStartupShellOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_configure_aslr(&mut self) -> Option<ConfigureAslrOps<'_, Self>> {
        Some(self)
    }
}

impl CurrentActivePid for DebugTarget {
    fn current_active_pid(&mut self) -> Result<Pid, Self::Error> {
        let pid = self.inferior().map_or(0, |i| i.process.pid());
        // With no process, any valid id will do (gdbstub needs one).
        Ok(Pid::new(pid as usize).unwrap_or(Pid::MIN))
    }
}

impl ConfigureEnv for DebugTarget {
    fn set_env(&mut self, key: &[u8], val: Option<&[u8]>) -> TargetResult<(), Self> {
        let key = os(key);
        let val = os(val.unwrap_or_default());
        self.settings.env.retain(|(k, _)| *k != key);
        self.settings.env.push((key, val));
        Ok(())
    }

    fn remove_env(&mut self, key: &[u8]) -> TargetResult<(), Self> {
        let key = os(key);
        self.settings.env.retain(|(k, _)| *k != key);
        Ok(())
    }

    fn reset_env(&mut self) -> TargetResult<(), Self> {
        self.settings.env = std::env::vars_os().collect();
        Ok(())
    }
}

impl ConfigureWorkingDir for DebugTarget {
    fn cfg_working_dir(&mut self, dir: Option<&[u8]>) -> TargetResult<(), Self> {
        self.settings.cwd = dir.map(|d| os(d).into());
        Ok(())
    }
}

impl ConfigureStartupShell for DebugTarget {
    fn cfg_startup_with_shell(&mut self, enabled: bool) -> TargetResult<(), Self> {
        self.settings.startup_with_shell = enabled;
        Ok(())
    }
}

impl ConfigureAslr for DebugTarget {
    fn cfg_aslr(&mut self, enabled: bool) -> TargetResult<(), Self> {
        // QDisableRandomization:1 arrives as `enabled == true`: it is the
        // *disabling* that is enabled.
        self.settings.disable_randomization = enabled;
        Ok(())
    }
}
