//! Diagnostics: errors and warnings that point at a place in the user's source.
//!
//! Every stage of the pipeline reports problems as [`Diagnostic`]s carrying the
//! [`Location`] captured at parse time, so an error found while building a schema
//! still names the file, line and column of the field or marker that caused it.
//!
//! They render as rustc's do, with the source line (taken from the text already loaded, see
//! [`Diagnostics::add_source`]) and a caret under the column:
//!
//! ```text
//! error: invalid marker `+kubebuilder:validation:Maximum=abc`: expected a number, found `abc`
//!   --> api/v1/types.rs:12:41
//!    |
//! 12 |     /// +kubebuilder:validation:Maximum=abc
//!    |                                         ^
//!    = help: expected `+kubebuilder:validation:Maximum=<number>`
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use kgen_schema::Location;

/// The location of a `proc_macro2` span in `file` (spans carry 0-based columns).
pub fn span_location(file: &Arc<PathBuf>, span: proc_macro2::Span) -> Location {
    let start = span.start();
    Location::new(file.clone(), start.line.max(1), start.column + 1)
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation goes on; the output is still written.
    Warning,
    /// Nothing is written.
    Error,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Where it is; `None` only for problems with no place in the source (e.g. an empty `--paths`).
    pub location: Option<Location>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, naming the marker or item concerned.
    pub message: String,
    /// What to do about it (a "did you mean", the expected form).
    pub help: Option<String>,
    /// The text of the line `location` points at, when the file was loaded (filled in by
    /// [`Diagnostics::into_sorted`]).
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic {
            location: location.into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic {
            location: location.into(),
            severity: Severity::Warning,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn level(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// The diagnostic on one line, `file:line:col: error: message (help: ...)`, for places that
    /// take one line per message (`cargo:warning=`).
    pub fn one_line(&self) -> String {
        let mut out = match &self.location {
            Some(loc) => format!("{loc}: {}: {}", self.level(), self.message),
            None => format!("{}: {}", self.level(), self.message),
        };
        if let Some(help) = &self.help {
            out.push_str(&format!(" (help: {help})"));
        }
        out.replace('\n', " ")
    }
}

/// Longest stretch of a source line shown; longer lines are cut around the column.
const MAX_SHOWN: usize = 120;

impl fmt::Display for Diagnostic {
    /// rustc's layout: the message, `--> file:line:col`, the source line with a caret, the help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.level(), self.message)?;
        let Some(loc) = &self.location else {
            if let Some(help) = &self.help {
                write!(f, "\n  = help: {help}")?;
            }
            return Ok(());
        };
        let number = loc.line.to_string();
        let pad = " ".repeat(number.len());
        write!(f, "\n{pad}--> {loc}")?;
        if let Some(line) = self.source_line.as_ref().filter(|l| !l.trim().is_empty()) {
            let chars: Vec<char> = line.trim_end_matches(['\r', '\n']).chars().collect();
            let col = loc.column.saturating_sub(1);
            // A very long line (minified, generated) is shown around the column only.
            let start = if chars.len() > MAX_SHOWN {
                col.saturating_sub(MAX_SHOWN / 2).min(chars.len())
            } else {
                0
            };
            let end = (start + MAX_SHOWN).min(chars.len());
            let lead = if start > 0 { "..." } else { "" };
            let trail = if end < chars.len() { "..." } else { "" };
            let shown: String = chars[start..end].iter().collect();
            // Tabs stay tabs under the line, so the caret lines up in any terminal.
            let under: String = lead
                .chars()
                .map(|_| ' ')
                .chain(
                    chars[start..col.clamp(start, end)]
                        .iter()
                        .map(|c| if *c == '\t' { '\t' } else { ' ' }),
                )
                .chain((end..col).map(|_| ' '))
                .collect();
            write!(f, "\n{pad} |\n{number} | {lead}{shown}{trail}\n{pad} | {under}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// A growing list of diagnostics; stages push into it and keep going, so one run reports every problem.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    /// The text of every file loaded, for showing source lines.
    sources: BTreeMap<Arc<PathBuf>, Arc<str>>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds an error.
    pub fn error(&mut self, location: impl Into<Option<Location>>, message: impl Into<String>) {
        self.push(Diagnostic::error(location, message));
    }

    /// Adds a warning.
    pub fn warning(&mut self, location: impl Into<Option<Location>>, message: impl Into<String>) {
        self.push(Diagnostic::warning(location, message));
    }

    /// Moves all of `other` in.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
        self.sources.extend(other.sources);
    }

    /// Keeps the text of a loaded file, so that diagnostics in it show their source line.
    pub fn add_source(&mut self, file: Arc<PathBuf>, text: Arc<str>) {
        self.sources.insert(file, text);
    }

    /// True if any error was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics, sorted by place, then severity and text: deterministic output; each
    /// with its source line when the file was loaded.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.take_sorted()
    }

    /// [`Diagnostics::into_sorted`], leaving the list empty (and the sources kept) for more.
    pub fn take_sorted(&mut self) -> Vec<Diagnostic> {
        let mut items = std::mem::take(&mut self.items);
        // Line starts of each file, computed once per file that has diagnostics.
        let mut lines: HashMap<&Arc<PathBuf>, Vec<usize>> = HashMap::new();
        for d in &mut items {
            let Some(loc) = &d.location else { continue };
            if d.source_line.is_some() {
                continue;
            }
            let Some((file, text)) = self.sources.get_key_value(&loc.file) else {
                continue;
            };
            let starts = lines.entry(file).or_insert_with(|| {
                std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect()
            });
            if let Some(&start) = starts.get(loc.line.wrapping_sub(1)) {
                let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                d.source_line = Some(text[start..end].to_string());
            }
        }
        items.sort();
        items.dedup();
        items
    }

    /// Diagnostics in the order reported.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The error a whole generation run fails with: every diagnostic, errors and warnings.
#[derive(Debug)]
pub struct Failed {
    /// Sorted diagnostics; at least one is an error, or `io` is set.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        for d in &self.diagnostics {
            writeln!(f, "{d}\n")?;
        }
        write!(
            f,
            "kgen: {errors} error{} found; no files were written",
            if errors == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Failed {}
