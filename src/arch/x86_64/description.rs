//! The target description: the XML that tells gdb and lldb the register
//! numbering of the layout, with the types, ABI roles and DWARF numbers
//! they look for.

use super::features::{Feature, Features};
use super::layout::{layout, RegDesc};
use super::mode::Mode;
use std::fmt::Write as _;

/// The bits of eflags, for `org.gnu.gdb.i386.core`.
const EFLAGS_FLAGS: &str = r#"  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
"#;

/// The bits of mxcsr, for `org.gnu.gdb.i386.sse`.
const MXCSR_FLAGS: &str = r#"  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>
    <field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/>
    <field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>
    <field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/>
    <field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
  </flags>
"#;

/// The vectors of floats and integers a 128-bit register holds, the
/// bfloat16 one aside: it comes first in one feature and last in the other.
const VECTORS_128: &str = r#"  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
"#;

/// The bfloat16 vector, which newer GDBs add to `vec128`.
const VECTOR_BF16: &str = "  <vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n";

/// `vec128`, the type of an xmm register: any of the vectors.
const VEC128_UNION: &str = r#"  <union id="vec128">
    <field name="v8_bfloat16" type="v8bf16"/><field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>
  </union>
"#;

/// The type of the upper 256 bits of a zmm register.
const VECTOR_2UI128: &str = "  <vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n";

/// The types a feature declares before its registers. Types are scoped to
/// their feature in GDB: the vector types go with `sse`, and `avx512`
/// declares them again for its xmm16-31.
fn feature_types(feature: Feature) -> &'static [&'static str] {
    match feature {
        Feature::Core => &[EFLAGS_FLAGS],
        Feature::Sse => &[VECTOR_BF16, VECTORS_128, VEC128_UNION, MXCSR_FLAGS],
        Feature::Avx512 => &[VECTORS_128, VECTOR_BF16, VEC128_UNION, VECTOR_2UI128],
        Feature::Linux | Feature::Segments | Feature::Avx | Feature::Pkeys => &[],
    }
}

fn plain_int(bits: usize) -> &'static str {
    if bits == 32 {
        "int32"
    } else {
        "int64"
    }
}

/// What lldb reads from a register's attributes (gdb ignores them): its
/// role in the ABI (pc, sp, fp, flags, argument registers) and its DWARF
/// number, which for x86 is also its eh_frame number. Numbers from the
/// System V psABI (amd64 and i386).
fn lldb_roles(mode: Mode, name: &str) -> (Option<&'static str>, Option<u32>) {
    const AMD64: &[(&str, Option<&str>, u32)] = &[
        ("rax", None, 0),
        ("rdx", Some("arg3"), 1),
        ("rcx", Some("arg4"), 2),
        ("rbx", None, 3),
        ("rsi", Some("arg2"), 4),
        ("rdi", Some("arg1"), 5),
        ("rbp", Some("fp"), 6),
        ("rsp", Some("sp"), 7),
        ("r8", Some("arg5"), 8),
        ("r9", Some("arg6"), 9),
        ("r10", None, 10),
        ("r11", None, 11),
        ("r12", None, 12),
        ("r13", None, 13),
        ("r14", None, 14),
        ("r15", None, 15),
        ("rip", Some("pc"), 16),
        ("eflags", Some("flags"), 49),
        ("es", None, 50),
        ("cs", None, 51),
        ("ss", None, 52),
        ("ds", None, 53),
        ("fs", None, 54),
        ("gs", None, 55),
        ("fs_base", None, 58),
        ("gs_base", None, 59),
        ("mxcsr", None, 64),
        ("fctrl", None, 65),
        ("fstat", None, 66),
    ];
    const I386: &[(&str, Option<&str>, u32)] = &[
        ("eax", None, 0),
        ("ecx", None, 1),
        ("edx", None, 2),
        ("ebx", None, 3),
        ("esp", Some("sp"), 4),
        ("ebp", Some("fp"), 5),
        ("esi", None, 6),
        ("edi", None, 7),
        ("eip", Some("pc"), 8),
        ("eflags", Some("flags"), 9),
        ("es", None, 40),
        ("cs", None, 41),
        ("ss", None, 42),
        ("ds", None, 43),
        ("fs", None, 44),
        ("gs", None, 45),
        ("mxcsr", None, 39),
    ];
    let (table, xmm_base, st_base) = match mode {
        Mode::Amd64 => (AMD64, 17, 33),
        Mode::I386 => (I386, 21, 11),
    };
    if let Some(&(_, generic, dwarf)) = table.iter().find(|(n, _, _)| *n == name) {
        return (generic, Some(dwarf));
    }
    let numbered = |prefix: &str| name.strip_prefix(prefix)?.parse::<u32>().ok();
    if let Some(i) = numbered("xmm").filter(|&i| i < 16) {
        return (None, Some(xmm_base + i));
    }
    if let Some(i) = numbered("st").filter(|&i| i < 8) {
        return (None, Some(st_base + i));
    }
    (None, None)
}

