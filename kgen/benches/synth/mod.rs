//! A synthetic API tree for benchmarking and stress-testing `kgen crd`.
//!
//! [`write_tree`] writes a deterministic tree of Rust API types (seeded by [`SEED`], no `rand`):
//!
//! ```text
//! <dir>/lib.rs                       pub mod <group>; ...
//! <dir>/<group>/mod.rs               pub mod v1; pub mod v1beta1; ...
//! <dir>/<group>/<version>/mod.rs     //! +groupName=<group>.bench.kgen.dev, pub mod types; pub mod <kind>; ...
//! <dir>/<group>/<version>/types.rs   types shared by the version's kinds
//! <dir>/<group>/<version>/<kind>.rs  one kind and its nested types, 3-4 levels deep
//! ```
//!
//! Every kind exists in every version of its group (a different shape per version) and the
//! first version (`v1`) is the storage version. Every marker written is valid: defaults satisfy
//! their constraints, list-map keys are required fields, CEL rules name existing fields.
//!
//! Usable from a benchmark (`mod synth;`) or a test (`#[path = "../benches/synth/mod.rs"] mod synth;`).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The constant the whole tree is derived from.
pub const SEED: u64 = 0x6b67_656e_2d62_656e;

/// API group name suffix: a group `storage` is `storage.bench.kgen.dev`.
pub const GROUP_SUFFIX: &str = "bench.kgen.dev";

/// What [`write_tree`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// `.rs` files written.
    pub files: usize,
    /// Lines written (newline characters), over all files.
    pub lines: usize,
    /// Bytes written, over all files.
    pub bytes: usize,
    /// API groups (directories with at least one kind).
    pub groups: usize,
    /// Group-versions (modules with `+groupName`).
    pub group_versions: usize,
    /// Distinct kinds (group, kind): the number of CRDs `kgen crd` should write.
    pub kinds: usize,
    /// Kind structs over all versions (the number of CRD versions).
    pub kind_versions: usize,
    /// Structs and enums, kinds included.
    pub types: usize,
    /// Struct fields and enum variants.
    pub fields: usize,
    /// Markers written (doc-comment and `#[kgen(...)]` spellings alike).
    pub markers: usize,
}

/// Writes the tree into `dir` (created if missing; must not hold a previous tree) until it has at
/// least `target_lines` lines, and returns what it wrote. Panics on I/O errors.
pub fn write_tree(dir: &Path, target_lines: usize) -> TreeStats {
    let mut stats = TreeStats::default();
    let mut rng = Rng::new(SEED);
    let mut groups: Vec<Group> = GROUPS
        .iter()
        .map(|name| {
            let n = if rng.below(3) == 0 { 3 } else { 2 };
            Group {
                name,
                versions: &VERSIONS[..n],
                kinds: Vec::new(),
            }
        })
        .collect();
    let mut files: Vec<(std::path::PathBuf, String)> = Vec::new();
    let mut lines = 0usize;
    let mut kind_index = 0usize;
    while lines < target_lines || kind_index == 0 {
        let g = kind_index % groups.len();
        let kind = kind_name(kind_index);
        let group = &mut groups[g];
        if group.kinds.is_empty() {
            // The group's shared types, once per version.
            for (vi, v) in group.versions.iter().enumerate() {
                let mut fg = FileGen::new(String::new(), mix(SEED, (g * 16 + vi) as u64 ^ 0xabcd));
                let text = fg.shared_types(group.name, v);
                stats.add(&fg);
                lines += count_lines(&text);
                files.push((dir.join(group.name).join(v).join("types.rs"), text));
            }
        }
        let multi = group.versions.len() > 1;
        for (vi, v) in group.versions.iter().enumerate() {
            let mut fg = FileGen::new(kind.clone(), mix(SEED, (kind_index as u64) << 8 | vi as u64));
            let text = fg.kind_file(&KindInfo {
                group: group.name,
                version: v,
                index: kind_index,
                storage: multi && vi == 0,
            });
            stats.add(&fg);
            stats.kind_versions += 1;
            lines += count_lines(&text);
            files.push((dir.join(group.name).join(v).join(format!("{}.rs", snake(&kind))), text));
        }
        group.kinds.push(kind);
        stats.kinds += 1;
        kind_index += 1;
    }

    // Module files.
    let mut lib = String::from("//! Synthetic Kubernetes API types written by kgen's benchmark generator.\n\n");
    for group in groups.iter().filter(|g| !g.kinds.is_empty()) {
        stats.groups += 1;
        writeln!(lib, "pub mod {};", group.name).unwrap();
        let mut gm = format!("//! The `{}.{GROUP_SUFFIX}` API group.\n\n", group.name);
        for v in group.versions {
            stats.group_versions += 1;
            writeln!(gm, "pub mod {v};").unwrap();
            let mut vm = format!(
                "//! The `{g}.{GROUP_SUFFIX}` API group, version {v}: {n} synthetic kinds.\n//!\n//! +groupName={g}.{GROUP_SUFFIX}\n",
                g = group.name,
                n = group.kinds.len()
            );
            stats.markers += 1;
            vm.push_str("\npub mod types;\n");
            for k in &group.kinds {
                writeln!(vm, "pub mod {};", snake(k)).unwrap();
            }
            files.push((dir.join(group.name).join(v).join("mod.rs"), vm));
        }
        files.push((dir.join(group.name).join("mod.rs"), gm));
    }
    files.push((dir.join("lib.rs"), lib));

    for (path, text) in &files {
        fs::create_dir_all(path.parent().expect("parent"))
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        stats.files += 1;
        stats.lines += count_lines(text);
        stats.bytes += text.len();
    }
    stats
}

