//! What a compatibility check found: [`Change`]s, their field paths, and how they are shown
//! (breaking changes and warnings as [`Diagnostic`]s, safe changes as a plain `safe:` list).

use crate::diag::{Diagnostic, Failed, Location};
use std::fmt;
use std::path::PathBuf;

/// How a change affects clients and stored objects of the released CRD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Existing objects or clients may break: an error unless the version is new.
    Breaking,
    /// Nothing stored or served breaks, but something users may rely on changes (a removed short
    /// name or category breaks `kubectl get <short>` scripts, not the API).
    Warning,
    /// A loosening or an addition: listed, never an error.
    Safe,
}

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// A property of an object (`properties[name]`).
    Property(String),
    /// The items of a list (`items`), shown `[*]`.
    Items,
    /// The values of a map (`additionalProperties`), shown `[*]`.
    Values,
}

/// Where in a version's `openAPIV3Schema` a change is, shown JSON-path-like:
/// `.spec.nodePools[*].count`, `.spec.labels[*]` for a map's values, `.` for the root.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    /// The schema root.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path with one more step.
    pub fn join(&self, step: Step) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        FieldPath(steps)
    }

    /// This path with one more property.
    pub fn property(&self, name: &str) -> Self {
        self.join(Step::Property(name.to_string()))
    }
}

/// True for names shown as `.name`; others are shown `['name']`.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for step in &self.0 {
            match step {
                Step::Property(name) if plain_name(name) => write!(f, ".{name}")?,
                Step::Property(name) => write!(f, "['{}']", name.replace('\'', "\\'"))?,
                Step::Items | Step::Values => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// One difference between a released CRD and the one kgen would write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Breaking, warning or safe.
    pub class: Class,
    /// The CRD's `metadata.name` (`klusters.kgen.dev`).
    pub crd: String,
    /// The released file the CRD was read from (`None` for a CRD that is new).
    pub file: Option<PathBuf>,
    /// The version concerned; `None` for changes to the CRD as a whole (names, scope).
    pub version: Option<String>,
    /// The field concerned; `None` for changes that are not about a schema field.
    pub path: Option<FieldPath>,
    /// What changed, with old and new values (`maximum lowered: 10 → 5`).
    pub message: String,
    /// What to do instead (breaking changes and warnings).
    pub help: Option<String>,
    /// The schema keyword that changed (`maximum`, `default`), to point at the marker that set it;
    /// for a change that is not about a schema field, the CRD field (`conversion`,
    /// `selectableFields`), to point at its marker or its released line.
    pub keyword: Option<&'static str>,
    /// The list entry concerned (a selectable field's `jsonPath`), to find its released line.
    pub entry: Option<String>,
    /// The CEL rule concerned (for `x-kubernetes-validations` changes), to point at its marker.
    pub rule: Option<String>,
    /// True when the new CRD has the field (or version), so the Rust source can be pointed at.
    pub in_new: bool,
    /// Where to point: the Rust field or marker when known, else the released YAML file.
    pub location: Option<Location>,
}

impl Change {
    /// A change found by a rule, before the CRD, file and location are filled in.
    pub fn new(class: Class, message: impl Into<String>) -> Self {
        Change {
            class,
            crd: String::new(),
            file: None,
            version: None,
            path: None,
            message: message.into(),
            help: None,
            keyword: None,
            entry: None,
            rule: None,
            in_new: true,
            location: None,
        }
    }

    /// With a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// At `path`.
    pub fn at(mut self, path: &FieldPath) -> Self {
        self.path = Some(path.clone());
        self
    }

    /// About `keyword`.
    pub fn keyword(mut self, keyword: &'static str) -> Self {
        self.keyword = Some(keyword);
        self
    }

    /// About the list entry `entry`.
    pub fn entry(mut self, entry: impl Into<String>) -> Self {
        self.entry = Some(entry.into());
        self
    }

    /// Marks the field (or version) as gone from the new CRD.
    pub fn gone(mut self) -> Self {
        self.in_new = false;
        self
    }

    /// `klusters.kgen.dev v1 .spec.count`: the CRD, the version and the field, as far as known.
    pub fn subject(&self) -> String {
        let mut s = self.crd.clone();
        if let Some(v) = &self.version {
            s.push(' ');
            s.push_str(v);
        }
        if let Some(p) = &self.path {
            s.push_str(&format!(" `{p}`"));
        }
        s
    }

    /// The change as a diagnostic: an error for breaking changes, a warning otherwise.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let released = self
            .file
            .as_ref()
            .map(|f| format!(" (released in {})", f.display()))
            .unwrap_or_default();
        let message = match self.class {
            Class::Breaking => format!("breaking change to {}: {}{released}", self.subject(), self.message),
            Class::Warning | Class::Safe => format!("{}: {}{released}", self.subject(), self.message),
        };
        let mut d = match self.class {
            Class::Breaking => Diagnostic::error(self.location.clone(), message),
            Class::Warning | Class::Safe => Diagnostic::warning(self.location.clone(), message),
        };
        d.help = self.help.clone();
        d
    }

    fn sort_key(&self) -> (&str, Option<&str>, String, Class, &str) {
        (
            &self.crd,
            self.version.as_deref(),
            self.path.as_ref().map(ToString::to_string).unwrap_or_default(),
            self.class,
            &self.message,
        )
    }
}

/// Everything a compatibility check found.
#[derive(Clone, Debug, Default)]
pub struct CompatReport {
    /// Every change, sorted by CRD, version, field path, class and message.
    pub changes: Vec<Change>,
    /// The files read from the released directory (for `cargo:rerun-if-changed`).
    pub files: Vec<PathBuf>,
}

impl CompatReport {
    /// Sorts the changes (by CRD, version, path) and drops repeats: the output is deterministic.
    pub fn sort(&mut self) {
        self.changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.changes.dedup();
    }

    /// The changes of one class, in order.
    pub fn of(&self, class: Class) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.class == class)
    }

    /// True when any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.of(Class::Breaking).next().is_some()
    }

    /// Breaking changes (errors) and warnings as diagnostics, in the report's order.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.changes
            .iter()
            .filter(|c| c.class != Class::Safe)
            .map(Change::to_diagnostic)
            .map(with_source_line)
            .collect()
    }

    /// The safe changes, one line each: `safe: klusters.kgen.dev v1 `.spec.x`: new optional field`.
    pub fn safe_lines(&self) -> Vec<String> {
        self.of(Class::Safe)
            .map(|c| format!("safe: {}: {}", c.subject(), c.message))
            .collect()
    }

    /// The report as the error a run fails with, when something is breaking.
    pub fn failure(&self) -> Option<Failed> {
        self.is_breaking().then(|| Failed {
            diagnostics: self.diagnostics(),
        })
    }
}

/// `d` with the text of the line it points at (Rust sources and released YAML alike are small,
/// regular files: they were read once already; a file that is gone now just shows no line).
fn with_source_line(mut d: Diagnostic) -> Diagnostic {
    if let Some(loc) = &d.location
        && std::fs::metadata(&*loc.file).is_ok_and(|m| m.is_file() && m.len() <= crate::source::MAX_FILE_SIZE)
        && let Ok(text) = std::fs::read_to_string(&*loc.file)
    {
        d.source_line = text.lines().nth(loc.line.saturating_sub(1)).map(str::to_string);
    }
    d
}
