//! Extended remote (`--multi`): the settings of the next `run`, which
//! gdbstub's engine serves (QEnvironment*, QSetWorkingDir,
//! QStartupWithShell, QDisableRandomization). `run`, `attach`, `kill` and
//! `qAttached` are our dispatch's (they create and end processes); the
//! trait's methods for them are thin calls to the same code.

use super::{map_error, DebugTarget};
use crate::console::say;
use crate::inferior::Origin;
use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, ConfigureAslr, ConfigureAslrOps, ConfigureEnv, ConfigureEnvOps,
    ConfigureStartupShell, ConfigureStartupShellOps, ConfigureWorkingDir, ConfigureWorkingDirOps,
    ExtendedMode, ShouldTerminate,
};
use gdbstub::target::{TargetError, TargetResult};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_owned()
}

impl ExtendedMode for DebugTarget {
    fn run(&mut self, filename: Option<&[u8]>, args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        match DebugTarget::run(self, filename.map(os), args.map(os).collect(), true) {
            Ok(pid) => Pid::new(pid as usize).ok_or(TargetError::NonFatal),
            Err(msg) => {
                say(&format!("rgdbserver: {msg}"));
                Err(TargetError::NonFatal)
            }
        }
    }

    fn attach(&mut self, pid: Pid) -> TargetResult<(), Self> {
        DebugTarget::attach(self, pid.get() as i32, true).map_err(|msg| {
            say(&format!("rgdbserver: {msg}"));
            TargetError::NonFatal
        })
    }

    fn query_if_attached(&mut self, pid: Pid) -> TargetResult<AttachKind, Self> {
        Ok(match self.origin(pid.get() as i32) {
            Some(Origin::Attached) => AttachKind::Attach,
            _ => AttachKind::Run,
        })
    }

    fn kill(&mut self, pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        DebugTarget::kill(self, pid.map(|p| p.get() as i32)).map_err(map_error)?;
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
