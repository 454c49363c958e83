//! gdb's machine interface (`gdb --interpreter=mi3`) driven the way IDE
//! front ends (VS Code cpptools, CLion) drive it: [`Mi`] writes commands
//! with numeric tokens to gdb's stdin and waits (with timeouts) for the
//! result record carrying the command's token and for asynchronous
//! records; [`parse_record`] turns a record into values the tests can look
//! into.

use super::client::Client;
use super::fixtures::Fixture;
use super::gdb;
use super::server::Server;
use super::{scaled, CLIENT_TIMEOUT};

// ---------------------------------------------------------------------------
// MI records
// ---------------------------------------------------------------------------

/// An MI value: a C string, a tuple `{a=..,b=..}` or a list `[..]` (the
/// names of a list of results, as in `stack=[frame={..},frame={..}]`, are
/// dropped: the list holds the values).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Const(String),
    Tuple(Vec<(String, Value)>),
    List(Vec<Value>),
}

impl Value {
    /// The value at a dotted path of tuple fields, e.g. `frame.func`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        let mut v = self;
        for name in path.split('.') {
            match v {
                Value::Tuple(fields) => v = &fields.iter().find(|(n, _)| n == name)?.1,
                _ => return None,
            }
        }
        Some(v)
    }

    /// The string at `path`, if it is one.
    pub fn str(&self, path: &str) -> Option<&str> {
        match self.get(path)? {
            Value::Const(s) => Some(s),
            _ => None,
        }
    }

    /// The items of the list at `path`, if it is one.
    pub fn list(&self, path: &str) -> Option<&[Value]> {
        match self.get(path)? {
            Value::List(items) => Some(items),
            _ => None,
        }
    }
}

/// A result record (`TOKEN^done,...`) or an asynchronous record
/// (`*stopped,...`, `=thread-group-exited,...`): its class (`done`,
/// `stopped`, ...) and its results as a tuple.
#[derive(Clone, Debug)]
pub struct Record {
    pub class: String,
    pub results: Value,
    pub line: String,
}

/// Parses one MI output record line: an optional token, the record type
/// (`^`, `*`, `=`, `+`), the class and the results.
pub fn parse_record(line: &str) -> Result<Record, String> {
    let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest
        .strip_prefix(['^', '*', '=', '+'])
        .ok_or_else(|| format!("not a result or async record: {line:?}"))?;
    let (class, results) = match rest.split_once(',') {
        Some((class, results)) => (class, results),
        None => (rest, ""),
    };
    let mut p = Parser {
        s: results.as_bytes(),
        i: 0,
    };
    let mut fields = Vec::new();
    if !results.is_empty() {
        loop {
            fields.push(p.result()?);
            if !p.eat(b',') {
                break;
            }
        }
    }
    if p.i != p.s.len() {
        return Err(format!("trailing text at {} in {line:?}", p.i));
    }
    Ok(Record {
        class: class.to_string(),
        results: Value::Tuple(fields),
        line: line.to_string(),
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected {:?} at {}: {:?}",
                c as char,
                self.i,
                String::from_utf8_lossy(&self.s[self.i..])
            ))
        }
    }

    /// `name=value`
    fn result(&mut self) -> Result<(String, Value), String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b'=' {
                break;
            }
            self.i += 1;
        }
        let name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.expect(b'=')?;
        Ok((name, self.value()?))
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'"') => self.c_string().map(Value::Const),
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        fields.push(self.result()?);
                        if !self.eat(b',') {
                            break;
                        }
                    }
                    self.expect(b'}')?;
                }
                Ok(Value::Tuple(fields))
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        let item = match self.peek() {
                            Some(b'"' | b'{' | b'[') => self.value()?,
                            _ => self.result()?.1,
                        };
                        items.push(item);
                        if !self.eat(b',') {
                            break;
                        }
                    }
                    self.expect(b']')?;
                }
                Ok(Value::List(items))
            }
            _ => Err(format!(
                "expected a value at {}: {:?}",
                self.i,
                String::from_utf8_lossy(&self.s[self.i..])
            )),
        }
    }

    /// A C string with gdb's escapes (`\"`, `\\`, `\n`, `\t`, octal).
    fn c_string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let c = self.peek().ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'e' => out.push(0x1b),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(u8::try_from(v & 0xff).expect("masked to a byte"));
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Quotes a string for an MI command argument (`"..."` with `\` and `"`
/// escaped).
pub fn mi_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Complete lines of `text` (a partial last line is not yet a record).
fn complete_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| l.trim_end_matches(['\n', '\r']))
}

