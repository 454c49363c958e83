//! Where clients connect: a TCP port, a Unix domain socket, or the server's
//! own stdin/stdout (for `target remote | ssh host rgdbserver - prog`).

use super::config::Transport;
use crate::console::say;
use std::fs::File;
use std::io;
use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

pub enum Listener {
    Tcp(TcpListener),
    /// The socket file is removed when the listener is dropped.
    Unix {
        listener: UnixListener,
        path: PathBuf,
    },
    /// stdin/stdout: one client, and only once.
    Stdio,
}

/// A client's two directions (the same socket twice, or stdin and stdout).
pub struct Stream {
    pub input: File,
    pub output: File,
}

impl Listener {
    /// Bind (before anything is launched, so a busy address leaves nothing
    /// half-started).
    pub fn open(transport: &Transport) -> Result<Listener, String> {
        match transport {
            Transport::Tcp { host, port } => {
                // An empty host means every interface, as with gdbserver.
                let host = if host.is_empty() { "0.0.0.0" } else { host };
                let addrs: Vec<_> = (host, *port)
                    .to_socket_addrs()
                    .map_err(|e| {
                        // gdbserver's words, which test harnesses wait for.
                        let why = e.to_string();
                        let why = why
                            .strip_prefix("failed to lookup address information: ")
                            .unwrap_or(&why);
                        format!("{host}:{port}: cannot resolve name: {why}")
                    })?
                    .collect();
                let listener = TcpListener::bind(&addrs[..])
                    .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
                Ok(Listener::Tcp(listener))
            }
            Transport::Unix(path) => {
                if path.exists() {
                    return Err(format!(
                        "cannot listen on {}: the file exists (another server? remove it first)",
                        path.display()
                    ));
                }
                let listener = UnixListener::bind(path)
                    .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
                // Anyone who can connect can run code as us: owner only.
                if let Err(e) =
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                {
                    let _ = std::fs::remove_file(path);
                    return Err(format!("cannot restrict {}: {e}", path.display()));
                }
                Ok(Listener::Unix {
                    listener,
                    path: path.clone(),
                })
            }
            Transport::Stdio => Ok(Listener::Stdio),
        }
    }

    pub fn is_stdio(&self) -> bool {
        matches!(self, Listener::Stdio)
    }

    /// The line that tells IDEs and scripts where to connect.
    pub fn announce(&self) {
        match self {
            Listener::Tcp(listener) => match listener.local_addr() {
                Ok(addr) => say(&format!("Listening on port {}", addr.port())),
                Err(e) => say(&format!("rgdbserver: listening, port unknown: {e}")),
            },
            Listener::Unix { path, .. } => {
                say(&format!("Listening on Unix socket {}", path.display()))
            }
            Listener::Stdio => say("Remote debugging using stdio"),
        }
    }

    /// The fd that becomes readable when a client connects.
    pub fn raw_fd(&self) -> Option<RawFd> {
        match self {
            Listener::Tcp(l) => Some(l.as_raw_fd()),
            Listener::Unix { listener, .. } => Some(listener.as_raw_fd()),
            Listener::Stdio => None,
        }
    }

    /// Take the next client (blocking; call when readable).
    pub fn accept(&self) -> io::Result<Stream> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, peer) = listener.accept()?;
                // Replies are small and latency-bound: never wait to coalesce them.
                stream.set_nodelay(true)?;
                say(&format!(
                    "Remote debugging from host {}, port {}",
                    peer.ip(),
                    peer.port()
                ));
                let fd = OwnedFd::from(stream);
                let output = File::from(fd.try_clone()?);
                Ok(Stream {
                    input: File::from(fd),
                    output,
                })
            }
            Listener::Unix { listener, path } => {
                let (stream, _) = listener.accept()?;
                say(&format!(
                    "Remote debugging using Unix socket {}",
                    path.display()
                ));
                let fd = OwnedFd::from(stream);
                let output = File::from(fd.try_clone()?);
                Ok(Stream {
                    input: File::from(fd),
                    output,
                })
            }
            Listener::Stdio => Ok(Stream {
                input: File::from(std::io::stdin().as_raw_fd_owned()?),
                output: File::from(std::io::stdout().as_raw_fd_owned()?),
            }),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A duplicate of a standard stream's fd, owned.
trait DupFd {
    fn as_raw_fd_owned(&self) -> io::Result<OwnedFd>;
}

impl<T: std::os::fd::AsFd> DupFd for T {
    fn as_raw_fd_owned(&self) -> io::Result<OwnedFd> {
        self.as_fd().try_clone_to_owned()
    }
}
