//! A test that keeps the layers of lib.rs honest: every module refers only
//! to modules of its own layer or of the layers below it, and no two source
//! files refer to each other, directly or through others. It reads the
//! source files and follows `crate::`, `super::` and `self::` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The top-level modules, top to bottom: each may use those after it.
const LAYERS: &[&str] = &[
    "cli",
    "server",
    "rsp",
    "inferior",
    "agent",
    "arch",
    "sys",
    "console",
    "debug_output",
];

/// Module path (`rsp::codec`) -> source text, for every file under src/.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("reading src/")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let module = match (prefix, name) {
                ("", "lib" | "main") => String::new(),
                (_, "mod") => prefix.to_string(),
                ("", _) => name.to_string(),
                _ => format!("{prefix}::{name}"),
            };
            if path.is_dir() {
                walk(&path, &module, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("reading a source file");
                out.insert(module, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut out,
    );
    out
}

/// The code of a file without its unit tests (they may reach anywhere).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |i| &text[..i])
}

/// The modules a file's paths name, resolved to files that exist.
fn references(module: &str, text: &str, files: &BTreeMap<String, String>) -> BTreeSet<String> {
    let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let mut found = BTreeSet::new();
    // A module with a directory names its children without a prefix.
    for child in files.keys() {
        let Some(name) = child
            .strip_prefix(module)
            .map(|rest| rest.trim_start_matches("::"))
            .filter(|rest| !rest.is_empty() && !rest.contains("::") && child != module)
        else {
            continue;
        };
        let named = text.match_indices(&format!("{name}::")).any(|(i, _)| {
            i == 0 || {
                let before = text.as_bytes()[i - 1];
                !(before.is_ascii_alphanumeric() || before == b'_' || before == b':')
            }
        });
        if named {
            found.insert(child.clone());
        }
    }
    let bytes = text.as_bytes();
    for start in 0..bytes.len() {
        let rest = &text[start..];
        let head = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|h| rest.starts_with(h));
        let preceded =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let (Some(_), false) = (head, preceded) else {
            continue;
        };
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        // A file module's `super` is its parent; a mod.rs module's `self` is itself.
        let mut base: Vec<&str> = match parts.first() {
            Some(&"crate") => Vec::new(),
            _ => own.clone(),
        };
        while let Some(&first) = parts.first() {
            match first {
                "crate" | "self" => {}
                "super" => {
                    base.pop();
                }
                _ => break,
            }
            parts.remove(0);
        }
        base.extend(parts);
        // The longest prefix that is a file.
        while !base.is_empty() {
            let candidate = base.join("::");
            if files.contains_key(&candidate) {
                if candidate != module {
                    found.insert(candidate);
                }
                break;
            }
            base.pop();
        }
    }
    found
}

fn layer(module: &str) -> Option<usize> {
    let top = module.split("::").next()?;
    LAYERS.iter().position(|l| *l == top)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    files
        .iter()
        .map(|(module, text)| {
            (
                module.clone(),
                references(module, without_tests(text), &files),
            )
        })
        .collect()
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let mut upward = Vec::new();
    for (module, uses) in graph() {
        for used in uses {
            if let (Some(from), Some(to)) = (layer(&module), layer(&used)) {
                if to < from {
                    upward.push(format!("{module} -> {used}"));
                }
            }
        }
    }
    assert!(upward.is_empty(), "upward references: {upward:#?}");
}

#[test]
fn no_source_files_use_each_other_in_a_cycle() {
    let graph = graph();
    // A file is in a cycle if it can reach itself.
    let mut cycles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[start].iter().collect();
        while let Some(next) = todo.pop() {
            if next == start {
                cycles.push(start.clone());
                break;
            }
            if seen.insert(next) {
                todo.extend(graph.get(next).into_iter().flatten());
            }
        }
    }
    assert!(cycles.is_empty(), "files in a cycle: {cycles:#?}");
}

#[test]
fn the_graph_sees_real_references() {
    let graph = graph();
    assert!(
        graph["server::session"].contains("rsp"),
        "{:?}",
        graph["server::session"]
    );
    assert!(graph["rsp::engine"].contains("rsp::codec"));
}