// ---------------------------------------------------------------------------
// The MI driver
// ---------------------------------------------------------------------------

/// gdb in MI mode connected to the server under test.
pub struct Mi {
    gdb: Client,
    pub server: Server,
    next_token: u32,
    /// Index of the first output line [`wait_async`](Self::wait_async) has
    /// not consumed: asynchronous records are consumed in order.
    cursor: usize,
}

impl Mi {
    /// Starts the server on `f`, then gdb in MI mode, and sets gdb up as
    /// cpptools does: `-file-exec-and-symbols`, asynchronous execution
    /// (cpptools says `-gdb-set target-async on`, the deprecated name of
    /// `mi-async`), `-target-select remote`. Consumes the `*stopped` record
    /// of the connection (the program stopped at its first instruction).
    pub fn start(f: &Fixture) -> Mi {
        Mi::start_with(f, &[])
    }

    /// Like [`start`](Self::start), with `settings` (MI commands, e.g.
    /// `-gdb-set non-stop on`) given before connecting.
    pub fn start_with(f: &Fixture, settings: &[&str]) -> Mi {
        let server = Server::start_fixture(f);
        let gdb = gdb::interactive(&["--interpreter=mi3".to_string()]);
        let mut mi = Mi {
            gdb,
            server,
            next_token: 1,
            cursor: 0,
        };
        mi.done(&format!("-file-exec-and-symbols {}", mi_quote(f.exe_str())));
        mi.done("-gdb-set mi-async on");
        for setting in settings {
            mi.done(setting);
        }
        let port = mi.server.port();
        let connected = mi.command(&format!("-target-select remote 127.0.0.1:{port}"));
        mi.check(
            connected.class == "connected",
            &format!(
                "-target-select should answer ^connected: {}",
                connected.line
            ),
        );
        let stop = mi.wait_async("*stopped");
        mi.check(
            stop.results.str("thread-id").is_some() && stop.results.get("frame").is_some(),
            &format!(
                "the stop on connection should name a thread and frame: {}",
                stop.line
            ),
        );
        mi
    }

    /// gdb's and the server's output, for failure messages.
    pub fn dump(&self) -> String {
        format!("{}\n{}", self.gdb.dump(), self.server.dump())
    }

    /// Panics with `what` and all output unless `ok`.
    #[track_caller]
    pub fn check(&self, ok: bool, what: &str) {
        if !ok {
            panic!("{what}\n{}", self.dump());
        }
    }