impl TreeStats {
    fn add(&mut self, fg: &FileGen) {
        self.types += fg.types;
        self.fields += fg.fields;
        self.markers += fg.markers;
    }
}

fn count_lines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

struct Group {
    name: &'static str,
    versions: &'static [&'static str],
    kinds: Vec<String>,
}

struct KindInfo<'a> {
    group: &'a str,
    version: &'a str,
    index: usize,
    storage: bool,
}

const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

const GROUPS: [&str; 20] = [
    "storage",
    "network",
    "compute",
    "batch",
    "identity",
    "billing",
    "catalog",
    "telemetry",
    "messaging",
    "scheduling",
    "security",
    "backup",
    "database",
    "cache",
    "registry",
    "ingress",
    "workflow",
    "vault",
    "quota",
    "audit",
];

const KIND_PREFIXES: [&str; 16] = [
    "Blue", "Red", "Green", "Amber", "Silver", "Golden", "Swift", "Quiet", "Bright", "Deep", "Rapid", "Solid", "Prime",
    "Lunar", "Solar", "Polar",
];

const KIND_NOUNS: [&str; 40] = [
    "Widget",
    "Gadget",
    "Bucket",
    "Gateway",
    "Pipeline",
    "Cluster",
    "Tenant",
    "Volume",
    "Snapshot",
    "Channel",
    "Router",
    "Listener",
    "Certificate",
    "Domain",
    "Endpoint",
    "Job",
    "Schedule",
    "Queue",
    "Topic",
    "Stream",
    "Index",
    "Replica",
    "Shard",
    "Backend",
    "Frontend",
    "Mirror",
    "Tunnel",
    "Firewall",
    "Account",
    "Project",
    "Workspace",
    "Runner",
    "Builder",
    "Release",
    "Rollout",
    "Canary",
    "Probe",
    "Monitor",
    "Alert",
    "Report",
];

/// A unique kind name for every index.
fn kind_name(i: usize) -> String {
    let p = KIND_PREFIXES[i % KIND_PREFIXES.len()];
    let n = KIND_NOUNS[(i / KIND_PREFIXES.len()) % KIND_NOUNS.len()];
    let round = i / (KIND_PREFIXES.len() * KIND_NOUNS.len());
    if round == 0 {
        format!("{p}{n}")
    } else {
        format!("{p}{n}{}", round + 1)
    }
}

/// A short name for the kind, the same in every version: initials plus the index.
fn short_name(kind: &str, index: usize) -> String {
    let initials: String = kind
        .chars()
        .filter(|c| c.is_ascii_uppercase())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("{initials}{index}")
}

/// Field-name words; none is a Rust keyword, and `name`, `a` and `b` are kept for fixed fields.
const WORDS: [&str; 64] = [
    "replicas",
    "image",
    "timeout",
    "retries",
    "region",
    "zone",
    "tier",
    "weight",
    "priority",
    "capacity",
    "endpoint",
    "selector",
    "labels",
    "owner",
    "channel",
    "interval",
    "window",
    "budget",
    "limit",
    "threshold",
    "format",
    "codec",
    "protocol",
    "port",
    "host",
    "path",
    "prefix",
    "suffix",
    "suspend",
    "paused",
    "mode",
    "policy",
    "strategy",
    "backoff",
    "jitter",
    "quota",
    "storage",
    "memory",
    "cpu",
    "disk",
    "network",
    "subnet",
    "gateway",
    "route",
    "target",
    "source",
    "schedule",
    "retention",
    "history",
    "revision",
    "checksum",
    "digest",
    "version",
    "release",
    "track",
    "stage",
    "phase",
    "reason",
    "message",
    "detail",
    "summary",
    "comment",
    "annotation",
    "template",
];

