//! Finding `+kubebuilder:rbac` markers anywhere in the source.
//!
//! RBAC rules describe the program, not an API type, so they may be written on anything that
//! takes a doc comment: a module (`//!`), a struct, a function, an `impl` block, a `const`, a
//! statement. (controller-gen only reads package-level comments and silently drops markers in a
//! function's doc comment, its most-reported RBAC pitfall.) The scan itself is the marker engine's
//! [`anywhere`], shared with `kgen webhook`.

use crate::diag::Diagnostics;
use crate::markers::anywhere::{self, Family, Member};
use crate::markers::defs::Id;
use crate::source::SourceFile;

pub use crate::markers::anywhere::FoundMarker;

/// The doc-comment name of the RBAC marker.
pub const MARKER_NAME: &str = "kubebuilder:rbac";
/// The attribute name of the RBAC marker (`#[kgen(rbac(...))]`).
pub const ATTR_NAME: &str = "rbac";

/// The RBAC marker family.
pub const FAMILY: Family = Family {
    members: &[Member {
        word: "rbac",
        attr: ATTR_NAME,
        id: Id::Rbac,
    }],
    help: "rbac",
};

/// Every RBAC marker in `files`, in file order then source order. Malformed RBAC markers (and
/// misspellings of the marker's name, such as `+kubebuilder:rbca`) are reported into `diags`.
pub fn scan(files: &[SourceFile], diags: &mut Diagnostics) -> Vec<FoundMarker> {
    anywhere::scan(files, &FAMILY, diags)
}
