//! Diagnostics: errors and warnings that point at a place in the user's source.
//!
//! Every stage of the pipeline reports problems as [`Diagnostic`]s carrying the
//! [`Location`] captured at parse time, so an error found while building a schema
//! still names the file, line and column of the field or marker that caused it.

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
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic {
            location: location.into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(location: impl Into<Option<Location>>, message: impl Into<String>) -> Self {
        Diagnostic {
            location: location.into(),
            severity: Severity::Warning,
            message: message.into(),
            help: None,
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
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(loc) => write!(f, "{loc}: {level}: {}", self.message)?,
            None => write!(f, "{level}: {}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// A growing list of diagnostics; stages push into it and keep going, so one run reports every problem.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
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
    }

    /// True if any error was reported.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics, sorted by place, then severity and text: deterministic output.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort();
        self.items.dedup();
        self.items
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
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "kgen: {errors} error{} found; no files were written",
            if errors == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Failed {}
