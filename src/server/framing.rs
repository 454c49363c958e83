//! The client's byte stream cut into packets (`$body#xx`) and single bytes
//! (acks, Ctrl-C), with checksums checked here, before anyone parses a
//! packet.

use crate::rsp::codec::checksum;

/// One unit of client input.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// A whole packet, `$` to checksum, and whether its checksum is right.
    Packet { raw: Vec<u8>, checksum_ok: bool },
    /// A byte outside any packet: `+`, `-`, 0x03, or noise.
    Byte(u8),
}

impl Input {
    /// The packet body (between `$` and `#`).
    pub fn body(raw: &[u8]) -> &[u8] {
        raw.get(1..raw.len().saturating_sub(3)).unwrap_or(&[])
    }
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Between,
    Body,
    /// Seen `#`; `usize` checksum digits so far.
    Checksum(usize),
}

/// Longest packet accepted; anything longer is dropped as noise.
const MAX_PACKET: usize = 4 << 20;

#[derive(Debug, Default)]
pub struct Framer {
    state: State,
    packet: Vec<u8>,
}

impl Framer {
    /// Take one byte; returns an input when one is complete.
    pub fn push(&mut self, byte: u8) -> Option<Input> {
        match self.state {
            State::Between => {
                if byte == b'$' {
                    self.packet.clear();
                    self.packet.push(byte);
                    self.state = State::Body;
                    None
                } else {
                    Some(Input::Byte(byte))
                }
            }
            State::Body => {
                self.packet.push(byte);
                if byte == b'#' {
                    self.state = State::Checksum(0);
                } else if self.packet.len() > MAX_PACKET {
                    log::warn!("dropping an over-long packet");
                    self.state = State::Between;
                    self.packet.clear();
                }
                None
            }
            State::Checksum(digits) => {
                self.packet.push(byte);
                if digits == 0 {
                    self.state = State::Checksum(1);
                    return None;
                }
                self.state = State::Between;
                let raw = std::mem::take(&mut self.packet);
                let checksum_ok = checksum_matches(&raw);
                Some(Input::Packet { raw, checksum_ok })
            }
        }
    }
}

fn checksum_matches(raw: &[u8]) -> bool {
    let sent = &raw[raw.len() - 2..];
    let sent = std::str::from_utf8(sent)
        .ok()
        .and_then(|s| u8::from_str_radix(s, 16).ok());
    sent == Some(checksum(Input::body(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_all(framer: &mut Framer, bytes: &[u8]) -> Vec<Input> {
        bytes.iter().filter_map(|&b| framer.push(b)).collect()
    }

    #[test]
    fn cuts_packets_and_bytes() {
        let mut f = Framer::default();
        let inputs = push_all(&mut f, b"+$g#67\x03$m0,1#00");
        assert_eq!(inputs.len(), 4);
        assert_eq!(inputs[0], Input::Byte(b'+'));
        assert_eq!(
            inputs[1],
            Input::Packet {
                raw: b"$g#67".to_vec(),
                checksum_ok: true
            }
        );
        assert_eq!(inputs[2], Input::Byte(3));
        assert!(matches!(
            &inputs[3],
            Input::Packet {
                checksum_ok: false,
                ..
            }
        ));
        assert_eq!(Input::body(b"$m0,1#00"), b"m0,1");
    }

    #[test]
    fn checks_checksums() {
        assert!(checksum_matches(&crate::rsp::codec::frame(b"qSupported:x")));
        assert!(!checksum_matches(b"$g#00"));
    }
}
