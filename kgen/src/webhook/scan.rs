//! Finding `+kubebuilder:webhook` and `+kubebuilder:webhookconfiguration` markers anywhere in
//! the source: any doc comment (`//!`, `///`, on any item, function, `impl` block or statement)
//! and `#[kgen(webhook(...))]` / `#[kgen(webhook_configuration(...))]` attributes, parsed by the
//! marker engine's [`anywhere`] scan (shared with `kgen rbac`).

use crate::diag::Diagnostics;
use crate::markers::anywhere::{self, Family, Member};
use crate::markers::defs::Id;
use crate::source::SourceFile;

pub use crate::markers::anywhere::FoundMarker;

/// The doc-comment name of the webhook marker.
pub const MARKER_NAME: &str = "kubebuilder:webhook";
/// The doc-comment name of the marker naming a configuration.
pub const CONFIGURATION_MARKER_NAME: &str = "kubebuilder:webhookconfiguration";
/// The attribute name of the webhook marker (`#[kgen(webhook(...))]`).
pub const ATTR_NAME: &str = "webhook";
/// The attribute name of the configuration marker (`#[kgen(webhook_configuration(...))]`).
pub const CONFIGURATION_ATTR_NAME: &str = "webhook_configuration";

/// The webhook marker family.
pub const FAMILY: Family = Family {
    members: &[
        Member {
            word: "webhook",
            attr: ATTR_NAME,
            id: Id::Webhook,
        },
        Member {
            word: "webhookconfiguration",
            attr: CONFIGURATION_ATTR_NAME,
            id: Id::WebhookConfiguration,
        },
    ],
    help: "webhook",
};

/// Every webhook and configuration marker in `files`, in file order then source order.
/// Malformed markers (and misspellings such as `+kubebuilder:webhok`) are reported into `diags`.
pub fn scan(files: &[SourceFile], diags: &mut Diagnostics) -> Vec<FoundMarker> {
    anywhere::scan(files, &FAMILY, diags)
}