const VARIANTS: [&str; 24] = [
    "Always",
    "Never",
    "OnFailure",
    "Fast",
    "Slow",
    "Balanced",
    "Strict",
    "Lenient",
    "Primary",
    "Secondary",
    "Manual",
    "Automatic",
    "Retain",
    "Delete",
    "Recycle",
    "Immediate",
    "Deferred",
    "Rolling",
    "Recreate",
    "Blue",
    "Green",
    "Active",
    "Standby",
    "Disabled",
];

const SHARED_DOC: &str = "#[derive(Serialize, Deserialize, Clone, Debug)]\n#[serde(rename_all = \"camelCase\")]\n";

/// xorshift64*, seeded through splitmix64 so that nearby seeds give unrelated streams.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Self {
        Rng(splitmix(seed) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn mix(a: u64, b: u64) -> u64 {
    splitmix(a ^ splitmix(b))
}

fn snake(camel: &str) -> String {
    let mut s = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Deepest struct level: the kind is 0, its spec 1; structs at this level hold only leaves.
const MAX_DEPTH: usize = 4;

/// Shared types in `types.rs` a kind file may use.
#[derive(Clone, Copy)]
enum Shared {
    SecretKeySelector,
    IntRange,
    TargetRef,
    ResourceLimits,
}

impl Shared {
    fn name(self) -> &'static str {
        match self {
            Shared::SecretKeySelector => "BenchSecretKeySelector",
            Shared::IntRange => "BenchIntRange",
            Shared::TargetRef => "BenchTargetRef",
            Shared::ResourceLimits => "BenchResourceLimits",
        }
    }
}

const SHARED: [Shared; 4] = [
    Shared::SecretKeySelector,
    Shared::IntRange,
    Shared::TargetRef,
    Shared::ResourceLimits,
];

/// Writes one file: a kind with its nested types, or a version's shared types.
struct FileGen {
    kind: String,
    rng: Rng,
    /// Type blocks in output order.
    blocks: Vec<String>,
    type_names: BTreeSet<String>,
    uses_quantity: bool,
    uses_condition: bool,
    uses_btreemap: bool,
    uses_shared: BTreeSet<&'static str>,
    types: usize,
    fields: usize,
    markers: usize,
}

/// One field being written: doc comment (description, then doc-comment markers), attributes
/// (`#[kgen(...)]`, then `#[serde(...)]`), declaration.
struct FieldOut {
    doc: String,
    attrs: String,
    markers: usize,
}

impl FieldOut {
    fn new(doc: &str) -> Self {
        FieldOut {
            doc: format!("    /// {doc}\n"),
            attrs: String::new(),
            markers: 0,
        }
    }

    /// A doc-comment marker; a blank doc line parts the first one from the description.
    fn doc_marker(&mut self, m: &str) {
        if !self.doc.contains("    ///\n") {
            self.doc.push_str("    ///\n");
        }
        writeln!(self.doc, "    /// +{m}").unwrap();
        self.markers += 1;
    }

    /// A `#[kgen(...)]` attribute holding `n` markers.
    fn attr(&mut self, body: &str, n: usize) {
        writeln!(self.attrs, "    #[kgen({body})]").unwrap();
        self.markers += n;
    }

    /// Another attribute, such as `#[serde(...)]`.
    fn line(&mut self, l: &str) {
        writeln!(self.attrs, "    {l}").unwrap();
    }

    fn decl(mut self, name: &str, ty: &str) -> Self {
        self.doc.push_str(&self.attrs);
        self.attrs.clear();
        writeln!(self.doc, "    pub {name}: {ty},").unwrap();
        self
    }
}

const OPT_SERDE: &str = "#[serde(default, skip_serializing_if = \"Option::is_none\")]";
const VEC_SERDE: &str = "#[serde(default, skip_serializing_if = \"Vec::is_empty\")]";
const MAP_SERDE: &str = "#[serde(default, skip_serializing_if = \"BTreeMap::is_empty\")]";

impl FileGen {
    fn new(kind: String, seed: u64) -> Self {
        FileGen {
            kind,
            rng: Rng::new(seed),
            blocks: Vec::new(),
            type_names: BTreeSet::new(),
            uses_quantity: false,
            uses_condition: false,
            uses_btreemap: false,
            uses_shared: BTreeSet::new(),
            types: 0,
            fields: 0,
            markers: 0,
        }
    }

    /// A type name `<Kind><Stem>` not used yet in this file.
    fn type_name(&mut self, stem: &str) -> String {
        let base = format!("{}{}", self.kind, stem);
        let mut name = base.clone();
        let mut n = 2;
        while !self.type_names.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    fn field_name(&mut self, used: &mut BTreeSet<String>) -> String {
        loop {
            let a = *self.rng.pick(&WORDS);
            let name = if self.rng.chance(40) {
                format!("{a}_{}", self.rng.pick(&WORDS))
            } else {
                a.to_string()
            };
            let parts: Vec<&str> = name.split('_').collect();
            if parts.len() == 2 && parts[0] == parts[1] {
                continue;
            }
            if used.insert(name.clone()) {
                return name;
            }
        }
    }

    fn push_field(&mut self, out: &mut String, f: FieldOut) {
        self.fields += 1;
        self.markers += f.markers;
        out.push_str(&f.doc);
    }

    fn struct_header(&mut self, doc: &str, type_markers: &[String], attr: Option<&str>) -> String {
        let mut s = format!("/// {doc}\n");
        if !type_markers.is_empty() {
            s.push_str("///\n");
            for m in type_markers {
                writeln!(s, "/// +{m}").unwrap();
                self.markers += 1;
            }
        }
        s.push_str(SHARED_DOC);
        if let Some(a) = attr {
            writeln!(s, "#[kgen({a})]").unwrap();
            self.markers += 1;
        }
        s
    }

    /// The whole file for one version of a kind.
    fn kind_file(&mut self, k: &KindInfo<'_>) -> String {
        let kind = self.kind.clone();
        self.type_names.insert(kind.clone());
        let spec = self.type_name("Spec");
        let status = self.type_name("Status");

        let mut markers = vec![
            format!(
                "kubebuilder:resource:scope={},shortName={}",
                if k.index % 7 == 6 { "Cluster" } else { "Namespaced" },
                short_name(&kind, k.index)
            ),
            "kubebuilder:subresource:status".to_string(),
            "kubebuilder:printcolumn:name=\"Phase\",type=string,JSONPath=\".status.phase\"".to_string(),
            "kubebuilder:printcolumn:name=\"Age\",type=date,JSONPath=\".metadata.creationTimestamp\"".to_string(),
        ];
        if k.storage {
            markers.push("kubebuilder:storageversion".to_string());
        }
        let doc = format!(
            "{kind} is a synthetic kind of the `{}.{GROUP_SUFFIX}` group, version {}, written to benchmark kgen.",
            k.group, k.version
        );
        let mut s = self.struct_header(&doc, &markers, None);
        writeln!(s, "pub struct {kind} {{").unwrap();
        self.push_field(
            &mut s,
            FieldOut::new("Standard object metadata.").decl("metadata", "ObjectMeta"),
        );
        self.push_field(
            &mut s,
            FieldOut::new(&format!("The desired state of the {kind}.")).decl("spec", &spec),
        );
        let mut f = FieldOut::new(&format!("The observed state of the {kind}."));
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("status", &format!("Option<{status}>")));
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);

        let fields = self.rng.range(8, 12);
        self.gen_struct(&spec, &format!("The desired state of a {kind}."), 1, fields, false);
        self.gen_status(&status);

        let mut out = format!("//! The `{kind}` kind, version {}.\n\n", k.version);
        if self.uses_quantity {
            out.push_str("use k8s_openapi::apimachinery::pkg::api::resource::Quantity;\n");
        }
        if self.uses_condition {
            out.push_str("use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta};\n");
        } else {
            out.push_str("use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n");
        }
        out.push_str("use serde::{Deserialize, Serialize};\n");
        if self.uses_btreemap {
            out.push_str("use std::collections::BTreeMap;\n");
        }
        if !self.uses_shared.is_empty() {
            let names: Vec<&str> = self.uses_shared.iter().copied().collect();
            if names.len() == 1 {
                writeln!(out, "\nuse super::types::{};", names[0]).unwrap();
            } else {
                writeln!(out, "\nuse super::types::{{{}}};", names.join(", ")).unwrap();
            }
        }
        for b in &self.blocks {
            out.push('\n');
            out.push_str(b);
        }
        out
    }

    /// The status: phase, observed generation, conditions, and a few random fields.
    fn gen_status(&mut self, name: &str) {
        let idx = self.blocks.len();
        self.blocks.push(String::new());
        let mut s = self.struct_header(&format!("The observed state of a {}.", self.kind), &[], None);
        writeln!(s, "pub struct {name} {{").unwrap();
        let mut used: BTreeSet<String> = ["phase", "observed_generation", "conditions", "name", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();

        let phase = self.type_name("Phase");
        self.gen_enum(
            &phase,
            &format!("Where a {} is in its life.", self.kind),
            &["Pending", "Running", "Failed"],
        );
        let mut f = FieldOut::new("Where the object is in its life.");
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("phase", &format!("Option<{phase}>")));

        let mut f = FieldOut::new("The `.metadata.generation` this status was written for.");
        if self.rng.chance(50) {
            f.doc_marker("optional");
        }
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("observed_generation", "Option<i64>"));

        let mut f = FieldOut::new("The latest observations of the object's state.");
        if self.rng.chance(50) {
            f.doc_marker("listType=map");
            f.doc_marker("listMapKey=type");
        } else {
            f.attr("list_type = \"map\", list_map_key = \"type\"", 2);
        }
        f.doc_marker("optional");
        f.line(VEC_SERDE);
        self.uses_condition = true;
        self.push_field(&mut s, f.decl("conditions", "Vec<Condition>"));

        for _ in 0..self.rng.range(2, 4) {
            let fname = self.field_name(&mut used);
            // Status fields are all optional: the controller writes them.
            let f = self.leaf_field(&fname, true);
            self.push_field(&mut s, f);
        }
        if self.rng.chance(50) {
            let fname = self.field_name(&mut used);
            let f = self.nested_field(&fname, 3, true);
            self.push_field(&mut s, f);
        }
        s.push_str("}\n");
        self.types += 1;
        self.blocks[idx] = s;
    }

    /// A struct at `depth` with `n` fields, written after the blocks already there.
    fn gen_struct(&mut self, name: &str, doc: &str, depth: usize, n: usize, list_item: bool) {
        let idx = self.blocks.len();
        self.blocks.push(String::new());
        let mut s = self.struct_header(doc, &[], None);
        writeln!(s, "pub struct {name} {{").unwrap();
        let mut used: BTreeSet<String> = ["name", "a", "b", "phase", "conditions"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if list_item {
            // The list-map key: required, so every item has one.
            let mut f = FieldOut::new("Name of the entry, unique within the list.");
            match self.rng.below(3) {
                0 => {
                    f.doc_marker("kubebuilder:validation:MaxLength=63");
                    f.doc_marker("kubebuilder:validation:Pattern=`^[a-z]+$`");
                }
                1 => f.attr("min_length = 1, max_length = 63", 2),
                _ => {}
            }
            self.push_field(&mut s, f.decl("name", "String"));
        }
        let mut nested = 0;
        let max_nested = match depth {
            1 => 4,
            2 => 2,
            _ => 1,
        };
        for _ in 0..n {
            let fname = self.field_name(&mut used);
            let nest_pct = match depth {
                1 => 45,
                2 => 30,
                _ => 20,
            };
            let f = if depth < MAX_DEPTH && nested < max_nested && self.rng.chance(nest_pct) {
                nested += 1;
                self.nested_field(&fname, depth + 1, false)
            } else {
                self.leaf_field(&fname, false)
            };
            self.push_field(&mut s, f);
        }
        s.push_str("}\n");
        self.types += 1;
        self.blocks[idx] = s;
    }

    fn gen_enum(&mut self, name: &str, doc: &str, variants: &[&str]) {
        let mut s = format!(
            "/// {doc}\n#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]\npub enum {name} {{\n"
        );
        for v in variants {
            writeln!(s, "    /// The `{v}` value.\n    {v},").unwrap();
            self.fields += 1;
        }
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);
    }

    /// A field whose type is a struct of this file (or a shared one) at `depth`.
    fn nested_field(&mut self, fname: &str, depth: usize, force_optional: bool) -> FieldOut {
        let stem = camel(fname);
        let doc = format!("The {} settings.", fname.replace('_', " "));
        let n = self.rng.range(4, 8);
        match self.rng.below(if force_optional { 4 } else { 7 }) {
            // Option<nested>
            0 => {
                let t = self.type_name(&stem);
                self.gen_struct(
                    &t,
                    &format!("{} of a {}.", camel_words(fname), self.kind),
                    depth,
                    n,
                    false,
                );
                let mut f = FieldOut::new(&doc);
                f.line(OPT_SERDE);
                f.decl(fname, &format!("Option<{t}>"))
            }
            // A list map of nested structs keyed by a required `name`.
            1 => {
                let t = self.type_name(&format!("{stem}Entry"));
                self.gen_struct(
                    &t,
                    &format!("One {} entry of a {}.", fname.replace('_', " "), self.kind),
                    depth,
                    n.min(6),
                    true,
                );
                let mut f = FieldOut::new(&format!("The {} entries, by name.", fname.replace('_', " ")));
                match self.rng.below(3) {
                    0 => {
                        f.doc_marker("listType=map");
                        f.doc_marker("listMapKey=name");
                    }
                    1 => f.attr("list_type = \"map\", list_map_key = \"name\"", 2),
                    _ => {
                        f.doc_marker("listType=map");
                        f.doc_marker("listMapKey=name");
                        f.attr("max_items = 10", 1);
                    }
                }
                f.doc_marker("optional");
                f.line(VEC_SERDE);
                f.decl(fname, &format!("Vec<{t}>"))
            }
            // A map of nested structs.
            2 => {
                let t = self.type_name(&format!("{stem}Value"));
                self.gen_struct(
                    &t,
                    &format!("One {} value of a {}.", fname.replace('_', " "), self.kind),
                    depth,
                    n.min(5),
                    false,
                );
                self.uses_btreemap = true;
                let mut f = FieldOut::new(&format!("The {} values, by key.", fname.replace('_', " ")));
                if self.rng.chance(50) {
                    f.doc_marker("optional");
                }
                f.line(MAP_SERDE);
                f.decl(fname, &format!("BTreeMap<String, {t}>"))
            }
            // A shared type from types.rs.
            3 => {
                let sh = *self.rng.pick(&SHARED);
                self.uses_shared.insert(sh.name());
                let mut f = FieldOut::new(&doc);
                f.line(OPT_SERDE);
                f.decl(fname, &format!("Option<{}>", sh.name()))
            }
            // A required nested struct.
            4 | 5 => {
                let t = self.type_name(&stem);
                self.gen_struct(
                    &t,
                    &format!("{} of a {}.", camel_words(fname), self.kind),
                    depth,
                    n,
                    false,
                );
                FieldOut::new(&doc).decl(fname, &t)
            }
            // A CEL-validated a..b window, its rule in the attribute spelling.
            _ => {
                let t = self.type_name(&format!("{stem}Window"));
                let mut s = self.struct_header(
                    &format!(
                        "A window of {} values; `a` must not exceed `b`.",
                        fname.replace('_', " ")
                    ),
                    &[],
                    Some("validation(rule = \"self.a <= self.b\", message = \"a <= b\")"),
                );
                writeln!(s, "pub struct {t} {{").unwrap();
                let mut a = FieldOut::new("Lower bound, inclusive.");
                a.doc_marker("kubebuilder:validation:Minimum=0");
                self.push_field(&mut s, a.decl("a", "i32"));
                self.push_field(&mut s, FieldOut::new("Upper bound, inclusive.").decl("b", "i32"));
                s.push_str("}\n");
                self.types += 1;
                self.blocks.push(s);
                FieldOut::new(&doc).decl(fname, &t)
            }
        }
    }

    /// A scalar, string, enum, list or map field; optional ones when `force_optional`.
    fn leaf_field(&mut self, fname: &str, force_optional: bool) -> FieldOut {
        let words = fname.replace('_', " ");
        let shape = self.rng.below(24);
        let opt = |f: &mut FieldOut, ty: &str| -> String {
            f.line(OPT_SERDE);
            format!("Option<{ty}>")
        };
        match shape {
            // Strings, plain or constrained.
            0..=5 => {
                let mut f = FieldOut::new(&format!("The {words}, as free text."));
                let doc_spelling = self.rng.chance(50);
                let max_len = self.rng.chance(35);
                let pattern = self.rng.chance(25);
                let default = (max_len || pattern) && self.rng.chance(30);
                if doc_spelling {
                    if max_len {
                        f.doc_marker("kubebuilder:validation:MaxLength=63");
                    }
                    if pattern {
                        f.doc_marker("kubebuilder:validation:Pattern=`^[a-z]+$`");
                    }
                    if default {
                        f.doc_marker("kubebuilder:default=standard");
                    }
                } else {
                    let mut parts = Vec::new();
                    if max_len {
                        parts.push("max_length = 63");
                    }
                    if pattern {
                        parts.push("pattern = \"^[a-z]+$\"");
                    }
                    if default {
                        parts.push("default = \"standard\"");
                    }
                    if !parts.is_empty() {
                        f.attr(&parts.join(", "), parts.len());
                    }
                }
                let ty = if default || force_optional || self.rng.chance(30) {
                    opt(&mut f, "String")
                } else {
                    "String".into()
                };
                f.decl(fname, &ty)
            }
            // i32 with bounds or a default.
            6..=8 => {
                let mut f = FieldOut::new(&format!("The {words} count."));
                if self.rng.chance(40) {
                    // Default 3 within [1, 10].
                    if self.rng.chance(50) {
                        f.doc_marker("kubebuilder:validation:Minimum=1");
                        f.doc_marker("kubebuilder:validation:Maximum=10");
                        f.doc_marker("kubebuilder:default=3");
                        if self.rng.chance(50) {
                            f.doc_marker("optional");
                        }
                    } else {
                        f.attr("minimum = 1, maximum = 10, default = 3", 3);
                    }
                    let ty = opt(&mut f, "i32");
                    return f.decl(fname, &ty);
                }
                if self.rng.chance(50) {
                    if self.rng.chance(50) {
                        f.doc_marker("kubebuilder:validation:Minimum=1");
                    } else {
                        f.attr("minimum = 1", 1);
                    }
                }
                let ty = if force_optional {
                    opt(&mut f, "i32")
                } else {
                    "i32".into()
                };
                f.decl(fname, &ty)
            }
            9 => {
                let mut f = FieldOut::new(&format!("The {words}, in seconds."));
                if self.rng.chance(40) {
                    f.doc_marker("kubebuilder:validation:Minimum=0");
                }
                let ty = if force_optional || self.rng.chance(40) {
                    opt(&mut f, "i64")
                } else {
                    "i64".into()
                };
                f.decl(fname, &ty)
            }
            10 => {
                let mut f = FieldOut::new(&format!("The {words} port or size."));
                if self.rng.chance(40) {
                    f.attr("maximum = 65535", 1);
                }
                let ty = if force_optional || self.rng.chance(40) {
                    opt(&mut f, "u32")
                } else {
                    "u32".into()
                };
                f.decl(fname, &ty)
            }
            11 => {
                let mut f = FieldOut::new(&format!("The {words} ratio."));
                if self.rng.chance(40) {
                    f.doc_marker("kubebuilder:validation:Minimum=0");
                }
                let ty = if force_optional || self.rng.chance(40) {
                    opt(&mut f, "f64")
                } else {
                    "f64".into()
                };
                f.decl(fname, &ty)
            }
            12 | 13 => {
                let mut f = FieldOut::new(&format!("Whether {words} is on."));
                if force_optional || self.rng.chance(50) {
                    if self.rng.chance(50) {
                        f.doc_marker("kubebuilder:default=false");
                    }
                    let ty = opt(&mut f, "bool");
                    f.decl(fname, &ty)
                } else {
                    f.decl(fname, "bool")
                }
            }
            // A string enum.
            14 | 15 => {
                let t = self.type_name(&format!("{}Kind", camel(fname)));
                let n = self.rng.range(3, 5);
                let mut vs: Vec<&str> = Vec::new();
                while vs.len() < n {
                    let v = *self.rng.pick(&VARIANTS);
                    if !vs.contains(&v) {
                        vs.push(v);
                    }
                }
                self.gen_enum(&t, &format!("The choices of {words}."), &vs);
                let mut f = FieldOut::new(&format!("How {words} behaves."));
                if force_optional || self.rng.chance(50) {
                    if self.rng.chance(50) {
                        f.doc_marker(&format!("kubebuilder:default={}", vs[0]));
                    }
                    let ty = opt(&mut f, &t);
                    f.decl(fname, &ty)
                } else {
                    f.decl(fname, &t)
                }
            }
            // A list of strings.
            16 | 17 => {
                let mut f = FieldOut::new(&format!("The {words} values."));
                match self.rng.below(3) {
                    0 => f.attr("max_items = 10", 1),
                    1 => {
                        f.doc_marker("kubebuilder:validation:MaxItems=10");
                        f.doc_marker("listType=set");
                    }
                    _ => {}
                }
                if force_optional || self.rng.chance(60) {
                    f.doc_marker("optional");
                    f.line(VEC_SERDE);
                }
                f.decl(fname, "Vec<String>")
            }
            // A map of strings.
            18 | 19 => {
                self.uses_btreemap = true;
                let mut f = FieldOut::new(&format!("The {words} labels."));
                if force_optional || self.rng.chance(60) {
                    if self.rng.chance(50) {
                        f.doc_marker("optional");
                    } else {
                        f.attr("optional", 1);
                    }
                    f.line(MAP_SERDE);
                }
                f.decl(fname, "BTreeMap<String, String>")
            }
            // Quantities, imported or by full path.
            20 | 21 => {
                let mut f = FieldOut::new(&format!("The {words} amount, such as `500m` or `1Gi`."));
                let ty = if self.rng.chance(50) {
                    self.uses_quantity = true;
                    "Quantity"
                } else {
                    "k8s_openapi::apimachinery::pkg::api::resource::Quantity"
                };
                if self.rng.chance(50) {
                    let ty = opt(&mut f, ty);
                    f.decl(fname, &ty)
                } else {
                    self.uses_btreemap = true;
                    f.doc_marker("optional");
                    f.line(MAP_SERDE);
                    f.decl(fname, &format!("BTreeMap<String, {ty}>"))
                }
            }
            // A list of numbers.
            _ => {
                let mut f = FieldOut::new(&format!("The {words} numbers."));
                f.doc_marker("kubebuilder:validation:items:Minimum=0");
                f.doc_marker("optional");
                f.line(VEC_SERDE);
                f.decl(fname, "Vec<i64>")
            }
        }
    }

    /// `types.rs` of a group-version: types every kind of the version may use.
    fn shared_types(&mut self, group: &str, version: &str) -> String {
        let mut out = format!(
            "//! Types shared by the kinds of `{group}.{GROUP_SUFFIX}` {version}.\n\n\
             use k8s_openapi::apimachinery::pkg::api::resource::Quantity;\n\
             use serde::{{Deserialize, Serialize}};\n\
             use std::collections::BTreeMap;\n"
        );

        let mut s = self.struct_header("A key of a Secret in the object's namespace.", &[], None);
        s.push_str("pub struct BenchSecretKeySelector {\n");
        let mut f = FieldOut::new("Name of the Secret.");
        f.doc_marker("kubebuilder:validation:MinLength=1");
        f.doc_marker("kubebuilder:validation:MaxLength=253");
        self.push_field(&mut s, f.decl("name", "String"));
        let mut f = FieldOut::new("Key within the Secret.");
        f.doc_marker("kubebuilder:default=token");
        f.attr("min_length = 1", 1);
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("key", "Option<String>"));
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);

        let mut s = self.struct_header(
            "An inclusive range of integers; `a` must not exceed `b`.",
            &["kubebuilder:validation:XValidation:rule=\"self.a <= self.b\",message=\"a <= b\"".to_string()],
            None,
        );
        s.push_str("pub struct BenchIntRange {\n");
        let mut f = FieldOut::new("Lower bound, inclusive.");
        f.doc_marker("kubebuilder:validation:Minimum=0");
        self.push_field(&mut s, f.decl("a", "i32"));
        let mut f = FieldOut::new("Upper bound, inclusive.");
        f.doc_marker("kubebuilder:validation:Maximum=65535");
        self.push_field(&mut s, f.decl("b", "i32"));
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);

        let mut s = self.struct_header("A reference to another object of this API group.", &[], None);
        s.push_str("pub struct BenchTargetRef {\n");
        let mut f = FieldOut::new("Kind of the target.");
        f.doc_marker("kubebuilder:validation:Pattern=`^[a-z]+$`");
        self.push_field(&mut s, f.decl("kind", "String"));
        let mut f = FieldOut::new("Name of the target.");
        f.attr("max_length = 63", 1);
        self.push_field(&mut s, f.decl("name", "String"));
        let mut f = FieldOut::new("Namespace of the target; the object's own when empty.");
        f.doc_marker("optional");
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("namespace", "Option<String>"));
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);

        let mut s = self.struct_header("Compute resources: requests and limits.", &[], None);
        s.push_str("pub struct BenchResourceLimits {\n");
        let mut f = FieldOut::new("Minimum resources, by name (`cpu`, `memory`).");
        f.doc_marker("optional");
        f.line(MAP_SERDE);
        self.push_field(&mut s, f.decl("requests", "BTreeMap<String, Quantity>"));
        let mut f = FieldOut::new("Maximum resources, by name (`cpu`, `memory`).");
        f.doc_marker("optional");
        f.line(MAP_SERDE);
        self.push_field(&mut s, f.decl("limits", "BTreeMap<String, Quantity>"));
        let mut f = FieldOut::new("Ephemeral storage, such as `10Gi`.");
        f.line(OPT_SERDE);
        self.push_field(&mut s, f.decl("ephemeral_storage", "Option<Quantity>"));
        s.push_str("}\n");
        self.types += 1;
        self.blocks.push(s);

        for b in &self.blocks {
            out.push('\n');
            out.push_str(b);
        }
        out
    }
}

fn camel_words(snake: &str) -> String {
    let mut s = snake.replace('_', " ");
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    s
}
