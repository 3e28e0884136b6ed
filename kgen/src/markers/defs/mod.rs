//! Marker definitions: what each marker is called, takes, and may be written on.
//!
//! The generic engine (`markers::{grammar, registry, parse, attr}`) knows nothing of these;
//! emitters match on [`Id`], so a spelling (alias, `items:` variant, attribute form) never leaks
//! past the parse stage.

mod conversion;
mod crd;
pub mod genclient;
mod go_only;
mod package;
mod rbac;
mod topology;
mod validation;
mod webhook;

use super::registry::MarkerDef;
use std::sync::OnceLock;

/// The meaning of a marker. Aliases (`+optional` and `+k8s:optional`) share one id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // Each variant is documented by its registry entry's help text.
pub enum Id {
    // package
    GroupName,
    VersionName,
    Skip,
    GroupGoName,
    // compatibility markers accepted and ignored (Go-only concepts)
    GoOnly,
    // crd
    Resource,
    SubresourceStatus,
    SubresourceScale,
    PrintColumn,
    StorageVersion,
    DeprecatedVersion,
    UnservedVersion,
    SkipVersion,
    Metadata,
    SelectableField,
    // schema: validation family (also as items: variants)
    Maximum,
    Minimum,
    ExclusiveMaximum,
    ExclusiveMinimum,
    MultipleOf,
    MaxLength,
    MinLength,
    Pattern,
    MaxItems,
    MinItems,
    UniqueItems,
    MaxProperties,
    MinProperties,
    Enum,
    Format,
    Type,
    PreserveUnknownFields,
    EmbeddedResource,
    IntOrString,
    XValidation,
    // schema: other
    Schemaless,
    Nullable,
    Default,
    DefaultJson,
    Example,
    Title,
    ExternalDocs,
    KubebuilderRequired,
    KubebuilderOptional,
    Required,
    Optional,
    ExactlyOneOf,
    AtMostOneOf,
    AtLeastOneOf,
    Immutable,
    K8sEnum,
    // topology
    ListType,
    ListMapKey,
    MapType,
    StructType,
    // genclient
    Genclient,
    GenclientNonNamespaced,
    GenclientNoStatus,
    GenclientNoVerbs,
    GenclientReadonly,
    GenclientOnlyVerbs,
    GenclientSkipVerbs,
    GenclientMethod,
    ResourceName,
    // rbac
    Rbac,
    // conversion
    ConversionWebhook,
    ConversionManual,
    // webhook
    Webhook,
    WebhookConfiguration,
}

/// Every definition, in help order. Built once.
pub fn all() -> &'static [MarkerDef] {
    static ALL: OnceLock<Vec<MarkerDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut defs = Vec::new();
        defs.extend(package::defs());
        defs.extend(crd::defs());
        defs.extend(validation::defs());
        defs.extend(topology::defs());
        defs.extend(genclient::defs());
        defs.extend(rbac::defs());
        defs.extend(conversion::defs());
        defs.extend(webhook::defs());
        defs.extend(go_only::defs());
        defs
    })
}

/// Shorthand for building definitions.
pub(super) mod build {
    pub use super::super::grammar::ArgType;
    pub use super::super::registry::{ArgDef, MarkerDef, Shape, Target};
    pub use super::Id;

    /// Package only.
    pub const PACKAGE: &[Target] = &[Target::Package];
    /// Types only.
    pub const TYPE: &[Target] = &[Target::Type];
    /// Fields only.
    pub const FIELD: &[Target] = &[Target::Field];
    /// Fields and types.
    pub const FIELD_TYPE: &[Target] = &[Target::Field, Target::Type];
    /// Anywhere.
    pub const ANY: &[Target] = &[Target::Package, Target::Type, Target::Field];

    /// An argument.
    pub const fn arg(name: &'static str, attr: &'static str, ty: ArgType, required: bool) -> ArgDef {
        ArgDef {
            name,
            attr,
            ty,
            required,
        }
    }

    /// A definition (not repeatable, not an items variant).
    pub fn def(
        id: Id,
        name: &'static str,
        attr: Option<&'static str>,
        shape: Shape,
        targets: &'static [Target],
        help: &'static str,
    ) -> MarkerDef {
        MarkerDef {
            id,
            name,
            attr,
            shape,
            targets,
            repeatable: false,
            items: false,
            help,
        }
    }

    /// The same definition, repeatable.
    pub fn repeatable(mut d: MarkerDef) -> MarkerDef {
        d.repeatable = true;
        d
    }
}