    /// Sends `TOKEN` + `cmd` and waits for the result record with that
    /// token (`TOKEN^done`, `^running`, `^connected`, `^error`, `^exit`).
    #[track_caller]
    pub fn command(&mut self, cmd: &str) -> Record {
        let token = self.next_token;
        self.next_token += 1;
        self.gdb.send(&format!("{token}{cmd}"));
        let prefix = format!("{token}^");
        let timeout = scaled(CLIENT_TIMEOUT);
        let line = self
            .gdb
            .output_handle()
            .wait_until(timeout, |text| {
                complete_lines(text)
                    .find(|l| l.starts_with(&prefix))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| {
                panic!(
                    "no result record {prefix}... for {cmd:?} within {timeout:?}\n{}",
                    self.dump()
                )
            });
        parse_record(&line).unwrap_or_else(|e| panic!("{e}\n{}", self.dump()))
    }

    /// Runs `cmd` and panics unless it answers `^done`.
    #[track_caller]
    pub fn done(&mut self, cmd: &str) -> Record {
        let r = self.command(cmd);
        self.check(
            r.class == "done",
            &format!("{cmd:?} should answer ^done: {}", r.line),
        );
        r
    }

    /// Runs an execution command (`-exec-continue`, `-exec-finish`) and
    /// waits for `^running` and the `*running` record.
    #[track_caller]
    pub fn run(&mut self, cmd: &str) {
        let r = self.command(cmd);
        self.check(
            r.class == "running",
            &format!("{cmd:?} should answer ^running: {}", r.line),
        );
        let running = self.wait_async("*running");
        self.check(
            running.results.str("thread-id") == Some("all"),
            &format!("all-stop mode resumes every thread: {}", running.line),
        );
    }

    /// Waits for the next asynchronous record starting with `prefix` (e.g.
    /// `*stopped`, `=thread-group-exited`) after the last one consumed;
    /// consumes it and the lines before it.
    #[track_caller]
    pub fn wait_async(&mut self, prefix: &str) -> Record {
        let from = self.cursor;
        let timeout = scaled(CLIENT_TIMEOUT);
        let found = self.gdb.output_handle().wait_until(timeout, |text| {
            complete_lines(text)
                .enumerate()
                .skip(from)
                .find(|(_, l)| {
                    l.trim_start_matches(|c: char| c.is_ascii_digit())
                        .strip_prefix(prefix)
                        .is_some_and(|r| r.is_empty() || r.starts_with(','))
                })
                .map(|(i, l)| (i, l.to_string()))
        });
        let (index, line) = found.unwrap_or_else(|| {
            panic!(
                "no {prefix} record (after output line {from}) within {timeout:?}\n{}",
                self.dump()
            )
        });
        self.cursor = index + 1;
        parse_record(&line).unwrap_or_else(|e| panic!("{e}\n{}", self.dump()))
    }

    /// Sends `-exec-interrupt` and waits for the stop it brings, which must
    /// be for SIGINT; returns the `*stopped` record.
    #[track_caller]
    pub fn interrupt(&mut self) -> Record {
        self.done("-exec-interrupt");
        let stop = self.wait_async("*stopped");
        self.check(
            stop.results.str("reason") == Some("signal-received")
                && stop.results.str("signal-name") == Some("SIGINT"),
            &format!("-exec-interrupt should stop with SIGINT: {}", stop.line),
        );
        stop
    }

    /// Waits for the `*stopped` record of the program's exit, which must
    /// be with `code` (as gdb prints it, in octal).
    #[track_caller]
    pub fn wait_exited(&mut self, code: &str) {
        let exited = self.wait_async("*stopped");
        self.check(
            exited.results.str("reason") == Some("exited")
                && exited.results.str("exit-code") == Some(code),
            &format!(
                "should stop with reason=exited, exit-code={code}: {}",
                exited.line
            ),
        );
    }

    /// Waits for the `*stopped` record of the program's normal exit.
    #[track_caller]
    pub fn wait_exited_normally(&mut self) {
        let exited = self.wait_async("*stopped");
        self.check(
            exited.results.str("reason") == Some("exited-normally"),
            &format!("should stop with reason=exited-normally: {}", exited.line),
        );
    }

    /// The string at `path` in a record's results; panics if missing.
    #[track_caller]
    pub fn field<'a>(&self, r: &'a Record, path: &str) -> &'a str {
        r.results
            .str(path)
            .unwrap_or_else(|| panic!("no string {path} in {}\n{}", r.line, self.dump()))
    }

    /// `-data-evaluate-expression [OPTIONS] EXPR`'s value.
    #[track_caller]
    pub fn evaluate(&mut self, options: &str, expr: &str) -> String {
        let r = self.done(&format!(
            "-data-evaluate-expression {options} {}",
            mi_quote(expr)
        ));
        self.field(&r, "value").to_string()
    }

    /// The names of the variables `-stack-list-variables [OPTIONS]
    /// --simple-values` lists, sorted.
    #[track_caller]
    pub fn variable_names(&mut self, options: &str) -> Vec<String> {
        let vars = self.done(&format!("-stack-list-variables {options} --simple-values"));
        let mut names: Vec<String> = vars
            .results
            .list("variables")
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.str("name").map(str::to_string))
            .collect();
        names.sort_unstable();
        names
    }

    /// The `func` of every frame `-stack-list-frames [OPTIONS]` lists,
    /// innermost first.
    #[track_caller]
    pub fn frame_funcs(&mut self, options: &str) -> Vec<String> {
        let r = self.done(&format!("-stack-list-frames {options}"));
        let frames = r
            .results
            .list("stack")
            .unwrap_or_else(|| panic!("no stack=[...] in {}\n{}", r.line, self.dump()));
        frames
            .iter()
            .enumerate()
            .map(|(i, fr)| {
                assert_eq!(
                    fr.str("level"),
                    Some(i.to_string().as_str()),
                    "frames should be listed by level: {}\n{}",
                    r.line,
                    self.dump()
                );
                fr.str("func").unwrap_or("??").to_string()
            })
            .collect()
    }

    /// `-gdb-exit`, then waits for gdb to quit; returns the server (to
    /// check how it ended).
    pub fn exit(mut self) -> Server {
        let r = self.command("-gdb-exit");
        self.check(
            r.class == "exit",
            &format!("-gdb-exit should answer ^exit: {}", r.line),
        );
        let Mi { gdb, server, .. } = self;
        gdb.finish();
        server
    }
}
