//! The API model: group-versions, kinds, types and fields, with markers attached and every
//! type reference resolved. Built once from source; every emitter reads only this.

mod build;
pub mod client;
mod consts;
mod depth;
mod known;
mod resolve;
pub mod serde_attrs;

pub use build::{build, load};
pub use depth::MAX_SCHEMA_DEPTH;
pub use known::Known;
pub use resolve::MAX_TYPE_NESTING;

use crate::diag::Location;
use crate::markers::Marker;
use crate::markers::defs::Id;
use serde_attrs::{ContainerSerde, FieldSerde};

/// Index of a [`TypeDef`] in [`Api::types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

/// Index of a [`GroupVersion`] in [`Api::group_versions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GvId(pub usize);

/// Everything read from the input.
#[derive(Debug, Default)]
pub struct Api {
    /// Group-versions, sorted by group then version name.
    pub group_versions: Vec<GroupVersion>,
    /// Every struct, enum and alias found, in file order.
    pub types: Vec<TypeDef>,
    /// Kinds, sorted by group, kind, version.
    pub kinds: Vec<Kind>,
    /// Markers found on modules that are not group-versions (e.g. `+kubebuilder:rbac` in a controller module).
    pub loose_package_markers: Vec<Marker>,
}

impl Api {
    /// The type behind an id.
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The group-version behind an id.
    pub fn gv(&self, id: GvId) -> &GroupVersion {
        &self.group_versions[id.0]
    }

    /// Every package-level marker with this id, from group-versions and other modules.
    pub fn package_markers(&self, id: Id) -> impl Iterator<Item = &Marker> {
        self.group_versions
            .iter()
            .flat_map(|gv| gv.markers.iter())
            .chain(self.loose_package_markers.iter())
            .filter(move |m| m.id() == id)
    }
}

/// One API group-version: a module whose `//!` doc comment has `+groupName`.
#[derive(Debug)]
pub struct GroupVersion {
    /// API group (`kgen.dev`); may be empty (core group).
    pub group: String,
    /// Version name (`v1alpha1`).
    pub version: String,
    /// Module path of the group-version module.
    pub module: Vec<String>,
    /// Where `+groupName` was written.
    pub location: Location,
    /// Package markers.
    pub markers: Vec<Marker>,
    /// `+kubebuilder:validation:Optional` on the package: unmarked fields are optional.
    pub default_optional: bool,
}

/// A kind: a struct with a `metadata: ObjectMeta` field in a group-version.
#[derive(Debug, Clone)]
pub struct Kind {
    /// The struct.
    pub type_id: TypeId,
    /// Its group-version.
    pub gv: GvId,
    /// Kind name (the struct's name).
    pub name: String,
}

/// A struct, enum or type alias.
#[derive(Debug)]
pub struct TypeDef {
    /// Rust name.
    pub name: String,
    /// Module path.
    pub module: Vec<String>,
    /// Group-version whose module contains it.
    pub gv: Option<GvId>,
    /// Where its name is.
    pub location: Location,
    /// Doc comment with markers removed.
    pub description: String,
    /// Type markers in source order.
    pub markers: Vec<Marker>,
    /// Container-level serde attributes.
    pub serde: ContainerSerde,
    /// Traits in `#[derive(...)]`, by last path segment.
    pub derives: Vec<String>,
    /// Module path (plus name) through which the type is reachable: its group-version module when
    /// that module re-exports it, else the module that defines it.
    pub rust_path: Vec<String>,
    /// Shape.
    pub body: TypeBody,
}

impl TypeDef {
    /// Markers with this id.
    pub fn markers_of(&self, id: Id) -> impl Iterator<Item = &Marker> {
        self.markers.iter().filter(move |m| m.id() == id)
    }

    /// The first marker with this id.
    pub fn marker(&self, id: Id) -> Option<&Marker> {
        self.markers_of(id).next()
    }

    /// Fields of a struct (empty for other shapes).
    pub fn fields(&self) -> &[Field] {
        match &self.body {
            TypeBody::Struct(f) => f,
            _ => &[],
        }
    }

    /// `module::Name`, for messages.
    pub fn qualified_name(&self) -> String {
        if self.module.is_empty() {
            self.name.clone()
        } else {
            format!("{}::{}", self.module.join("::"), self.name)
        }
    }
}

