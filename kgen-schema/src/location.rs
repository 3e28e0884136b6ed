//! Where a schema node or rule came from in the user's source.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a source file: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as given on the command line (relative paths stay relative).
    pub file: Arc<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl Location {
    /// A location at `line:column` of `file`.
    pub fn new(file: Arc<PathBuf>, line: usize, column: usize) -> Self {
        Location { file, line, column }
    }

    /// The same line, `delta` characters further right.
    pub fn shifted(&self, delta: usize) -> Self {
        Location {
            column: self.column + delta,
            ..self.clone()
        }
    }

    /// The start of a file, for problems that concern a file as a whole.
    pub fn file_start(file: &Path) -> Self {
        Location {
            file: Arc::new(file.to_path_buf()),
            line: 1,
            column: 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}
