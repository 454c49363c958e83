//! Test support: the texts pinned in `testdata/` (written by the code as
//! it was before the split into modules) and the combinations they cover.

use super::features::Features;
use super::mode::Mode;

/// Every combination of the optional features, none first.
pub(super) fn every_feature_set() -> impl Iterator<Item = Features> {
    (0..8u8).map(|bits| Features {
        avx: bits & 1 != 0,
        avx512: bits & 2 != 0,
        pkeys: bits & 4 != 0,
    })
}

/// A short label for a combination: "amd64 avx+pkeys", "i386 none".
pub(super) fn label(mode: Mode, features: Features) -> String {
    let mode = match mode {
        Mode::Amd64 => "amd64",
        Mode::I386 => "i386",
    };
    let names = [
        (features.avx, "avx"),
        (features.avx512, "avx512"),
        (features.pkeys, "pkeys"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join("+");
    let names = if names.is_empty() { "none" } else { &names };
    format!("{mode} {names}")
}

/// `actual` against `pinned` (the file `testdata/NAME`), both sections of
/// text each opened by a line `### <label>`, compared section by section
/// so that a failure names the combination that changed. After a change
/// meant to alter them, `RGDB_UPDATE_PINNED=1 cargo test --lib pinned`
/// writes the new texts; review them with `git diff`.
pub(super) fn assert_same_sections(actual: &str, pinned: &str, name: &str) {
    if std::env::var_os("RGDB_UPDATE_PINNED").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/arch/x86_64/testdata")
            .join(name);
        std::fs::write(&path, actual).expect("writing a pinned text");
        return;
    }
    let sections = |text: &str| -> Vec<(String, String)> {
        text.split("### ")
            .skip(1)
            .map(|s| {
                let (label, body) = s.split_once('\n').unwrap_or((s, ""));
                (label.to_string(), body.to_string())
            })
            .collect()
    };
    let (actual, pinned) = (sections(actual), sections(pinned));
    for ((label, body), (pinned_label, pinned_body)) in actual.iter().zip(&pinned) {
        assert_eq!(label, pinned_label);
        assert_eq!(body, pinned_body, "{label} differs from the pinned text");
    }
    assert_eq!(actual.len(), pinned.len(), "number of combinations");
}
