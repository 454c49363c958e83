//! `--disable-packet=LIST`: gdbserver's switches for test harnesses, which
//! make the server answer like an older stub so that gdb's fallbacks can
//! be tested. Same names and meanings as gdbserver's.

/// The packets and features turned off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DisabledPackets {
    /// `vCont`: `vCont?`, `vCont;...` and `vCtrlC` are unknown packets,
    /// so the client resumes with `Hc` and `c`/`s`.
    pub vcont: bool,
    /// `T`: stop replies are plain `Sxx`, with no thread and no registers.
    pub t: bool,
    /// `Tthread`: stop replies name no thread (`thread:`).
    pub t_thread: bool,
    /// `qC`: an unknown packet.
    pub qc: bool,
    /// `qfThreadInfo`: `qfThreadInfo` and `qsThreadInfo` are unknown.
    pub qf_thread_info: bool,
}

/// What `--disable-packet` with no list prints, and an unknown name.
pub const DISABLEABLE: &str = "\
Disableable packets:
  vCont       \tAll vCont packets
  qC          \tQuerying the current thread
  qfThreadInfo\tThread listing
  Tthread     \tPassing the thread specifier in the T stop reply packet
  threads     \tAll of the above
  T           \tAll 'T' packets";

impl DisabledPackets {
    /// Turn off the comma-separated names of `list`.
    pub fn disable(&mut self, list: &str) -> Result<(), String> {
        for name in list.split(',').filter(|n| !n.is_empty()) {
            match name {
                "vCont" => self.vcont = true,
                "T" => self.t = true,
                "Tthread" => self.t_thread = true,
                "qC" => self.qc = true,
                "qfThreadInfo" => self.qf_thread_info = true,
                "threads" => {
                    self.vcont = true;
                    self.t_thread = true;
                    self.qc = true;
                    self.qf_thread_info = true;
                }
                other => {
                    return Err(format!(
                        "Don't know how to disable \"{other}\".\n\n{DISABLEABLE}"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Whether the packet `body` is to be answered as unknown.
    pub fn refuses(&self, body: &[u8]) -> bool {
        (self.vcont && (body.starts_with(b"vCont") || body == b"vCtrlC"))
            || (self.qc && body == b"qC")
            || (self.qf_thread_info && matches!(body, b"qfThreadInfo" | b"qsThreadInfo"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_gdbserver_knows_them() {
        let mut d = DisabledPackets::default();
        d.disable("Tthread,qC").unwrap();
        assert!(d.t_thread && d.qc && !d.t && !d.vcont);
        assert!(d.refuses(b"qC") && !d.refuses(b"qCRC:0,1") && !d.refuses(b"vCont?"));
        let mut all = DisabledPackets::default();
        all.disable("threads").unwrap();
        assert!(all.vcont && all.qf_thread_info && !all.t);
        assert!(all.refuses(b"vCont;c") && all.refuses(b"qsThreadInfo"));
        let e = all.disable("vCont,bogus").unwrap_err();
        assert!(e.starts_with("Don't know how to disable \"bogus\"."), "{e}");
    }
}
