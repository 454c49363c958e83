//! The C programs in tests/fixtures that the tests debug: built once per
//! test process, with the lines their `MARK:name` comments mark and the
//! addresses of their symbols; and temporary directories.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::process::load_base;

/// A C program from `tests/fixtures`, compiled with `-g -O0`.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// The fixture's name, e.g. `basic`.
    pub name: String,
    /// Absolute path of the source file.
    pub source: PathBuf,
    /// Absolute path of the built executable.
    pub exe: PathBuf,
}

impl Fixture {
    /// The executable's path as a string (for debugger and server
    /// arguments).
    pub fn exe_str(&self) -> &str {
        self.exe.to_str().expect("fixture path is not UTF-8")
    }

    /// The source file name, e.g. `basic.c`.
    pub fn file_name(&self) -> String {
        format!("{}.c", self.name)
    }

    /// 1-based line number of the line holding `MARK:<marker>`.
    pub fn line(&self, marker: &str) -> u32 {
        let text = fs::read_to_string(&self.source)
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.source.display()));
        let needle = format!("MARK:{marker} ");
        let needle_end = format!("MARK:{marker}");
        let found = text
            .lines()
            .position(|l| l.contains(&needle) || l.trim_end().ends_with(&needle_end));
        let idx = found.unwrap_or_else(|| panic!("no MARK:{marker} in {}", self.source.display()));
        u32::try_from(idx + 1).expect("line number fits u32")
    }

    /// `file.c:LINE` of the marker, for `break`.
    pub fn location(&self, marker: &str) -> String {
        format!("{}:{}", self.file_name(), self.line(marker))
    }

    /// `file.c:LINE` plus the newline gdb prints after a frame's location
    /// (`... at /path/file.c:LINE`), so that line 3 does not match 33.
    pub fn at(&self, marker: &str) -> String {
        format!("{}\n", self.location(marker))
    }

    /// Address of a symbol in the executable (as linked, before any PIE
    /// relocation), from `nm`.
    pub fn symbol_offset(&self, symbol: &str) -> u64 {
        let out = Command::new("nm")
            .arg(&self.exe)
            .output()
            .unwrap_or_else(|e| panic!("running nm on {}: {e}", self.exe.display()));
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if let (Some(addr), Some(_kind), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            {
                if name == symbol {
                    return u64::from_str_radix(addr, 16)
                        .unwrap_or_else(|e| panic!("bad nm address {addr:?}: {e}"));
                }
            }
        }
        panic!(
            "symbol {symbol} not found by nm in {}:\n{text}",
            self.exe.display()
        )
    }

    /// Address of a symbol in the running process `pid`, found without
    /// the server: the linked address for a position-dependent executable,
    /// the load base in /proc/PID/maps plus the linked offset for a PIE;
    /// `None` if a PIE's mapping is not found.
    pub fn address_in(&self, pid: u32, symbol: &str) -> Option<u64> {
        let offset = self.symbol_offset(symbol);
        if !self.is_pie() {
            return Some(offset);
        }
        load_base(pid, &self.exe).map(|base| base + offset)
    }

    /// True unless the ELF header says `ET_EXEC` (absolute addresses).
    fn is_pie(&self) -> bool {
        let mut header = [0u8; 18];
        fs::File::open(&self.exe)
            .and_then(|mut file| file.read_exact(&mut header))
            .unwrap_or_else(|e| panic!("reading the ELF header of {}: {e}", self.exe.display()));
        u16::from_le_bytes([header[16], header[17]]) != 2
    }
}

/// Builds `tests/fixtures/<name>.c` (`-pthread`) once per test process and
/// returns it.
pub fn fixture(name: &str) -> Fixture {
    build(name, "-pthread")
}

/// Builds `tests/fixtures/<name>.c` as a 32-bit program (`-m32`, which
/// needs gcc-multilib) once per test process and returns it.
pub fn fixture_m32(name: &str) -> Fixture {
    build(name, "-m32")
}

/// Builds `tests/fixtures/<name>.c` at a fixed address (`-no-pie`), for
/// the gdb commands that take a section's addresses from the file as they
/// are (`compare-sections`), once per test process and returns it.
pub fn fixture_no_pie(name: &str) -> Fixture {
    build(name, "-no-pie")
}

/// Builds a fixture with `-g -O0 -Wall` and `flag`, once per name.
///
/// The executable is compiled to a unique temporary name, then renamed into
/// place, so concurrent test processes never see a half-written file; an
/// identical executable already in place is kept rather than replaced.
fn build(name: &str, flag: &str) -> Fixture {
    static BUILT: OnceLock<Mutex<HashMap<String, Fixture>>> = OnceLock::new();
    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Holding the lock while compiling serializes builds within a process,
    // which is what we want: each fixture is built once.
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(f) = built.get(name) {
        return f.clone();
    }

    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.c"));
    assert!(source.is_file(), "no fixture source {}", source.display());
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgdb-fixtures");
    fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let exe = out_dir.join(name);
    let tmp = out_dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .args(["-g", "-O0", flag, "-Wall", "-o"])
        .arg(&tmp)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("running {cc} (is a C compiler installed?): {e}"));
    assert!(
        out.status.success(),
        "`{cc} {flag}` failed on {} ({}){}:\n{}{}",
        source.display(),
        out.status,
        if flag == "-m32" {
            "; is gcc-multilib installed (scripts/test.sh installs it)?"
        } else {
            ""
        },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Other test processes may be running the executable already: keep it
    // when the new build is the same (builds are deterministic), so that a
    // running program's /proc/PID/exe never becomes "(deleted)" (a program
    // that execs itself through it would fail).
    let same = matches!((fs::read(&tmp), fs::read(&exe)), (Ok(new), Ok(old)) if new == old);
    if same {
        let _ = fs::remove_file(&tmp);
    } else {
        fs::rename(&tmp, &exe)
            .unwrap_or_else(|e| panic!("renaming {} to {}: {e}", tmp.display(), exe.display()));
    }

    let f = Fixture {
        name: name.to_string(),
        source,
        exe,
    };
    built.insert(name.to_string(), f.clone());
    f
}

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/rgdb-TAG-PID-N` (short, so that Unix socket paths
    /// in it stay under the 108-byte limit).
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        loop {
            let path = base.join(format!(
                "rgdb-{tag}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            match fs::create_dir(&path) {
                Ok(()) => {
                    let path = fs::canonicalize(&path).unwrap_or(path);
                    return TempDir { path };
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("creating {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