/// The register set lldb shows a register in (its `group`), named as
/// lldb-server names them: `register read` shows the first set alone, and
/// that is the general registers.
fn lldb_set(desc: &RegDesc) -> &'static str {
    match desc.feature {
        Feature::Core if desc.ty == "i387_ext" || desc.group == Some("float") => {
            "Floating Point Registers"
        }
        Feature::Core | Feature::Segments => "General Purpose Registers",
        Feature::Sse => "Floating Point Registers",
        Feature::Linux => "Linux Registers",
        Feature::Avx => "Advanced Vector Extensions",
        Feature::Avx512 => "Advanced Vector Extensions 512",
        Feature::Pkeys => "Memory Protection Keys",
    }
}

/// Who reads a target description: lldb shows a `code_ptr` register's
/// symbol twice (once for the type, once for being the pc), so it gets
/// plain integers for the pointer registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    Gdb,
    Lldb,
}

/// The target description for `features`: one `<feature>` per GDB feature,
/// registers in layout order with explicit numbers.
pub fn target_description(mode: Mode, features: Features, reader: Reader) -> String {
    let architecture = match mode {
        Mode::Amd64 => "i386:x86-64",
        Mode::I386 => "i386",
    };
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n\
         <!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n\
         <target version=\"1.0\">\n  \
         <architecture>{architecture}</architecture>\n  \
         <osabi>GNU/Linux</osabi>\n"
    );
    let mut current: Option<Feature> = None;
    for (regnum, desc) in layout(mode, features).iter().enumerate() {
        if current != Some(desc.feature) {
            if current.is_some() {
                xml.push_str("</feature>\n");
            }
            let _ = writeln!(xml, "<feature name=\"{}\">", desc.feature.name());
            for types in feature_types(desc.feature) {
                xml.push_str(types);
            }
            current = Some(desc.feature);
        }
        let ty = match (reader, desc.ty) {
            (Reader::Lldb, "code_ptr" | "data_ptr") => plain_int(desc.bits),
            (_, ty) => ty,
        };
        let _ = write!(
            xml,
            "  <reg name=\"{}\" bitsize=\"{}\" type=\"{ty}\" regnum=\"{regnum}\"",
            desc.name, desc.bits
        );
        let group = match reader {
            Reader::Gdb => desc.group,
            Reader::Lldb => Some(lldb_set(desc)),
        };
        if let Some(group) = group {
            let _ = write!(xml, " group=\"{group}\"");
        }
        if reader == Reader::Lldb && desc.ty == "v2ui128" {
            // lldb reads no 256-bit integer: a zmm's upper half is bytes to it.
            xml.push_str(" encoding=\"vector\" format=\"vector-uint8\"");
        }
        let (generic, dwarf) = lldb_roles(mode, desc.name);
        if mode == Mode::Amd64 && desc.name == "eflags" {
            // lldb's name for it.
            xml.push_str(" altname=\"rflags\"");
        }
        if let Some(generic) = generic {
            let _ = write!(xml, " generic=\"{generic}\"");
        }
        if let Some(dwarf) = dwarf {
            let _ = write!(xml, " dwarf_regnum=\"{dwarf}\" ehframe_regnum=\"{dwarf}\"");
        }
        xml.push_str("/>\n");
    }
    xml.push_str("</feature>\n</target>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::x86_64::pinned::{assert_same_sections, every_feature_set, label};

    #[test]
    fn description_numbers_every_register() {
        let xml = target_description(Mode::Amd64, Features::default(), Reader::Gdb);
        assert!(xml.contains("name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\""));
        assert!(xml.contains("name=\"gs_base\" bitsize=\"64\" type=\"int\" regnum=\"59\""));
        assert_eq!(xml.matches("<feature").count(), 4);
        let lldb = target_description(Mode::Amd64, Features::default(), Reader::Lldb);
        assert!(lldb.contains(
            "name=\"rip\" bitsize=\"64\" type=\"int64\" regnum=\"16\" \
             group=\"General Purpose Registers\" generic=\"pc\""
        ));
        let avx = target_description(
            Mode::Amd64,
            Features {
                avx: true,
                ..Features::default()
            },
            Reader::Gdb,
        );
        assert!(avx.contains("org.gnu.gdb.i386.avx"));
        assert!(avx.contains("name=\"ymm15h\" bitsize=\"128\" type=\"uint128\" regnum=\"75\""));
    }

    /// The target description of every mode, feature set and reader, as
    /// the code gave it before it was split into modules: a refactor must
    /// not change one byte of what gdb and lldb read.
    #[test]
    fn descriptions_are_the_pinned_ones() {
        let mut actual = String::new();
        for mode in [Mode::Amd64, Mode::I386] {
            for features in every_feature_set() {
                for reader in [Reader::Gdb, Reader::Lldb] {
                    let _ = writeln!(actual, "### {} {reader:?}", label(mode, features));
                    actual.push_str(&target_description(mode, features, reader));
                }
            }
        }
        assert_same_sections(
            &actual,
            include_str!("testdata/descriptions.txt"),
            "descriptions.txt",
        );
    }
}
