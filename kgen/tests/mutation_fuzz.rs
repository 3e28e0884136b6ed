//! Seeded mutation testing: the marker grammar and the whole `kgen crd` pipeline never panic, hang
//! or half-write on mutated inputs. Deterministic (a fixed xorshift seed), bounded (a fixed number
//! of cases, a few seconds), so it runs in every `cargo test`. `KGEN_FUZZ_CASES=N` runs more; any
//! input that ever fails here becomes a fixture under `tests/fixtures/errors/`.

use kgen_build::CrdOptions;
use kgen_build::diag::Location;
use kgen_build::markers::parse::parse_doc_marker;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that tend to break parsers: quotes, braces, separators, huge and odd values.
const SPLICES: &[&str] = &[
    "\"",
    "'",
    "`",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ";",
    "=",
    ":",
    "\\",
    "\n",
    "/// +",
    "//! +",
    "+kubebuilder:",
    "+kubebuilder:validation:Pattern=`a{1001}`",
    "+kubebuilder:validation:XValidation:rule=\"self.",
    "+kubebuilder:default={",
    "+listType=map",
    "+listMapKey=",
    "99999999999999999999999",
    "-1",
    "1e309",
    "é",
    "\u{0}",
    "ObjectMeta",
    "Option<",
    "Vec<",
    ">",
    "#[serde(flatten)]",
    "#[serde(rename = \"\")]",
    "pub x: Box<Self>,",
    "k8s_openapi::api::core::v1::",
    "use super::*;",
    "mod m;",
    "r#type",
    "date-time",
    "+default=ref(",
];

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut s: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(4) {
        if s.is_empty() {
            break;
        }
        let at = rng.below(s.len());
        match rng.below(4) {
            0 => {
                let end = (at + 1 + rng.below(12)).min(s.len());
                s.drain(at..end);
            }
            1 => {
                let piece = SPLICES[rng.below(SPLICES.len())];
                for (i, c) in piece.chars().enumerate() {
                    s.insert(at + i, c);
                }
            }
            2 => {
                let len = (1 + rng.below(40)).min(s.len() - at);
                let chunk: Vec<char> = s[at..at + len].to_vec();
                let to = rng.below(s.len());
                for (i, c) in chunk.into_iter().enumerate() {
                    s.insert(to + i, c);
                }
            }
            _ => s[at] = char::from(b' ' + (rng.below(95) as u8)),
        }
    }
    s.into_iter().collect()
}

fn cases() -> usize {
    std::env::var("KGEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn seeds() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in [
        "tests/fixtures/corpus",
        "tests/fixtures/errors",
        "../examples/kluster/src/api",
    ] {
        for entry in walk(Path::new(dir)) {
            if entry.extension().is_some_and(|e| e == "rs") {
                out.push((entry.clone(), std::fs::read_to_string(&entry).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_marker_grammar_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let loc = Location::new(Arc::new(PathBuf::from("fuzz.rs")), 1, 1);
    let markers: Vec<String> = seeds()
        .iter()
        .flat_map(|(_, s)| {
            s.lines()
                .map(str::trim)
                .filter(|l| l.contains('+'))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .map(|l| l.trim_start_matches(['/', '!', ' ']).to_string())
        .collect();
    assert!(markers.len() > 100, "seeds have markers");
    for _ in 0..cases() * 20 {
        let pick = rng.below(markers.len());
        let m = mutate(&mut rng, &markers[pick]);
        let result = catch_unwind(AssertUnwindSafe(|| parse_doc_marker(&m, &loc)));
        assert!(result.is_ok(), "the marker parser panicked on {m:?}");
    }
}

#[test]
fn the_crd_pipeline_never_panics_and_writes_all_or_nothing() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let seeds = seeds();
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api");
    let out = dir.path().join("out");
    for case in 0..cases() {
        let (name, src) = &seeds[rng.below(seeds.len())];
        let mutated = mutate(&mut rng, src);
        let _ = std::fs::remove_dir_all(&api);
        std::fs::create_dir_all(api.join("v1")).unwrap();
        std::fs::write(api.join("mod.rs"), "pub mod v1;\n").unwrap();
        std::fs::write(api.join("v1/mod.rs"), &mutated).unwrap();
        let run = catch_unwind(AssertUnwindSafe(|| kgen_build::generate_crds(&CrdOptions::new([&api]))));
        let result = match run {
            Ok(r) => r,
            Err(_) => panic!(
                "case {case}: kgen panicked on a mutation of {}:\n{mutated}",
                name.display()
            ),
        };
        match result {
            Ok(o) => {
                // Whatever is produced can be written, atomically.
                kgen_build::output::write_files(&out, &o.files).unwrap();
            }
            Err(failed) => {
                for d in &failed.diagnostics {
                    assert!(
                        !d.message.contains("kgen bug"),
                        "case {case}: internal error on user input: {d}\n{mutated}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_cel_checker_and_cost_estimator_never_panic() {
    use kgen_build::schema::cel::{Site, compile};
    use kgen_build::schema::{Rule, Schema};
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let rules = [
        "self.replicas >= 0 && self.name.startsWith('a')",
        "self.tags.all(t, t.size() < 5) || self.tags.exists_one(t, t == 'x')",
        "self.labels.map(k, self.labels[k]).filter(v, v != '').size() > 0",
        "has(self.note) ? self.note.matches('^[a-z]+$') : quantity('1Gi').isLessThan(quantity('2Gi'))",
        "[1, 2].sum() + int(self.ratio) < 10 && {'a': 1}['a'] == 1",
        "self.?note.orValue('').split(',').join('-') == oldSelf.name",
        "isCIDR(self.name) && cidr(self.name).containsIP('10.0.0.1') && sets.contains(self.tags, ['a'])",
        "type(self.size) == string && timestamp(self.name) < self.when + duration('1h')",
    ];
    let mut spec = Schema::typed("object");
    for (name, ty) in [
        ("name", "string"),
        ("note", "string"),
        ("replicas", "integer"),
        ("ratio", "number"),
    ] {
        spec.properties.insert(name.into(), Schema::typed(ty));
    }
    let mut tags = Schema::typed("array");
    tags.items = Some(Box::new(Schema::typed("string")));
    spec.properties.insert("tags".into(), tags);
    let mut labels = Schema::typed("object");
    labels.additional_properties = Some(Box::new(Schema::typed("string")));
    spec.properties.insert("labels".into(), labels);
    spec.properties.insert("size".into(), Schema::int_or_string());
    spec.properties.insert(
        "when".into(),
        Schema {
            format: Some("date-time".into()),
            ..Schema::typed("string")
        },
    );
    for _ in 0..cases() * 10 {
        let pick = rng.below(rules.len());
        let src = mutate(&mut rng, rules[pick]);
        let rule = Rule {
            rule: src.clone(),
            message_expression: Some(mutate(&mut rng, "'got %d'.format([self.replicas])")),
            ..Default::default()
        };
        let site = Site {
            node: &spec,
            resource_root: rng.below(2) == 0,
            cardinality: if rng.below(2) == 0 { None } else { Some(3) },
            minor: 25 + rng.below(13) as u32,
        };
        if std::env::var_os("KGEN_FUZZ_TRACE").is_some() {
            eprintln!("CASE {src:?} / {:?}", rule.message_expression);
        }
        let r = catch_unwind(AssertUnwindSafe(|| compile(&rule, &site)));
        assert!(r.is_ok(), "the CEL checker panicked on {src:?}");
    }
}