/// The shape of a type.
#[derive(Debug)]
pub enum TypeBody {
    /// A struct with named fields.
    Struct(Vec<Field>),
    /// A tuple struct with one field, or a `#[serde(transparent)]` struct: the inner type's schema.
    Newtype(TypeRef),
    /// `type X = Y;`
    Alias(TypeRef),
    /// An enum of unit variants: a string enum.
    UnitEnum(Vec<Variant>),
    /// An enum with data-carrying variants.
    DataEnum(Vec<Variant>),
    /// Something kgen cannot describe (generic, union, tuple struct with several fields); the reason.
    Unsupported(String),
}

/// An enum variant.
#[derive(Debug)]
pub struct Variant {
    /// Rust name.
    pub rust_name: String,
    /// Name on the wire (after serde renames).
    pub json_name: String,
    /// Where it is.
    pub location: Location,
    /// Doc comment.
    pub description: String,
    /// What it carries.
    pub data: VariantData,
    /// `#[serde(skip)]` and friends.
    pub skipped: bool,
}

/// What a variant carries.
#[derive(Debug)]
pub enum VariantData {
    /// Nothing.
    Unit,
    /// One unnamed field.
    Newtype(TypeRef),
    /// Named fields.
    Struct(Vec<Field>),
    /// Several unnamed fields (not representable).
    Tuple(usize),
}

/// A named field.
#[derive(Debug)]
pub struct Field {
    /// Rust name.
    pub rust_name: String,
    /// Name on the wire (after serde renames).
    pub json_name: String,
    /// Resolved type.
    pub ty: TypeRef,
    /// The type as written, for messages.
    pub ty_text: String,
    /// The type spelled for generated code (the resolver's `absolute`): absolute paths,
    /// input types as `__kgen_type_<id>`; `None` when it cannot be spelled.
    pub rust_ty: Option<String>,
    /// Where the field is.
    pub location: Location,
    /// Doc comment with markers removed.
    pub description: String,
    /// Field markers in source order.
    pub markers: Vec<Marker>,
    /// Field serde attributes.
    pub serde: FieldSerde,
}

impl Field {
    /// Markers with this id.
    pub fn markers_of(&self, id: Id) -> impl Iterator<Item = &Marker> {
        self.markers.iter().filter(move |m| m.id() == id)
    }

    /// The first marker with this id.
    pub fn marker(&self, id: Id) -> Option<&Marker> {
        self.markers_of(id).next()
    }

    /// True if the field is left out of the JSON entirely.
    pub fn is_skipped(&self) -> bool {
        self.serde.skip || (self.serde.skip_serializing && self.serde.skip_deserializing)
    }
}

/// Integer formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntFormat {
    /// `int32`
    Int32,
    /// `int64`
    Int64,
}

/// A resolved type reference.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeRef {
    /// `bool`
    Bool,
    /// An integer type.
    Integer {
        /// Format.
        format: IntFormat,
        /// Unsigned: `minimum: 0`.
        unsigned: bool,
        /// `NonZero*`: `minimum: 1`.
        nonzero: bool,
        /// The Rust type's range when it is narrower than its format's (`u8`: 0 to 255), written
        /// as `minimum`/`maximum` so the API server refuses what the Rust client could not read.
        range: Option<(i64, i64)>,
    },
    /// `f32` (float) or `f64` (double).
    Number {
        /// `true` for f64.
        double: bool,
    },
    /// `String`, `&str`, `char`-free text.
    String,
    /// `Option<T>`.
    Option(Box<TypeRef>),
    /// `Vec<T>`, `[T; N]`, `VecDeque<T>`.
    List(Box<TypeRef>),
    /// `BTreeSet<T>`, `HashSet<T>`.
    Set(Box<TypeRef>),
    /// `BTreeMap<String, V>`, `HashMap<String, V>`.
    Map(Box<TypeRef>),
    /// A type defined in the input.
    Named(TypeId),
    /// A type kgen knows without source (ObjectMeta, Quantity, serde_json::Value, ...).
    Known(Known),
    /// A reference that could not be resolved (already reported).
    Error,
}

impl TypeRef {
    /// Strips `Option`.
    pub fn without_option(&self) -> &TypeRef {
        match self {
            TypeRef::Option(inner) => inner.without_option(),
            other => other,
        }
    }

    /// True for `Option<T>`.
    pub fn is_option(&self) -> bool {
        matches!(self, TypeRef::Option(_))
    }
}
