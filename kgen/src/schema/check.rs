//! Structural-schema checks, as the API server enforces them.
//!
//! [`check_schema`] reports what `k8s.io/apiextensions-apiserver` would reject when the CRD is
//! applied (structural schema rules, list/map topology, defaults, CEL rules that do not parse, ...),
//! so that kgen fails at generation time instead. Where kgen is stricter than the API server the
//! code says why. [`resolve_json_path`] finds the schema a printer column or selectable field points
//! at.
//!
//! Diagnostics name the schema path: `spec.nodePools[*].count` (properties with a dot, array items
//! and `additionalProperties` values with `[*]`); the root is `(root)`.

use super::types::{Rule, Schema};
use super::validate::{self, ANY};
use crate::diag::{Diagnostic, Diagnostics, Location};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// The schema types the API server accepts.
const TYPES: &[&str] = &["array", "boolean", "integer", "number", "object", "string"];

/// The formats the API server recognises; others draw a warning (and are not checked).
pub const KNOWN_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "date-time",
    "int32",
    "int64",
    "float",
    "double",
];

/// The `reason`s a CEL rule may carry.
const REASONS: &[&str] = &[
    "FieldValueInvalid",
    "FieldValueForbidden",
    "FieldValueRequired",
    "FieldValueDuplicate",
];

/// Checks one version's `openAPIV3Schema` (`root`) against the rules the API server enforces for
/// structural schemas, reporting each violation into `diags` at the node's (or keyword's) source
/// location. Unknown formats are warnings; everything else is an error.
pub fn check_schema(root: &Schema, diags: &mut Diagnostics) {
    check_schema_for(root, crate::builtin::KubeVersion::newest().minor(), diags);
}

/// [`check_schema`] for a target API server of Kubernetes `1.<minor>`: new CEL rules get the
/// library set of `minor - 1`, as the API server gives them.
pub fn check_schema_for(root: &Schema, minor: u32, diags: &mut Diagnostics) {
    let mut c = Checker {
        diags,
        cel_minor: minor.saturating_sub(1),
        total: TotalCost::default(),
    };
    let ctx = Ctx {
        cardinality: Some(1),
        ..Ctx::default()
    };
    c.node(root, "", &ctx);
    c.total_cost(root);
}

/// The estimated cost of every rule of one version, and the costliest ones.
#[derive(Default)]
struct TotalCost {
    total: u64,
    /// (cost, where, location) of rules that cost at least 1% of the CRD limit.
    most: Vec<(u64, String, Option<Location>)>,
}

/// The keywords the API server allows at the root when the status subresource is enabled (so
/// that `properties.status` can be validated on its own).
const STATUS_ROOT_KEYWORDS: &[&str] = &[
    "description",
    "type",
    "format",
    "title",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "required",
    "items",
    "properties",
    "externalDocs",
    "example",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-validations",
];

/// The extra check for a version that enables the status subresource: the API server then allows
/// only a few keywords at the root of `openAPIV3Schema` (no `nullable`, `default`, `enum`,
/// `anyOf`/`oneOf`, `additionalProperties`, `x-kubernetes-*` topology, ...). Call it in addition to
/// [`check_schema`].
pub fn check_status_subresource_root(root: &Schema, diags: &mut Diagnostics) {
    let bad: Vec<&str> = set_keywords(root)
        .into_iter()
        .filter(|k| !STATUS_ROOT_KEYWORDS.contains(k))
        .collect();
    if !bad.is_empty() {
        diags.push(
            Diagnostic::error(
                root.origin.clone(),
                format!(
                    "(root): with the status subresource enabled, the root must not set {}",
                    bad.join(", ")
                ),
            )
            .with_help(format!(
                "only these keywords are allowed at the root then: {}",
                STATUS_ROOT_KEYWORDS.join(", ")
            )),
        );
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Level {
    #[default]
    Root,
    Field,
    Item,
}

/// What a node inherits from the nodes above it.
#[derive(Clone, Debug, Default)]
struct Ctx {
    level: Level,
    /// The highest enclosing node below which old and new values cannot be paired (the items of
    /// a list that is not a map list, or the fields of an atomic map), described for messages:
    /// rules using `oldSelf` are rejected below it.
    uncorrelated: Option<String>,
    /// Why defaults are forbidden here (`in top-level metadata`, ...), if they are.
    forbid_defaults: Option<String>,
    /// Inside the `apiVersion`, `kind` or `metadata` of a resource root.
    inside_meta: bool,
    /// How many times a rule here can run per object (product of maxItems/maxProperties above),
    /// `None` when a list or map above is unbounded.
    cardinality: Option<u64>,
    /// The node is a resource root (the schema root or an embedded resource).
    resource_root: bool,
}

struct Checker<'d> {
    diags: &'d mut Diagnostics,
    /// The Kubernetes minor whose CEL libraries new rules may use.
    cel_minor: u32,
    total: TotalCost,
}

/// The path as shown in messages.
fn shown(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn any(path: &str) -> String {
    format!("{path}[*]")
}

/// `a string`, `an array`, `untyped`, ... for messages.
fn describe(s: &Schema) -> String {
    if s.int_or_string == Some(true) {
        return "an int-or-string".into();
    }
    match s.ty().filter(|t| !t.is_empty()) {
        Some(t @ ("integer" | "array" | "object")) => format!("an {t}"),
        Some(t) => format!("a {t}"),
        None => "untyped".into(),
    }
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

/// Parses a CEL expression as the API server's CEL environment would (optional syntax on).
/// The parser's recursion limit (96) is below cel-go's (250); deeper expressions are reported here
/// although the API server would take them, to keep the parser off the end of the stack.
/// Returns whether the expression uses `oldSelf` (a transition rule).
fn parse_cel(src: &str) -> Result<bool, String> {
    super::cel::with_parser_stack(|| {
        cel::parser::Parser::new()
            .enable_optional_syntax(true)
            .parse(src)
            .map(|e| e.references().has_variable("oldSelf"))
            .map_err(|e| e.to_string())
    })
}

impl Checker<'_> {
    fn error(&mut self, loc: Option<Location>, path: &str, msg: impl AsRef<str>) {
        self.diags.error(loc, format!("{}: {}", shown(path), msg.as_ref()));
    }

    fn error_help(&mut self, loc: Option<Location>, path: &str, msg: impl AsRef<str>, help: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(loc, format!("{}: {}", shown(path), msg.as_ref())).with_help(help));
    }

    fn node(&mut self, s: &Schema, path: &str, ctx: &Ctx) {
        let ty = s.ty().filter(|t| !t.is_empty());
        let int_or_string = s.int_or_string == Some(true);
        let preserve = s.preserve_unknown_fields == Some(true);
        let embedded = s.embedded_resource == Some(true);

        // Types.
        if let Some(t) = ty
            && !TYPES.contains(&t)
        {
            let msg = format!("unknown type {t:?}; expected one of {}", TYPES.join(", "));
            if t == "null" {
                self.error_help(s.location_of("type"), path, msg, "use nullable: true instead");
            } else {
                self.error(s.location_of("type"), path, msg);
            }
        }
        if ctx.level == Level::Root {
            if ty != Some("object") {
                self.error(
                    s.location_of("type"),
                    path,
                    format!("the root must have type object, but it is {}", describe(s)),
                );
            }
            if s.nullable {
                self.error(s.location_of("nullable"), path, "the root must not be nullable");
            }
            if s.additional_properties.is_some() {
                self.error(
                    s.location_of("additionalProperties"),
                    path,
                    "the root must not have additionalProperties",
                );
            }
            // The API server rejects a root default whenever the status subresource is enabled (see
            // `check_status_subresource_root`); kgen always does: a default for a whole object never
            // applies (defaults fill absent fields, and the object itself is never absent).
            if s.default.is_some() {
                self.error(s.location_of("default"), path, "the root must not have a default");
            }
        } else if ty.is_none() && !int_or_string && !preserve && !embedded {
            let what = if ctx.level == Level::Item {
                "array items"
            } else {
                "object fields"
            };
            self.error_help(
                s.location_of("type"),
                path,
                format!("{what} must have a type (structural schemas type every node)"),
                "set a type, or mark the node x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields",
            );
        }
        if int_or_string && preserve {
            self.error(
                s.location_of("x-kubernetes-preserve-unknown-fields"),
                path,
                "x-kubernetes-preserve-unknown-fields must not be set together with x-kubernetes-int-or-string",
            );
        }
        if int_or_string && embedded {
            self.error(
                s.location_of("x-kubernetes-embedded-resource"),
                path,
                "x-kubernetes-embedded-resource must not be set together with x-kubernetes-int-or-string",
            );
        }
        if embedded && ctx.inside_meta {
            self.error(
                s.location_of("x-kubernetes-embedded-resource"),
                path,
                "x-kubernetes-embedded-resource must not be used inside the apiVersion, kind or metadata of a resource",
            );
        }
        // The API server does not reject this combination by itself, but kgen does: with a type,
        // every value of the other kind fails validation, which defeats int-or-string.
        if int_or_string && let Some(t) = ty {
            self.error_help(
                s.location_of("x-kubernetes-int-or-string"),
                path,
                format!("x-kubernetes-int-or-string: true must not have a type, but type is {t}"),
                "drop the type: int-or-string nodes are typed by anyOf [{type: integer}, {type: string}]",
            );
        }
        if s.preserve_unknown_fields == Some(false) {
            self.error(
                s.location_of("x-kubernetes-preserve-unknown-fields"),
                path,
                "x-kubernetes-preserve-unknown-fields must be true or unset, not false",
            );
        }

        // Shape.
        if ty == Some("array") && s.items.is_none() {
            self.error(s.location_of("items"), path, "type array needs items");
        }
        if !s.properties.is_empty() && s.additional_properties.is_some() {
            self.error_help(
                s.location_of("additionalProperties"),
                path,
                "properties and additionalProperties cannot both be set",
                "use either a struct (properties) or a map (additionalProperties)",
            );
        }
        if s.unique_items == Some(true) {
            self.error_help(
                s.location_of("uniqueItems"),
                path,
                "uniqueItems: true is forbidden (the API server would need quadratic time to check it)",
                "use +listType=set for lists of unique scalars, or +listType=map with +listMapKey",
            );
        }

        self.topology(s, path);

        // Embedded resources and resource roots.
        if embedded {
            if ty != Some("object") {
                self.error(
                    s.location_of("x-kubernetes-embedded-resource"),
                    path,
                    format!(
                        "x-kubernetes-embedded-resource needs type object, but the node is {}",
                        describe(s)
                    ),
                );
            }
            if !preserve && s.properties.is_empty() {
                self.error_help(
                    s.location_of("x-kubernetes-embedded-resource"),
                    path,
                    "x-kubernetes-embedded-resource needs properties or x-kubernetes-preserve-unknown-fields: true",
                    "add +kubebuilder:pruning:PreserveUnknownFields, or describe the resource's fields",
                );
            }
            if s.additional_properties.is_some() {
                self.error(
                    s.location_of("additionalProperties"),
                    path,
                    "x-kubernetes-embedded-resource must not have additionalProperties",
                );
            }
        }
        if ctx.level == Level::Root || embedded {
            for (name, want) in [("apiVersion", "string"), ("kind", "string"), ("metadata", "object")] {
                if let Some(p) = s.properties.get(name)
                    && p.ty() != Some(want)
                {
                    self.error(
                        p.location_of("type"),
                        &child(path, name),
                        format!("{name} of a resource must have type {want}, but it is {}", describe(p)),
                    );
                }
            }
        }
        if ctx.level == Level::Root
            && let Some(meta) = s.properties.get("metadata")
        {
            self.root_metadata(meta, &child(path, "metadata"));
        }

        // Value validations.
        self.value_checks(s, path);
        if let Some(d) = &s.default
            && ctx.level != Level::Root
        {
            match &ctx.forbid_defaults {
                Some(reason) => self.error(
                    s.location_of("default"),
                    path,
                    format!("default must not be set {reason}"),
                ),
                None => self.value_against_schema(s, d, "default", path),
            }
        }
        if let Some(e) = &s.example {
            // The API server does not validate examples; kgen does, because an example that its own
            // schema rejects misleads every reader of the CRD (and `kubectl explain`).
            self.value_against_schema(s, e, "example", path);
        }

        self.rules(s, path, ctx);

        // anyOf / oneOf.
        let int_or_string_form = int_or_string && validate::is_int_or_string_any_of(&s.any_of);
        if !int_or_string_form {
            for (i, branch) in s.any_of.iter().enumerate() {
                self.nested(branch, Some(s), &format!("{}.anyOf[{i}]", shown(path)), path, s);
            }
        }
        for (i, branch) in s.one_of.iter().enumerate() {
            self.nested(branch, Some(s), &format!("{}.oneOf[{i}]", shown(path)), path, s);
        }

        // Children.
        let resource_root = ctx.level == Level::Root || embedded;
        for (name, p) in &s.properties {
            let mut cctx = Ctx {
                level: Level::Field,
                resource_root: p.embedded_resource == Some(true),
                ..ctx.clone()
            };
            if cctx.uncorrelated.is_none() && s.map_type.as_deref() == Some("atomic") {
                cctx.uncorrelated = Some(format!("{}, an x-kubernetes-map-type: atomic object", shown(path)));
            }
            if resource_root && matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
                cctx.inside_meta = true;
                if ctx.level == Level::Root {
                    cctx.forbid_defaults = Some(format!("in top-level {name}"));
                }
            }
            self.node(p, &child(path, name), &cctx);
        }
        if let Some(ap) = &s.additional_properties {
            let mut cctx = Ctx {
                level: Level::Field,
                resource_root: ap.embedded_resource == Some(true),
                cardinality: ctx
                    .cardinality
                    .zip(s.max_properties)
                    .map(|(c, m)| c.saturating_mul(m.max(0) as u64)),
                ..ctx.clone()
            };
            if ctx.inside_meta {
                // Pruning a default without the actual value is ambiguous there.
                cctx.forbid_defaults = Some("inside additionalProperties applying to object metadata".into());
            }
            self.node(ap, &any(path), &cctx);
        }
        if let Some(items) = &s.items {
            let mut cctx = Ctx {
                level: Level::Item,
                resource_root: items.embedded_resource == Some(true),
                cardinality: ctx
                    .cardinality
                    .zip(s.max_items)
                    .map(|(c, m)| c.saturating_mul(m.max(0) as u64)),
                ..ctx.clone()
            };
            if cctx.uncorrelated.is_none() && s.list_type.as_deref() != Some("map") {
                cctx.uncorrelated = Some(format!(
                    "{}, a list that is not x-kubernetes-list-type: map",
                    shown(path)
                ));
            }
            self.node(items, &any(path), &cctx);
        }
    }

    /// `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`.
    fn topology(&mut self, s: &Schema, path: &str) {
        let ty = s.ty();
        let loc = || s.location_of("x-kubernetes-list-type");
        if let Some(lt) = &s.list_type {
            if ty != Some("array") {
                self.error(
                    loc(),
                    path,
                    format!(
                        "x-kubernetes-list-type is only allowed on arrays, but the node is {}",
                        describe(s)
                    ),
                );
            }
            if !matches!(lt.as_str(), "atomic" | "set" | "map") {
                self.error(
                    loc(),
                    path,
                    format!("x-kubernetes-list-type {lt:?} is not supported; expected atomic, set or map"),
                );
            }
        }
        if !s.list_map_keys.is_empty() && s.list_type.as_deref() != Some("map") {
            self.error_help(
                s.location_of("x-kubernetes-list-map-keys"),
                path,
                format!(
                    "x-kubernetes-list-map-keys needs x-kubernetes-list-type: map, but the list type is {}",
                    s.list_type.as_deref().unwrap_or("unset")
                ),
                "add +listType=map",
            );
        }
        if s.list_type.as_deref() == Some("map") {
            if s.list_map_keys.is_empty() {
                self.error_help(
                    loc(),
                    path,
                    "x-kubernetes-list-type: map needs x-kubernetes-list-map-keys",
                    "name the key field(s) with +listMapKey=<field>",
                );
            }
            if let Some(items) = &s.items {
                if items.ty() != Some("object") {
                    self.error(
                        items.location_of("type").or_else(loc),
                        &any(path),
                        format!(
                            "items of an x-kubernetes-list-type: map list must have type object, but they are {}",
                            describe(items)
                        ),
                    );
                } else {
                    let mut seen = HashSet::new();
                    for k in &s.list_map_keys {
                        if !seen.insert(k) {
                            self.error(
                                s.location_of("x-kubernetes-list-map-keys"),
                                path,
                                format!("x-kubernetes-list-map-keys names {k:?} twice"),
                            );
                            continue;
                        }
                        let Some(p) = items.properties.get(k) else {
                            let have: Vec<&str> = items.properties.keys().map(String::as_str).collect();
                            self.error(
                                s.location_of("x-kubernetes-list-map-keys"),
                                path,
                                format!(
                                    "list map key {k:?} is not a property of the items (they have: {})",
                                    if have.is_empty() {
                                        "none".to_string()
                                    } else {
                                        have.join(", ")
                                    }
                                ),
                            );
                            continue;
                        };
                        let kpath = child(&any(path), k);
                        if matches!(p.ty(), Some("array" | "object")) {
                            self.error(
                                p.location_of("type"),
                                &kpath,
                                format!(
                                    "a list map key must be a scalar (string, integer, number or boolean), but it is {}",
                                    describe(p)
                                ),
                            );
                        }
                        if !items.required.contains(k) && p.default.is_none() {
                            self.error_help(
                                p.origin.clone().or_else(|| s.location_of("x-kubernetes-list-map-keys")),
                                &kpath,
                                "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                                "mark the field +required (not Option), or give it a +default",
                            );
                        }
                        if p.nullable {
                            self.error(p.location_of("nullable"), &kpath, "a list map key must not be nullable");
                        }
                    }
                }
            }
        }
        if let (Some(lt @ ("set" | "map")), Some(items)) = (s.list_type.as_deref(), &s.items)
            && items.nullable
        {
            self.error(
                items.location_of("nullable"),
                &any(path),
                format!("items of an x-kubernetes-list-type: {lt} list must not be nullable"),
            );
        }
        if s.list_type.as_deref() == Some("set")
            && let Some(items) = &s.items
        {
            match items.ty() {
                Some("array") if items.list_type.as_deref().is_some_and(|t| t != "atomic") => self.error(
                    items.location_of("x-kubernetes-list-type").or_else(loc),
                    &any(path),
                    format!(
                        "items of an x-kubernetes-list-type: set list must be atomic lists, but they are {} lists",
                        items.list_type.as_deref().unwrap_or_default()
                    ),
                ),
                Some("object") if items.map_type.as_deref() != Some("atomic") => self.error_help(
                    items.location_of("x-kubernetes-map-type").or_else(loc),
                    &any(path),
                    "items of an x-kubernetes-list-type: set list must be scalars or atomic (x-kubernetes-map-type: atomic) objects",
                    "mark the item type +mapType=atomic, or use +listType=map with +listMapKey",
                ),
                _ => {}
            }
        }
        if let Some(mt) = &s.map_type {
            let loc = s.location_of("x-kubernetes-map-type");
            if ty != Some("object") {
                self.error(
                    loc.clone(),
                    path,
                    format!(
                        "x-kubernetes-map-type is only allowed on objects, but the node is {}",
                        describe(s)
                    ),
                );
            }
            if !matches!(mt.as_str(), "granular" | "atomic") {
                self.error(
                    loc,
                    path,
                    format!("x-kubernetes-map-type {mt:?} is not supported; expected granular or atomic"),
                );
            }
        }
    }

    /// `metadata` at the root: only `type: object`, or `name`/`generateName` as strings.
    fn root_metadata(&mut self, meta: &Schema, path: &str) {
        let extra: Vec<&str> = meta
            .properties
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "name" && *k != "generateName")
            .collect();
        if !extra.is_empty() {
            self.error_help(
                meta.location_of("properties"),
                path,
                format!(
                    "metadata may only declare name and generateName, but declares {}",
                    extra.join(", ")
                ),
                "the API server owns the schema of ObjectMeta; leave metadata as {type: object}",
            );
        }
        // Anything but the type and the two properties makes the API server reject the schema,
        // descriptions included. (A default is reported with the other top-level metadata defaults.)
        let others: Vec<&str> = set_keywords(meta)
            .into_iter()
            .filter(|k| !matches!(*k, "type" | "properties" | "default"))
            .collect();
        if !others.is_empty() {
            self.error_help(
                meta.origin.clone(),
                path,
                format!(
                    "metadata must be {{type: object}} (with at most name and generateName), but also sets {}",
                    others.join(", ")
                ),
                "the API server owns the schema of ObjectMeta; leave metadata as {type: object}",
            );
        }
        // kgen is stricter here: a name schema that is not a string would reject every object.
        for name in ["name", "generateName"] {
            if let Some(p) = meta.properties.get(name)
                && p.ty() != Some("string")
            {
                self.error(
                    p.location_of("type"),
                    &child(path, name),
                    format!("metadata.{name} must have type string, but it is {}", describe(p)),
                );
            }
        }
    }

    /// Checks on value validations, shared by nodes and anyOf/oneOf entries.
    fn value_checks(&mut self, s: &Schema, path: &str) {
        // JSON Schema requires these counts to be non-negative. kgen reports negative ones even if
        // the API server lets them through: no string, list or object has a negative size, so such a
        // bound is always a mistake.
        for (kw, v) in [
            ("minLength", s.min_length),
            ("maxLength", s.max_length),
            ("minItems", s.min_items),
            ("maxItems", s.max_items),
            ("minProperties", s.min_properties),
            ("maxProperties", s.max_properties),
        ] {
            if let Some(n) = v
                && n < 0
            {
                self.error(
                    s.location_of(kw),
                    path,
                    format!("{kw} must not be negative, but is {n}"),
                );
            }
        }
        // A minimum above its maximum admits no value at all. kgen reports it even where the API
        // server would take it: such a schema is always a mistake, and the field could never be set.
        for (lo_kw, lo, hi_kw, hi) in [
            ("minLength", s.min_length, "maxLength", s.max_length),
            ("minItems", s.min_items, "maxItems", s.max_items),
            ("minProperties", s.min_properties, "maxProperties", s.max_properties),
        ] {
            if let (Some(lo), Some(hi)) = (lo, hi)
                && lo > hi
            {
                self.error(
                    s.location_of(lo_kw),
                    path,
                    format!("{lo_kw} ({lo}) is greater than {hi_kw} ({hi}): no value fits"),
                );
            }
        }
        if let (Some(lo), Some(hi)) = (&s.minimum, &s.maximum) {
            let (l, h) = (lo.as_f64().unwrap_or(f64::NAN), hi.as_f64().unwrap_or(f64::NAN));
            let exclusive = s.exclusive_minimum == Some(true) || s.exclusive_maximum == Some(true);
            if l > h || (l == h && exclusive) {
                self.error(
                    s.location_of("minimum"),
                    path,
                    format!("minimum ({lo}) is not below maximum ({hi}): no value fits"),
                );
            }
        }
        // JSON Schema requires multipleOf > 0; kgen enforces it (stricter than the API server where
        // it would accept one): no value is a multiple of 0, and a negative factor is a typo.
        if let Some(m) = &s.multiple_of
            && m.as_f64().is_none_or(|f| f <= 0.0)
        {
            self.error(
                s.location_of("multipleOf"),
                path,
                format!("multipleOf must be greater than 0, but is {m}"),
            );
        }
        // The API server compiles patterns with Go's `regexp` (RE2 syntax), not Rust's `regex`:
        // `go_regex` parses them with Go's rules, so what Go rejects (counts above 1000, `(?x)`, `\u`,
        // `\p{greek}`, look-around, ...) is an error in the API server's wording, and what Go reads
        // otherwise than Rust (`[a-z&&[^aeiou]]`, `\<`, `\b{start}`, `a{,5}`) is a warning. kgen then
        // evaluates defaults and examples with Go's meaning (`validate::compile_pattern`).
        if let Some(p) = &s.pattern {
            let loc = s.location_of("pattern");
            match kgen_schema::go_regex::check(p) {
                Err(e) => self.error_help(
                    loc,
                    path,
                    format!("pattern: Invalid value: {p:?}: must be a valid regular expression, but isn't: {e}"),
                    format!(
                        "the API server compiles patterns with Go's regexp (RE2), not Rust's: {}",
                        e.help()
                    ),
                ),
                Ok(warnings) => {
                    for w in warnings {
                        self.diags.push(
                            Diagnostic::warning(loc.clone(), format!("{}: pattern {p:?}: {w}", shown(path)))
                                .with_help(w.help()),
                        );
                    }
                    if let Err(e) = validate::compile_pattern(p) {
                        self.error(loc, path, format!("pattern {p:?}: {e}"));
                    }
                }
            }
        }
        if let Some(f) = &s.format
            && !KNOWN_FORMATS.contains(&f.as_str())
        {
            self.diags.push(
                Diagnostic::warning(
                    s.location_of("format"),
                    format!("{}: unknown format {f:?}; the API server ignores it", shown(path)),
                )
                .with_help(format!("known formats: {}", KNOWN_FORMATS.join(", "))),
            );
        }
        // kgen is stricter than the API server here: an enum value of the wrong type can never pass
        // the type check, so it is dead (and usually a quoting mistake in a marker).
        if let Some(values) = &s.enum_ {
            for (i, v) in values.iter().enumerate() {
                if let Some(msg) = validate::type_error(s, v) {
                    self.error(
                        s.location_of("enum"),
                        path,
                        format!("enum value {} does not fit the node's type: {msg}", show(v)),
                    );
                }
                // kgen is stricter than the API server here: a repeated enum value is always a mistake
                // (often two variants serialised to the same name).
                if values[..i].iter().any(|w| validate::json_eq(v, w)) {
                    self.error(
                        s.location_of("enum"),
                        path,
                        format!("enum value {} is listed twice", show(v)),
                    );
                }
            }
        }
    }

    /// A `default` or `example` must pass the node's own schema and have no unknown fields.
    fn value_against_schema(&mut self, s: &Schema, v: &Value, keyword: &str, path: &str) {
        if keyword == "default" {
            for failed in super::cel::defaults::failing_rules(s, v) {
                self.error_help(
                    s.location_of(keyword),
                    path,
                    format!("invalid default {}: {failed}", show(v)),
                    "the API server runs the node's x-kubernetes-validations on each default; fix the default or the rule",
                );
            }
        }
        for e in validate::validate_value(s, v) {
            self.error(
                s.location_of(keyword),
                path,
                format!("invalid {keyword} {}: {e}", show(v)),
            );
        }
        for e in validate::unknown_fields(s, v) {
            self.error_help(
                s.location_of(keyword),
                path,
                format!("invalid {keyword} {}: {e}", show(v)),
                "the API server prunes unknown fields and rejects defaults that have any",
            );
        }
    }

    /// Type-checks and costs a rule that parsed, as the API server compiles it.
    fn compile_rule(&mut self, s: &Schema, r: &Rule, loc: Option<Location>, path: &str, what: &str, ctx: &Ctx) {
        let site = super::cel::Site {
            node: s,
            resource_root: ctx.level == Level::Root || ctx.resource_root,
            cardinality: ctx.cardinality,
            minor: self.cel_minor,
        };
        let compiled = super::cel::compile(r, &site);
        for e in &compiled.errors {
            self.error(loc.clone(), path, format!("{what}: rule {:?}: {e}", r.rule));
        }
        let here = format!("{}.{what}", shown(path));
        for (cost, which) in [
            (compiled.rule_cost, "rule"),
            (compiled.message_cost, "messageExpression"),
        ] {
            let Some(cost) = cost else { continue };
            if cost > super::cel::PER_RULE_LIMIT {
                self.error_help(
                    loc.clone(),
                    path,
                    format!(
                        "{what}.{which}: Forbidden: {} (estimated cost {cost}, limit {})",
                        super::cel::over_budget(&format!("estimated {which} cost"), cost, super::cel::PER_RULE_LIMIT),
                        super::cel::PER_RULE_LIMIT
                    ),
                    "bound what the rule walks: maxItems on lists, maxProperties on maps, maxLength on strings (here and above)",
                );
            }
            self.total.total = self.total.total.saturating_add(cost);
            if cost >= super::cel::PER_CRD_LIMIT / 100 {
                self.total.most.push((cost, format!("{here}.{which}"), loc.clone()));
            }
        }
    }

    /// The API server's limit on all rules of one version together.
    fn total_cost(&mut self, root: &Schema) {
        if self.total.total <= super::cel::PER_CRD_LIMIT {
            return;
        }
        let mut most = std::mem::take(&mut self.total.most);
        most.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        most.truncate(4);
        for (cost, at, loc) in &most {
            self.diags.error(
                loc.clone(),
                format!(
                    "{at}: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema (estimated cost {cost})"
                ),
            );
        }
        let total = self.total.total;
        self.diags.push(
            Diagnostic::error(
                root.origin.clone(),
                format!(
                    "(root): Forbidden: x-kubernetes-validations {} (estimated total {total}, limit {})",
                    super::cel::over_budget(
                        "estimated rule cost total for entire OpenAPIv3 schema",
                        total,
                        super::cel::PER_CRD_LIMIT
                    ),
                    super::cel::PER_CRD_LIMIT
                ),
            )
            .with_help("bound the lists, maps and strings the rules walk with maxItems, maxProperties and maxLength"),
        );
    }

    /// `x-kubernetes-validations`.
    fn rules(&mut self, s: &Schema, path: &str, ctx: &Ctx) {
        for (i, r) in s.validations.iter().enumerate() {
            let loc = r.origin.clone().or_else(|| s.location_of("x-kubernetes-validations"));
            let what = format!("x-kubernetes-validations[{i}]");
            self.rule(s, r, loc, path, &what, ctx);
        }
    }

    fn rule(&mut self, s: &Schema, r: &Rule, loc: Option<Location>, path: &str, what: &str, ctx: &Ctx) {
        if r.rule.trim().is_empty() {
            self.error(loc.clone(), path, format!("{what}: the rule must not be empty"));
        } else {
            match parse_cel(&r.rule) {
                Err(e) => self.error(
                    loc.clone(),
                    path,
                    format!("{what}: rule {:?} does not parse: {e}", r.rule),
                ),
                Ok(transition) => {
                    if transition && let Some(above) = &ctx.uncorrelated {
                        self.error_help(
                            loc.clone(),
                            path,
                            format!(
                                "{what}: the rule uses oldSelf (a transition rule), but the node is below {above}, \
                                 where the API server cannot pair old and new values"
                            ),
                            "make the list +listType=map with +listMapKey (or the object +mapType=granular), or move the rule above it",
                        );
                    }
                    if !transition && r.optional_old_self.is_some() {
                        self.error(
                            loc.clone(),
                            path,
                            format!("{what}: optionalOldSelf is set, but the rule does not use oldSelf"),
                        );
                    }
                    self.compile_rule(s, r, loc.clone(), path, what, ctx);
                    if r.rule.trim().contains(['\n', '\r']) && r.message.as_deref().is_none_or(|m| m.trim().is_empty())
                    {
                        self.error_help(
                            loc.clone(),
                            path,
                            format!("{what}: a rule that spans several lines needs a message"),
                            "add message=\"...\" to the rule",
                        );
                    }
                }
            }
        }
        if let Some(m) = &r.message_expression {
            if m.trim().is_empty() {
                self.error(
                    loc.clone(),
                    path,
                    format!("{what}: messageExpression must not be empty when set"),
                );
            } else if let Err(e) = parse_cel(m) {
                self.error(
                    loc.clone(),
                    path,
                    format!("{what}: messageExpression {m:?} does not parse: {e}"),
                );
            }
        }
        if let Some(m) = &r.message {
            if m.trim().is_empty() {
                self.error(loc.clone(), path, format!("{what}: message must not be empty when set"));
            } else if m.trim().contains(['\n', '\r']) {
                self.error(
                    loc.clone(),
                    path,
                    format!("{what}: message must not contain line breaks"),
                );
            }
        }
        if let Some(reason) = &r.reason
            && !REASONS.contains(&reason.as_str())
        {
            self.error(
                loc.clone(),
                path,
                format!(
                    "{what}: reason {reason:?} is not supported; expected one of {}",
                    REASONS.join(", ")
                ),
            );
        }
        if let Some(fp) = r.field_path.as_deref().filter(|f| !f.is_empty())
            && (fp.trim().is_empty() || fp.contains(['\n', '\r']))
        {
            self.error(
                loc.clone(),
                path,
                format!("{what}: fieldPath must be non-blank and on one line when set"),
            );
        } else if let Some(fp) = r.field_path.as_deref().filter(|f| !f.is_empty())
            && let Err(e) = field_path(s, fp)
        {
            self.error_help(
                loc,
                path,
                format!("{what}: fieldPath {fp:?} {e}"),
                "fieldPath is relative to the node carrying the rule, e.g. `.spec.name` or `['a.b']`",
            );
        }
    }

    /// An anyOf/oneOf entry: value validations only; every property and items it mentions must exist
    /// in the enclosing structural schema (`outer`).
    fn nested(&mut self, v: &Schema, outer: Option<&Schema>, vpath: &str, opath: &str, anchor: &Schema) {
        let fallback = || v.origin.clone().or_else(|| anchor.origin.clone());
        let forbidden = [
            ("type", v.ty().is_some_and(|t| !t.is_empty())),
            ("description", v.description.is_some()),
            ("title", v.title.is_some()),
            ("default", v.default.is_some()),
            ("nullable", v.nullable),
            ("additionalProperties", v.additional_properties.is_some()),
            (
                "x-kubernetes-preserve-unknown-fields",
                v.preserve_unknown_fields.is_some(),
            ),
            ("x-kubernetes-embedded-resource", v.embedded_resource.is_some()),
            ("x-kubernetes-int-or-string", v.int_or_string.is_some()),
            ("x-kubernetes-list-type", v.list_type.is_some()),
            ("x-kubernetes-list-map-keys", !v.list_map_keys.is_empty()),
            ("x-kubernetes-map-type", v.map_type.is_some()),
            ("x-kubernetes-validations", !v.validations.is_empty()),
        ];
        for (kw, set) in forbidden {
            if set {
                self.error_help(
                    v.keyword_origins.get(kw).cloned().or_else(fallback),
                    vpath,
                    format!("{kw} is not allowed inside anyOf/oneOf (structural schemas keep it outside the logical junctors)"),
                    format!("set {kw} on {} itself", shown(opath)),
                );
            }
        }
        // Reasoning about metadata in value validations could restrict it behind the API server's
        // back, so it is forbidden at any depth.
        if v.properties.contains_key("metadata") {
            self.error(
                fallback(),
                &child(vpath, "metadata"),
                "metadata must not be mentioned inside anyOf/oneOf",
            );
        }
        self.value_checks(v, vpath);
        // Completeness: whatever an entry mentions must exist in the structural schema itself
        // (`additionalProperties` does not count). Reported once, at the first missing level.
        for (k, p) in &v.properties {
            let o = outer.and_then(|o| o.properties.get(k));
            if outer.is_some() && o.is_none() && k != "metadata" {
                self.error_help(
                    fallback(),
                    &child(vpath, k),
                    format!("{} is not specified outside anyOf/oneOf", child(opath, k)),
                    format!("declare {k} in the properties of {}", shown(opath)),
                );
            }
            self.nested(p, o, &child(vpath, k), &child(opath, k), anchor);
        }
        if let Some(items) = &v.items {
            let o = outer.and_then(|o| o.items.as_deref());
            if outer.is_some() && o.is_none() {
                self.error(
                    fallback(),
                    &any(vpath),
                    format!("items are not specified outside anyOf/oneOf on {}", shown(opath)),
                );
            }
            self.nested(items, o, &any(vpath), &any(opath), anchor);
        }
        for (i, b) in v.any_of.iter().enumerate() {
            self.nested(b, outer, &format!("{vpath}.anyOf[{i}]"), opath, anchor);
        }
        for (i, b) in v.one_of.iter().enumerate() {
            self.nested(b, outer, &format!("{vpath}.oneOf[{i}]"), opath, anchor);
        }
    }
}

/// The JSON keywords set on a node (apart from `origin` bookkeeping).
fn set_keywords(s: &Schema) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut add = |kw: &'static str, set: bool| {
        if set {
            out.push(kw);
        }
    };
    add("type", s.type_.is_some());
    add("format", s.format.is_some());
    add("title", s.title.is_some());
    add("description", s.description.is_some());
    add("nullable", s.nullable);
    add("default", s.default.is_some());
    add("example", s.example.is_some());
    add("enum", s.enum_.is_some());
    add("maximum", s.maximum.is_some());
    add("exclusiveMaximum", s.exclusive_maximum.is_some());
    add("minimum", s.minimum.is_some());
    add("exclusiveMinimum", s.exclusive_minimum.is_some());
    add("multipleOf", s.multiple_of.is_some());
    add("maxLength", s.max_length.is_some());
    add("minLength", s.min_length.is_some());
    add("pattern", s.pattern.is_some());
    add("maxItems", s.max_items.is_some());
    add("minItems", s.min_items.is_some());
    add("uniqueItems", s.unique_items.is_some());
    add("maxProperties", s.max_properties.is_some());
    add("minProperties", s.min_properties.is_some());
    add("items", s.items.is_some());
    add("properties", !s.properties.is_empty());
    add("additionalProperties", s.additional_properties.is_some());
    add("required", !s.required.is_empty());
    add("anyOf", !s.any_of.is_empty());
    add("oneOf", !s.one_of.is_empty());
    add("externalDocs", s.external_docs.is_some());
    add(
        "x-kubernetes-preserve-unknown-fields",
        s.preserve_unknown_fields.is_some(),
    );
    add("x-kubernetes-embedded-resource", s.embedded_resource.is_some());
    add("x-kubernetes-int-or-string", s.int_or_string.is_some());
    add("x-kubernetes-list-type", s.list_type.is_some());
    add("x-kubernetes-list-map-keys", !s.list_map_keys.is_empty());
    add("x-kubernetes-map-type", s.map_type.is_some());
    add("x-kubernetes-validations", !s.validations.is_empty());
    out
}

// ---------------------------------------------------------------------------------------------
// Paths: CEL fieldPath and JSONPath

/// One step of a path.
#[derive(Debug, PartialEq)]
enum Seg {
    /// `.name` or `['name']`.
    Field(String),
    /// `[0]`, `[*]`, `[?(...)]`, `[1:2]`: anything indexing a list.
    Index(String),
}

/// Splits `.a['b'][0]` into segments, each with its source text.
fn segments(path: &str) -> Result<Vec<(Seg, String)>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    return Err("uses recursive descent (`..`), which is not supported".into());
                }
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != '.' && chars[j] != '[' {
                    j += 1;
                }
                if j == start {
                    return Err(format!("has an empty field name at position {}", i + 1));
                }
                let name: String = chars[start..j].iter().collect();
                out.push((Seg::Field(name.clone()), format!(".{name}")));
                i = j;
            }
            '[' => {
                let start = i + 1;
                let mut j = start;
                let mut quote: Option<char> = None;
                let mut depth = 0usize;
                while j < chars.len() {
                    let c = chars[j];
                    match quote {
                        Some(_) if c == '\\' => j += 1,
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None if c == '\'' || c == '"' => quote = Some(c),
                        None if c == '(' => depth += 1,
                        None if c == ')' => depth = depth.saturating_sub(1),
                        None if c == ']' && depth == 0 => break,
                        None => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("has an unclosed '[' at position {}", i + 1));
                }
                let inner: String = chars[start..j].iter().collect();
                let raw = format!("[{inner}]");
                let t = inner.trim();
                let quoted = t.len() >= 2
                    && ((t.starts_with('\'') && t.ends_with('\'')) || (t.starts_with('"') && t.ends_with('"')));
                if quoted {
                    let name = t[1..t.len() - 1].replace("\\'", "'").replace("\\\"", "\"");
                    out.push((Seg::Field(name), raw));
                } else if t.is_empty() {
                    return Err(format!("has an empty '[]' at position {}", i + 1));
                } else {
                    out.push((Seg::Index(t.to_string()), raw));
                }
                i = j + 1;
            }
            c => {
                return Err(format!("expected '.' or '[' at position {}, found {c:?}", i + 1));
            }
        }
    }
    Ok(out)
}

/// Checks a CEL rule's `fieldPath` against the node carrying the rule: `.a.b`, `['a.b']`; map keys
/// (additionalProperties) may be named the same way. List indexes are not supported (as in the
/// API server).
fn field_path(s: &Schema, fp: &str) -> Result<(), String> {
    let segs = segments(fp)?;
    let mut cur = s;
    let mut prefix = String::new();
    for (seg, raw) in segs {
        match seg {
            Seg::Index(_) => {
                return Err(format!("indexes a list with {raw}, which fieldPath does not support"));
            }
            Seg::Field(name) => {
                if let Some(p) = cur.properties.get(&name) {
                    cur = p;
                } else if let Some(ap) = &cur.additional_properties {
                    cur = ap;
                } else {
                    return Err(format!(
                        "does not refer to a field of the node: {name:?} does not exist{}",
                        if prefix.is_empty() {
                            String::new()
                        } else {
                            format!(" under {prefix}")
                        }
                    ));
                }
            }
        }
        prefix.push_str(&raw);
    }
    Ok(())
}

fn meta_string() -> Schema {
    Schema::typed("string")
}

fn string_map() -> Schema {
    Schema {
        additional_properties: Some(Box::new(Schema::typed("string"))),
        ..Schema::typed("object")
    }
}

/// A static schema for `metadata` (ObjectMeta), which the API server knows whatever the CRD says.
static OBJECT_META: LazyLock<Schema> = LazyLock::new(|| {
    let time = || Schema {
        format: Some("date-time".into()),
        ..Schema::typed("string")
    };
    let int64 = || Schema {
        format: Some("int64".into()),
        ..Schema::typed("integer")
    };
    let owner_ref = Schema {
        properties: [
            ("apiVersion", meta_string()),
            ("blockOwnerDeletion", Schema::typed("boolean")),
            ("controller", Schema::typed("boolean")),
            ("kind", meta_string()),
            ("name", meta_string()),
            ("uid", meta_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        required: vec!["apiVersion".into(), "kind".into(), "name".into(), "uid".into()],
        ..Schema::typed("object")
    };
    let props: BTreeMap<String, Schema> = [
        ("annotations", string_map()),
        ("creationTimestamp", time()),
        ("deletionGracePeriodSeconds", int64()),
        ("deletionTimestamp", time()),
        (
            "finalizers",
            Schema {
                items: Some(Box::new(meta_string())),
                list_type: Some("set".into()),
                ..Schema::typed("array")
            },
        ),
        ("generateName", meta_string()),
        ("generation", int64()),
        ("labels", string_map()),
        (
            "managedFields",
            Schema {
                items: Some(Box::new(Schema {
                    preserve_unknown_fields: Some(true),
                    ..Schema::typed("object")
                })),
                ..Schema::typed("array")
            },
        ),
        ("name", meta_string()),
        ("namespace", meta_string()),
        (
            "ownerReferences",
            Schema {
                items: Some(Box::new(owner_ref)),
                list_type: Some("map".into()),
                list_map_keys: vec!["uid".into()],
                ..Schema::typed("array")
            },
        ),
        ("resourceVersion", meta_string()),
        ("selfLink", meta_string()),
        ("uid", meta_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    debug_assert!(props.keys().all(|k| validate::OBJECT_META_FIELDS.contains(&k.as_str())));
    Schema {
        properties: props,
        ..Schema::typed("object")
    }
});

static TYPE_META_STRING: LazyLock<Schema> = LazyLock::new(|| Schema::typed("string"));

/// Resolves a simple JSONPath (as used by `additionalPrinterColumns` and `selectableFields`) to the
/// schema node it points at, starting at the root of `root`.
///
/// Supported: `.field`, `['field']`, list steps `[0]`, `[*]`, `[?(@.type=="Ready")]` (all descend
/// into `items`), and map lookups (`.key`/`['key']` on a node with `additionalProperties`). An
/// optional leading `$` and surrounding `{}` are accepted. `.metadata.*` resolves against
/// ObjectMeta (`name`, `namespace`, `creationTimestamp`, `generation`, `labels`, ...) whatever the
/// CRD declares, and `.apiVersion`/`.kind` are always strings. Below a node with
/// `x-kubernetes-preserve-unknown-fields` and no matching property, the result is an untyped
/// preserve-unknown-fields schema. The error names the first segment that does not exist.
pub fn resolve_json_path<'a>(root: &'a Schema, path: &str) -> Result<&'a Schema, String> {
    let trimmed = path.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(trimmed)
        .trim();
    let inner = inner.strip_prefix('$').unwrap_or(inner);
    if inner.is_empty() {
        return Err(format!(
            "JSONPath {path:?} is empty; expected something like .spec.replicas"
        ));
    }
    let segs = segments(inner).map_err(|e| format!("JSONPath {path:?} {e}"))?;
    let mut cur: &'a Schema = root;
    let mut prefix = String::new();
    for (i, (seg, raw)) in segs.into_iter().enumerate() {
        let at = if prefix.is_empty() {
            "the root".to_string()
        } else {
            prefix.clone()
        };
        match seg {
            Seg::Field(name) => {
                if i == 0 && name == "metadata" {
                    cur = &OBJECT_META;
                } else if let Some(p) = cur.properties.get(&name) {
                    cur = p;
                } else if i == 0 && (name == "apiVersion" || name == "kind") {
                    cur = &TYPE_META_STRING;
                } else if let Some(ap) = &cur.additional_properties {
                    cur = ap;
                } else if cur.preserve_unknown_fields == Some(true) {
                    return Ok(&ANY);
                } else if cur.ty().is_some_and(|t| t != "object") {
                    return Err(format!(
                        "JSONPath {path:?}: {raw} does not exist: {at} is {}, not an object",
                        describe(cur)
                    ));
                } else {
                    let have: Vec<&str> = cur.properties.keys().map(String::as_str).collect();
                    return Err(format!(
                        "JSONPath {path:?}: field {name:?} does not exist in {at} ({})",
                        if have.is_empty() {
                            "it has no fields".to_string()
                        } else {
                            format!("fields: {}", have.join(", "))
                        }
                    ));
                }
            }
            Seg::Index(_) => {
                if let (Some("array"), Some(items)) = (cur.ty(), &cur.items) {
                    cur = items;
                } else if cur.preserve_unknown_fields == Some(true) {
                    return Ok(&ANY);
                } else {
                    return Err(format!(
                        "JSONPath {path:?}: {raw} indexes a list, but {at} is {}",
                        describe(cur)
                    ));
                }
            }
        }
        prefix.push_str(&raw);
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use serde_json::json;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn obj(props: Vec<(&str, Schema)>) -> Schema {
        Schema {
            properties: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            ..Schema::typed("object")
        }
    }

    fn arr(items: Schema) -> Schema {
        Schema {
            items: Some(Box::new(items)),
            ..Schema::typed("array")
        }
    }

    /// A root with `spec` set to `spec`.
    fn root(spec: Schema) -> Schema {
        obj(vec![("spec", spec)])
    }

    fn run(root: &Schema) -> Vec<Diagnostic> {
        let mut d = Diagnostics::new();
        check_schema(root, &mut d);
        d.iter().cloned().collect()
    }

    fn errors(root: &Schema) -> Vec<String> {
        run(root)
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| d.message)
            .collect()
    }

    /// Exactly one error, containing `fragment`; returns it.
    fn one_error(root: &Schema, fragment: &str) -> Diagnostic {
        let ds: Vec<Diagnostic> = run(root).into_iter().filter(|d| d.is_error()).collect();
        assert_eq!(ds.len(), 1, "expected one error, got {ds:#?}");
        assert!(
            ds[0].message.contains(fragment),
            "{:?} does not contain {fragment:?}",
            ds[0].message
        );
        ds[0].clone()
    }

    fn loc(line: usize) -> Location {
        Location::new(Arc::new(PathBuf::from("api.rs")), line, 1)
    }

    #[test]
    fn a_good_schema_passes() {
        let s = obj(vec![
            ("apiVersion", Schema::typed("string")),
            ("kind", Schema::typed("string")),
            ("metadata", Schema::typed("object")),
            (
                "spec",
                obj(vec![
                    (
                        "replicas",
                        Schema {
                            default: Some(json!(1)),
                            minimum: Some(0.into()),
                            ..Schema::typed("integer")
                        },
                    ),
                    ("port", Schema::int_or_string()),
                    (
                        "labels",
                        Schema {
                            additional_properties: Some(Box::new(Schema::typed("string"))),
                            ..Schema::typed("object")
                        },
                    ),
                ]),
            ),
        ]);
        assert!(run(&s).is_empty(), "{:#?}", run(&s));
    }

    #[test]
    fn root_must_be_object() {
        let d = one_error(
            &Schema::typed("string"),
            "(root): the root must have type object, but it is a string",
        );
        assert!(d.location.is_none());
    }

    #[test]
    fn root_must_not_be_nullable_or_defaulted() {
        let s = Schema {
            nullable: true,
            ..obj(vec![])
        };
        one_error(&s, "(root): the root must not be nullable");
        let s = Schema {
            default: Some(json!({})),
            ..obj(vec![])
        };
        one_error(&s, "(root): the root must not have a default");
    }

    #[test]
    fn every_node_needs_a_type() {
        let s = root(obj(vec![("x", Schema::default())]));
        let d = one_error(&s, "spec.x: object fields must have a type");
        assert!(d.help.is_some());
        let s = root(obj(vec![("xs", arr(Schema::default()))]));
        one_error(&s, "spec.xs[*]: array items must have a type");
        // int-or-string and preserve-unknown-fields nodes need none.
        let s = root(obj(vec![("v", ANY.clone()), ("p", Schema::int_or_string())]));
        assert!(errors(&s).is_empty());
    }

    #[test]
    fn unknown_type() {
        one_error(
            &root(Schema::typed("map")),
            "spec: unknown type \"map\"; expected one of array, boolean",
        );
    }

    #[test]
    fn error_uses_keyword_location_then_node_origin() {
        let mut x = Schema {
            origin: Some(loc(3)),
            unique_items: Some(true),
            ..arr(Schema::typed("string"))
        };
        let d = one_error(&root(obj(vec![("x", x.clone())])), "uniqueItems");
        assert_eq!(d.location, Some(loc(3)));
        x.keyword_origins.insert("uniqueItems", loc(2));
        let d = one_error(&root(obj(vec![("x", x)])), "uniqueItems");
        assert_eq!(d.location, Some(loc(2)));
    }

    #[test]
    fn array_needs_items() {
        one_error(
            &root(obj(vec![("xs", Schema::typed("array"))])),
            "spec.xs: type array needs items",
        );
    }

    #[test]
    fn properties_and_additional_properties_are_exclusive() {
        let s = Schema {
            additional_properties: Some(Box::new(Schema::typed("string"))),
            ..obj(vec![("a", Schema::typed("string"))])
        };
        one_error(&root(s), "spec: properties and additionalProperties cannot both be set");
    }

    #[test]
    fn unique_items_is_forbidden() {
        let s = Schema {
            unique_items: Some(true),
            ..arr(Schema::typed("string"))
        };
        let d = one_error(&root(s), "spec: uniqueItems: true is forbidden");
        assert!(d.help.unwrap().contains("+listType=set"));
    }

    #[test]
    fn nested_forbids_generic_keywords() {
        for (kw, branch) in [
            ("type", Schema::typed("string")),
            (
                "description",
                Schema {
                    description: Some("d".into()),
                    ..Default::default()
                },
            ),
            (
                "default",
                Schema {
                    default: Some(json!(1)),
                    ..Default::default()
                },
            ),
            (
                "nullable",
                Schema {
                    nullable: true,
                    ..Default::default()
                },
            ),
            (
                "additionalProperties",
                Schema {
                    additional_properties: Some(Box::new(Schema::default())),
                    ..Default::default()
                },
            ),
            (
                "x-kubernetes-preserve-unknown-fields",
                Schema {
                    preserve_unknown_fields: Some(true),
                    ..Default::default()
                },
            ),
            (
                "x-kubernetes-list-type",
                Schema {
                    list_type: Some("set".into()),
                    ..Default::default()
                },
            ),
            (
                "x-kubernetes-validations",
                Schema {
                    validations: vec![Rule {
                        rule: "true".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            ),
        ] {
            let s = root(Schema {
                any_of: vec![branch.clone()],
                ..Schema::typed("string")
            });
            one_error(&s, &format!("spec.anyOf[0]: {kw} is not allowed inside anyOf/oneOf"));
            let s = root(Schema {
                one_of: vec![branch],
                ..Schema::typed("string")
            });
            one_error(&s, &format!("spec.oneOf[0]: {kw} is not allowed inside anyOf/oneOf"));
        }
    }

    #[test]
    fn nested_allows_value_validations() {
        let s = root(Schema {
            one_of: vec![
                Schema {
                    required: vec!["a".into()],
                    ..Default::default()
                },
                Schema {
                    required: vec!["b".into()],
                    ..Default::default()
                },
            ],
            ..obj(vec![("a", Schema::typed("string")), ("b", Schema::typed("string"))])
        });
        assert!(run(&s).is_empty(), "{:#?}", run(&s));
    }

    #[test]
    fn nested_properties_must_exist_outside() {
        let s = root(Schema {
            any_of: vec![obj_untyped(vec![(
                "c",
                Schema {
                    min_length: Some(1),
                    ..Default::default()
                },
            )])],
            ..obj(vec![("a", Schema::typed("string"))])
        });
        one_error(&s, "spec.anyOf[0].c: spec.c is not specified outside anyOf/oneOf");
    }

    fn obj_untyped(props: Vec<(&str, Schema)>) -> Schema {
        Schema {
            type_: None,
            ..obj(props)
        }
    }

    #[test]
    fn nested_metadata_is_forbidden() {
        let s = Schema {
            any_of: vec![obj_untyped(vec![("metadata", Schema::default())])],
            ..obj(vec![("metadata", Schema::typed("object"))])
        };
        one_error(
            &s,
            "(root).anyOf[0].metadata: metadata must not be mentioned inside anyOf/oneOf",
        );
        // At any depth.
        let s = root(Schema {
            one_of: vec![obj_untyped(vec![("metadata", Schema::default())])],
            ..obj(vec![("metadata", Schema::typed("object"))])
        });
        one_error(
            &s,
            "spec.oneOf[0].metadata: metadata must not be mentioned inside anyOf/oneOf",
        );
    }

    #[test]
    fn nested_properties_do_not_complete_through_additional_properties() {
        let s = root(Schema {
            one_of: vec![obj_untyped(vec![(
                "a",
                Schema {
                    min_length: Some(1),
                    ..Default::default()
                },
            )])],
            additional_properties: Some(Box::new(Schema::typed("string"))),
            ..Schema::typed("object")
        });
        one_error(&s, "spec.oneOf[0].a: spec.a is not specified outside anyOf/oneOf");
    }

    #[test]
    fn nested_items_must_exist_outside() {
        let s = root(Schema {
            any_of: vec![Schema {
                items: Some(Box::new(Schema {
                    min_length: Some(1),
                    ..Default::default()
                })),
                ..Default::default()
            }],
            ..Schema::typed("string")
        });
        one_error(
            &s,
            "spec.anyOf[0][*]: items are not specified outside anyOf/oneOf on spec",
        );
    }

    #[test]
    fn int_or_string_any_of_is_allowed_but_others_are_not() {
        assert!(run(&root(Schema::int_or_string())).is_empty());
        let mut s = Schema::int_or_string();
        s.any_of[1].max_length = Some(3);
        let e = errors(&root(s));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("spec.anyOf[0]: type is not allowed inside anyOf/oneOf"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("spec.anyOf[1]: type is not allowed inside anyOf/oneOf"),
            "{e:?}"
        );
    }

    #[test]
    fn int_or_string_must_not_have_a_type() {
        let s = Schema {
            type_: Some("string".into()),
            ..Schema::int_or_string()
        };
        let d = one_error(
            &root(s),
            "spec: x-kubernetes-int-or-string: true must not have a type, but type is string",
        );
        assert!(d.help.is_some());
    }

    #[test]
    fn preserve_unknown_fields_false_is_rejected() {
        let s = Schema {
            preserve_unknown_fields: Some(false),
            ..obj(vec![])
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-preserve-unknown-fields must be true or unset",
        );
    }

    #[test]
    fn list_type_only_on_arrays() {
        let s = Schema {
            list_type: Some("atomic".into()),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-list-type is only allowed on arrays, but the node is a string",
        );
    }

    #[test]
    fn list_type_values() {
        let s = Schema {
            list_type: Some("bag".into()),
            ..arr(Schema::typed("string"))
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-list-type \"bag\" is not supported; expected atomic, set or map",
        );
    }

    fn map_list(item: Schema, keys: &[&str]) -> Schema {
        Schema {
            list_type: Some("map".into()),
            list_map_keys: keys.iter().map(|k| k.to_string()).collect(),
            ..arr(item)
        }
    }

    #[test]
    fn map_list_is_fine_with_required_keys() {
        let item = Schema {
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        assert!(run(&root(map_list(item, &["name"]))).is_empty());
        let item = obj(vec![(
            "port",
            Schema {
                default: Some(json!(80)),
                ..Schema::typed("integer")
            },
        )]);
        assert!(run(&root(map_list(item, &["port"]))).is_empty());
    }

    #[test]
    fn map_list_needs_keys() {
        let item = obj(vec![("name", Schema::typed("string"))]);
        let d = one_error(
            &root(map_list(item, &[])),
            "spec: x-kubernetes-list-type: map needs x-kubernetes-list-map-keys",
        );
        assert!(d.help.unwrap().contains("+listMapKey"));
    }

    #[test]
    fn map_list_needs_object_items() {
        one_error(
            &root(map_list(Schema::typed("string"), &["name"])),
            "spec[*]: items of an x-kubernetes-list-type: map list must have type object, but they are a string",
        );
    }

    #[test]
    fn map_list_keys_must_be_item_properties() {
        let item = Schema {
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        one_error(
            &root(map_list(item, &["name", "id"])),
            "spec: list map key \"id\" is not a property of the items (they have: name)",
        );
    }

    #[test]
    fn map_list_keys_must_be_scalars() {
        let item = Schema {
            required: vec!["sel".into()],
            ..obj(vec![("sel", obj(vec![]))])
        };
        one_error(
            &root(map_list(item, &["sel"])),
            "spec[*].sel: a list map key must be a scalar",
        );
    }

    #[test]
    fn map_list_keys_must_be_required_or_defaulted() {
        let item = obj(vec![("name", Schema::typed("string"))]);
        let d = one_error(
            &root(map_list(item, &["name"])),
            "spec[*].name: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
        );
        assert!(d.help.unwrap().contains("+required"));
    }

    #[test]
    fn map_list_keys_must_be_unique() {
        let item = Schema {
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        one_error(
            &root(map_list(item, &["name", "name"])),
            "spec: x-kubernetes-list-map-keys names \"name\" twice",
        );
    }

    #[test]
    fn list_map_keys_need_map_list_type() {
        let item = Schema {
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        let s = Schema {
            list_type: Some("atomic".into()),
            ..map_list(item, &["name"])
        };
        let d = one_error(
            &root(s),
            "spec: x-kubernetes-list-map-keys needs x-kubernetes-list-type: map, but the list type is atomic",
        );
        assert_eq!(d.help.as_deref(), Some("add +listType=map"));
    }

    #[test]
    fn set_and_map_list_items_and_keys_must_not_be_nullable() {
        let s = Schema {
            list_type: Some("set".into()),
            ..arr(Schema {
                nullable: true,
                ..Schema::typed("string")
            })
        };
        one_error(
            &root(s),
            "spec[*]: items of an x-kubernetes-list-type: set list must not be nullable",
        );
        let item = Schema {
            required: vec!["name".into()],
            ..obj(vec![(
                "name",
                Schema {
                    nullable: true,
                    ..Schema::typed("string")
                },
            )])
        };
        one_error(
            &root(map_list(item, &["name"])),
            "spec[*].name: a list map key must not be nullable",
        );
    }

    #[test]
    fn set_items_must_be_scalar_or_atomic() {
        let set = |item: Schema| Schema {
            list_type: Some("set".into()),
            ..arr(item)
        };
        assert!(run(&root(set(Schema::typed("string")))).is_empty());
        assert!(
            run(&root(set(Schema {
                map_type: Some("atomic".into()),
                ..obj(vec![])
            })))
            .is_empty()
        );
        assert!(run(&root(set(arr(Schema::typed("string"))))).is_empty());
        one_error(
            &root(set(obj(vec![]))),
            "spec[*]: items of an x-kubernetes-list-type: set list must be scalars or atomic",
        );
        let granular_list = Schema {
            list_type: Some("set".into()),
            ..arr(Schema::typed("string"))
        };
        one_error(
            &root(set(granular_list)),
            "spec[*]: items of an x-kubernetes-list-type: set list must be atomic lists, but they are set lists",
        );
    }

    #[test]
    fn map_type_only_on_objects_with_known_values() {
        let s = Schema {
            map_type: Some("atomic".into()),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-map-type is only allowed on objects, but the node is a string",
        );
        let s = Schema {
            map_type: Some("deep".into()),
            ..obj(vec![])
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-map-type \"deep\" is not supported; expected granular or atomic",
        );
    }

    #[test]
    fn embedded_resource_rules() {
        let ok = Schema {
            embedded_resource: Some(true),
            preserve_unknown_fields: Some(true),
            ..Schema::typed("object")
        };
        assert!(run(&root(ok)).is_empty());
        let s = Schema {
            embedded_resource: Some(true),
            ..Schema::typed("object")
        };
        let d = one_error(
            &root(s),
            "spec: x-kubernetes-embedded-resource needs properties or x-kubernetes-preserve-unknown-fields: true",
        );
        assert!(d.help.unwrap().contains("PreserveUnknownFields"));
        let s = Schema {
            embedded_resource: Some(true),
            preserve_unknown_fields: Some(true),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-embedded-resource needs type object, but the node is a string",
        );
        let s = Schema {
            embedded_resource: Some(true),
            ..obj(vec![("kind", Schema::typed("integer")), ("spec", obj(vec![]))])
        };
        one_error(
            &root(s),
            "spec.kind: kind of a resource must have type string, but it is an integer",
        );
    }

    #[test]
    fn root_must_not_have_additional_properties() {
        let s = Schema {
            additional_properties: Some(Box::new(Schema::typed("string"))),
            ..Schema::typed("object")
        };
        one_error(&s, "(root): the root must not have additionalProperties");
    }

    #[test]
    fn embedded_resource_not_inside_resource_meta() {
        let s = obj(vec![(
            "metadata",
            obj(vec![(
                "name",
                Schema {
                    embedded_resource: Some(true),
                    preserve_unknown_fields: Some(true),
                    ..Schema::typed("object")
                },
            )]),
        )]);
        let e = errors(&s);
        assert!(
            e.iter().any(|m| m.starts_with("metadata.name: x-kubernetes-embedded-resource must not be used inside the apiVersion, kind or metadata of a resource")),
            "{e:?}"
        );
    }

    #[test]
    fn int_or_string_excludes_preserve_and_embedded() {
        let s = Schema {
            preserve_unknown_fields: Some(true),
            ..Schema::int_or_string()
        };
        one_error(
            &root(s),
            "spec: x-kubernetes-preserve-unknown-fields must not be set together with x-kubernetes-int-or-string",
        );
        let s = Schema {
            embedded_resource: Some(true),
            ..Schema::int_or_string()
        };
        let e = errors(&root(s));
        assert!(
            e.iter().any(|m| m
                == "spec: x-kubernetes-embedded-resource must not be set together with x-kubernetes-int-or-string"),
            "{e:?}"
        );
    }

    #[test]
    fn type_null_suggests_nullable() {
        let d = one_error(&root(Schema::typed("null")), "spec: unknown type \"null\"");
        assert_eq!(d.help.as_deref(), Some("use nullable: true instead"));
    }

    #[test]
    fn status_subresource_root_keywords() {
        let mut d = Diagnostics::new();
        check_status_subresource_root(&crd_root(), &mut d);
        assert!(d.is_empty());
        let s = Schema {
            one_of: vec![Schema {
                required: vec!["spec".into()],
                ..Default::default()
            }],
            max_properties: Some(5),
            ..crd_root()
        };
        check_status_subresource_root(&s, &mut d);
        let ds: Vec<Diagnostic> = d.iter().cloned().collect();
        assert_eq!(ds.len(), 1);
        assert_eq!(
            ds[0].message,
            "(root): with the status subresource enabled, the root must not set maxProperties, oneOf"
        );
        assert!(ds[0].help.as_ref().unwrap().contains("x-kubernetes-validations"));
    }

    #[test]
    fn counts_must_not_be_negative() {
        let s = Schema {
            max_length: Some(-1),
            ..Schema::typed("string")
        };
        one_error(&root(s), "spec: maxLength must not be negative, but is -1");
        let s = Schema {
            min_items: Some(-2),
            ..arr(Schema::typed("string"))
        };
        one_error(&root(s), "spec: minItems must not be negative, but is -2");
    }

    #[test]
    fn min_must_not_exceed_max() {
        let s = Schema {
            min_length: Some(5),
            max_length: Some(3),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: minLength (5) is greater than maxLength (3): no value fits",
        );
        let s = Schema {
            min_properties: Some(2),
            max_properties: Some(1),
            ..obj(vec![])
        };
        one_error(&root(s), "spec: minProperties (2) is greater than maxProperties (1)");
        let s = Schema {
            minimum: Some(10.into()),
            maximum: Some(1.into()),
            ..Schema::typed("integer")
        };
        one_error(&root(s), "spec: minimum (10) is not below maximum (1)");
    }

    #[test]
    fn multiple_of_must_be_positive() {
        let s = Schema {
            multiple_of: Some(0.into()),
            ..Schema::typed("integer")
        };
        one_error(&root(s), "spec: multipleOf must be greater than 0, but is 0");
    }

    #[test]
    fn pattern_must_compile() {
        let mut s = Schema {
            pattern: Some("([a-z]".into()),
            ..Schema::typed("string")
        };
        s.keyword_origins.insert("pattern", loc(7));
        let d = one_error(
            &root(s),
            "spec: pattern: Invalid value: \"([a-z]\": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): `([a-z]`",
        );
        assert_eq!(d.location, Some(loc(7)));
    }

    #[test]
    fn enum_values_must_match_type() {
        let s = Schema {
            enum_: Some(vec![json!("a"), json!(1)]),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: enum value 1 does not fit the node's type: must be of type string, got integer",
        );
    }

    #[test]
    fn enum_values_must_be_unique() {
        let s = Schema {
            enum_: Some(vec![json!("a"), json!("a")]),
            ..Schema::typed("string")
        };
        one_error(&root(s), "spec: enum value \"a\" is listed twice");
    }

    #[test]
    fn default_must_validate() {
        let mut s = Schema {
            default: Some(json!("three")),
            ..Schema::typed("integer")
        };
        s.keyword_origins.insert("default", loc(9));
        let d = one_error(
            &root(obj(vec![("replicas", s)])),
            "spec.replicas: invalid default \"three\": must be of type integer, got string",
        );
        assert_eq!(d.location, Some(loc(9)));
        let s = Schema {
            default: Some(json!(0)),
            minimum: Some(1.into()),
            ..Schema::typed("integer")
        };
        one_error(
            &root(s),
            "spec: invalid default 0: must be greater than or equal to 1, got 0",
        );
        let s = Schema {
            default: Some(json!({})),
            required: vec!["name".into()],
            ..obj(vec![("name", Schema::typed("string"))])
        };
        one_error(&root(s), "spec: invalid default {}: name: Required value");
    }

    #[test]
    fn default_must_not_have_unknown_fields() {
        let s = Schema {
            default: Some(json!({"a": 1, "b": 2})),
            ..obj(vec![("a", Schema::typed("integer"))])
        };
        let d = one_error(&root(s), "spec: invalid default {\"a\":1,\"b\":2}: unknown field \"b\"");
        assert!(d.help.unwrap().contains("prunes"));
    }

    #[test]
    fn default_null_needs_nullable() {
        let s = Schema {
            default: Some(Value::Null),
            ..Schema::typed("string")
        };
        one_error(&root(s), "spec: invalid default null: must be of type string, got null");
        let s = Schema {
            default: Some(Value::Null),
            nullable: true,
            ..Schema::typed("string")
        };
        assert!(errors(&root(s)).is_empty());
    }

    #[test]
    fn example_must_validate() {
        let s = Schema {
            example: Some(json!("abc")),
            max_length: Some(2),
            ..Schema::typed("string")
        };
        one_error(
            &root(s),
            "spec: invalid example \"abc\": must be at most 2 characters long, got 3",
        );
    }

    #[test]
    fn metadata_may_only_be_object_or_name() {
        let ok = obj(vec![(
            "metadata",
            obj(vec![
                (
                    "name",
                    Schema {
                        max_length: Some(63),
                        pattern: Some("^[a-z]+$".into()),
                        ..Schema::typed("string")
                    },
                ),
                ("generateName", Schema::typed("string")),
            ]),
        )]);
        assert!(run(&ok).is_empty(), "{:#?}", run(&ok));
        let s = obj(vec![("metadata", obj(vec![("labels", Schema::typed("object"))]))]);
        let d = one_error(
            &s,
            "metadata: metadata may only declare name and generateName, but declares labels",
        );
        assert!(d.help.is_some());
        let s = obj(vec![("metadata", obj(vec![("name", Schema::typed("integer"))]))]);
        one_error(
            &s,
            "metadata.name: metadata.name must have type string, but it is an integer",
        );
        let s = obj(vec![(
            "metadata",
            Schema {
                required: vec!["name".into()],
                ..Schema::typed("object")
            },
        )]);
        one_error(
            &s,
            "metadata: metadata must be {type: object} (with at most name and generateName), but also sets required",
        );
        let s = obj(vec![("metadata", Schema::typed("string"))]);
        one_error(
            &s,
            "metadata: metadata of a resource must have type object, but it is a string",
        );
        let s = obj(vec![(
            "metadata",
            Schema {
                description: Some("Standard object metadata.".into()),
                ..Schema::typed("object")
            },
        )]);
        one_error(
            &s,
            "metadata: metadata must be {type: object} (with at most name and generateName), but also sets description",
        );
    }

    #[test]
    fn metadata_must_not_have_a_default() {
        let s = obj(vec![(
            "metadata",
            Schema {
                default: Some(json!({})),
                ..Schema::typed("object")
            },
        )]);
        one_error(&s, "metadata: default must not be set in top-level metadata");
        // Not even on metadata.name, nor on apiVersion or kind.
        let s = obj(vec![
            (
                "metadata",
                obj(vec![(
                    "name",
                    Schema {
                        default: Some(json!("x")),
                        ..Schema::typed("string")
                    },
                )]),
            ),
            (
                "kind",
                Schema {
                    default: Some(json!("K")),
                    ..Schema::typed("string")
                },
            ),
        ]);
        assert_eq!(
            errors(&s),
            vec![
                "kind: default must not be set in top-level kind",
                "metadata.name: default must not be set in top-level metadata",
            ]
        );
    }

    #[test]
    fn embedded_metadata_defaults_are_allowed_except_in_maps() {
        let embedded = |meta: Schema| {
            root(obj(vec![(
                "template",
                Schema {
                    embedded_resource: Some(true),
                    ..obj(vec![("metadata", meta), ("spec", obj(vec![]))])
                },
            )]))
        };
        let named = obj(vec![(
            "name",
            Schema {
                default: Some(json!("x")),
                ..Schema::typed("string")
            },
        )]);
        assert!(errors(&embedded(named)).is_empty());
        let labels = obj(vec![(
            "labels",
            Schema {
                additional_properties: Some(Box::new(Schema {
                    default: Some(json!("v")),
                    ..Schema::typed("string")
                })),
                ..Schema::typed("object")
            },
        )]);
        one_error(
            &embedded(labels),
            "spec.template.metadata.labels[*]: default must not be set inside additionalProperties applying to object metadata",
        );
    }

    #[test]
    fn root_api_version_must_be_string() {
        let s = obj(vec![("apiVersion", Schema::typed("integer"))]);
        one_error(
            &s,
            "apiVersion: apiVersion of a resource must have type string, but it is an integer",
        );
    }

    #[test]
    fn unknown_format_is_a_warning() {
        let s = root(Schema {
            format: Some("semver".into()),
            ..Schema::typed("string")
        });
        let ds = run(&s);
        assert_eq!(ds.len(), 1);
        assert_eq!(ds[0].severity, Severity::Warning);
        assert_eq!(
            ds[0].message,
            "spec: unknown format \"semver\"; the API server ignores it"
        );
        assert!(ds[0].help.as_ref().unwrap().contains("date-time"));
        for f in KNOWN_FORMATS {
            let s = root(Schema {
                format: Some(f.to_string()),
                ..Schema::typed("string")
            });
            assert!(run(&s).is_empty(), "{f}");
        }
    }

    fn with_rule(s: Schema, r: Rule) -> Schema {
        Schema {
            validations: vec![r],
            ..s
        }
    }

    fn rule(src: &str) -> Rule {
        Rule {
            rule: src.into(),
            origin: Some(loc(4)),
            ..Default::default()
        }
    }

    #[test]
    fn cel_rules_must_parse() {
        let ab = obj(vec![("a", Schema::typed("string")), ("b", Schema::typed("string"))]);
        let ok = with_rule(ab, rule("self.a.size() > 0 && self.?b.orValue('') != 'x'"));
        let ds = run(&root(ok));
        assert!(ds.is_empty(), "{ds:#?}");
        let d = one_error(
            &root(with_rule(obj(vec![]), rule("self.a >"))),
            "spec: x-kubernetes-validations[0]: rule \"self.a >\" does not parse: ERROR: <input>:1:",
        );
        assert_eq!(d.location, Some(loc(4)));
        one_error(
            &root(with_rule(obj(vec![]), rule("  "))),
            "spec: x-kubernetes-validations[0]: the rule must not be empty",
        );
    }

    #[test]
    fn cel_macros_and_kubernetes_functions_parse() {
        for ok in [
            "has(self.a) || !has(self.b)",
            "self.all(k, k != '')",
            "self.exists(x, x == 1) && self.exists_one(x, x > 1)",
            "self.map(x, x * 2).filter(y, y > 2).size() < 3",
            "self.name.matches('^[a-z]+$') && isURL(self.url)",
            "quantity(self.q).isGreaterThan(quantity('1Gi'))",
            "self.x == oldSelf.x",
            "type(self) == string ? true : false",
            "self['a-b'] in ['x', 'y'] && {'k': 1}['k'] == 1",
            "duration(self.d) > duration('1s') && timestamp(self.t) < now()",
            "b'abc' != bytes('x') && 1u < 2u && 1.5e3 > 0.0",
        ] {
            assert!(parse_cel(ok).is_ok(), "{ok}: {:?}", parse_cel(ok).err());
        }
        for bad in [
            "",
            "(((",
            "self.a[",
            "self.",
            "1 +* 2",
            "'unterminated",
            "a ? b",
            "`x`",
            "\u{0}",
        ] {
            assert!(parse_cel(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn cel_message_expression_must_parse() {
        let r = Rule {
            message_expression: Some("'bad: ' + ".into()),
            ..rule("true")
        };
        one_error(
            &root(with_rule(obj(vec![]), r)),
            "spec: x-kubernetes-validations[0]: messageExpression \"'bad: ' + \" does not parse",
        );
        let r = Rule {
            message_expression: Some("'got %s'.format([self.a])".into()),
            ..rule("true")
        };
        assert!(run(&root(with_rule(obj(vec![("a", Schema::typed("string"))]), r))).is_empty());
    }

    #[test]
    fn cel_message_must_be_one_line() {
        let r = Rule {
            message: Some("a\nb".into()),
            ..rule("true")
        };
        one_error(
            &root(with_rule(obj(vec![]), r)),
            "spec: x-kubernetes-validations[0]: message must not contain line breaks",
        );
        let r = Rule {
            message: Some(" ".into()),
            ..rule("true")
        };
        one_error(&root(with_rule(obj(vec![]), r)), "message must not be empty when set");
        // Surrounding line breaks are trimmed first.
        let r = Rule {
            message: Some("fine\n".into()),
            ..rule("true")
        };
        assert!(errors(&root(with_rule(obj(vec![]), r))).is_empty());
    }

    #[test]
    fn cel_reason_must_be_known() {
        let r = Rule {
            reason: Some("FieldValueTooLong".into()),
            ..rule("true")
        };
        one_error(
            &root(with_rule(obj(vec![]), r)),
            "spec: x-kubernetes-validations[0]: reason \"FieldValueTooLong\" is not supported",
        );
        for reason in REASONS {
            let r = Rule {
                reason: Some(reason.to_string()),
                ..rule("true")
            };
            assert!(run(&root(with_rule(obj(vec![]), r))).is_empty());
        }
    }

    #[test]
    fn transition_rules_need_correlatable_nodes() {
        // Bounded, so that the rules stay within the API server's cost limits.
        let name = Schema {
            max_length: Some(63),
            ..Schema::typed("string")
        };
        let arr = |items: Schema| Schema {
            max_items: Some(10),
            ..arr(items)
        };
        let item = with_rule(obj(vec![("a", name)]), rule("self.a == oldSelf.a"));
        let s = root(obj(vec![("pools", arr(item.clone()))]));
        let d = one_error(
            &s,
            "spec.pools[*]: x-kubernetes-validations[0]: the rule uses oldSelf (a transition rule), but the node is below spec.pools, a list that is not x-kubernetes-list-type: map",
        );
        assert!(d.help.unwrap().contains("+listType=map"));
        // Deeper below an uncorrelatable list, still reported against the list.
        let deep = root(obj(vec![("pools", arr(obj(vec![("inner", item.clone())])))]));
        one_error(
            &deep,
            "spec.pools[*].inner: x-kubernetes-validations[0]: the rule uses oldSelf",
        );
        // Fine under a map list, under maps, and on the list itself.
        let keyed = Schema {
            required: vec!["a".into()],
            ..item.clone()
        };
        let keyed_list = Schema {
            max_items: Some(10),
            ..map_list(keyed, &["a"])
        };
        assert!(errors(&root(obj(vec![("pools", keyed_list)]))).is_empty());
        let map = Schema {
            additional_properties: Some(Box::new(item)),
            max_properties: Some(10),
            ..Schema::typed("object")
        };
        assert!(errors(&root(map)).is_empty());
        let list = with_rule(arr(Schema::typed("string")), rule("self.size() >= oldSelf.size()"));
        assert!(errors(&root(list)).is_empty());
    }

    #[test]
    fn transition_rules_not_under_atomic_maps() {
        let field = with_rule(Schema::typed("string"), rule("self == oldSelf"));
        let atomic = Schema {
            map_type: Some("atomic".into()),
            ..obj(vec![("a", field.clone())])
        };
        one_error(
            &root(atomic.clone()),
            "spec.a: x-kubernetes-validations[0]: the rule uses oldSelf (a transition rule), but the node is below spec, an x-kubernetes-map-type: atomic object",
        );
        // On the atomic object itself it is fine.
        let on_object = with_rule(
            Schema {
                map_type: Some("atomic".into()),
                ..obj(vec![("a", Schema::typed("string"))])
            },
            rule("self == oldSelf"),
        );
        assert!(errors(&root(on_object)).is_empty());
        let granular = obj(vec![("a", field)]);
        assert!(errors(&root(granular)).is_empty());
    }

    #[test]
    fn optional_old_self_needs_a_transition_rule() {
        let r = Rule {
            optional_old_self: Some(true),
            ..rule("self.a != ''")
        };
        one_error(
            &root(with_rule(obj(vec![("a", Schema::typed("string"))]), r)),
            "spec: x-kubernetes-validations[0]: optionalOldSelf is set, but the rule does not use oldSelf",
        );
        // Even when false, as in the API server.
        let r = Rule {
            optional_old_self: Some(false),
            ..rule("self.a != ''")
        };
        one_error(
            &root(with_rule(obj(vec![("a", Schema::typed("string"))]), r)),
            "optionalOldSelf is set, but the rule does not use oldSelf",
        );
        // With optionalOldSelf, oldSelf is an optional.
        let r = Rule {
            optional_old_self: Some(true),
            ..rule("!oldSelf.hasValue() || self.a == oldSelf.value().a")
        };
        assert!(errors(&root(with_rule(obj(vec![("a", Schema::typed("string"))]), r))).is_empty());
    }

    #[test]
    fn multi_line_rules_need_a_message() {
        let r = rule("self.a != ''\n  && self.a != 'x'");
        let d = one_error(
            &root(with_rule(obj(vec![("a", Schema::typed("string"))]), r.clone())),
            "spec: x-kubernetes-validations[0]: a rule that spans several lines needs a message",
        );
        assert!(d.help.is_some());
        let r = Rule {
            message: Some("a must be set".into()),
            ..r
        };
        assert!(errors(&root(with_rule(obj(vec![("a", Schema::typed("string"))]), r))).is_empty());
    }

    #[test]
    fn cel_field_path_must_be_one_non_blank_line() {
        for fp in ["  ", ".a\n.b"] {
            let r = Rule {
                field_path: Some(fp.into()),
                ..rule("true")
            };
            one_error(
                &root(with_rule(obj(vec![("a", Schema::typed("string"))]), r)),
                "spec: x-kubernetes-validations[0]: fieldPath must be non-blank and on one line when set",
            );
        }
    }

    #[test]
    fn cel_field_path_must_exist() {
        let node = |fp: &str| {
            let r = Rule {
                field_path: Some(fp.into()),
                ..rule("true")
            };
            root(with_rule(
                obj(vec![
                    ("a", obj(vec![("b", Schema::typed("string"))])),
                    ("x.y", Schema::typed("string")),
                    (
                        "m",
                        Schema {
                            additional_properties: Some(Box::new(Schema::typed("string"))),
                            ..Schema::typed("object")
                        },
                    ),
                    ("l", arr(Schema::typed("string"))),
                ]),
                r,
            ))
        };
        for ok in [".a", ".a.b", "['x.y']", ".a['b']", ".m.anyKey", ".m['k.e.y']"] {
            assert!(errors(&node(ok)).is_empty(), "{ok}: {:?}", errors(&node(ok)));
        }
        let d = one_error(
            &node(".a.c"),
            "spec: x-kubernetes-validations[0]: fieldPath \".a.c\" does not refer to a field of the node: \"c\" does not exist under .a",
        );
        assert!(d.help.is_some());
        one_error(
            &node(".l[0]"),
            "fieldPath \".l[0]\" indexes a list with [0], which fieldPath does not support",
        );
        one_error(&node("a"), "fieldPath \"a\" expected '.' or '[' at position 1");
    }

    fn crd_root() -> Schema {
        let cond = obj(vec![
            ("type", Schema::typed("string")),
            ("status", Schema::typed("string")),
        ]);
        obj(vec![
            ("apiVersion", Schema::typed("string")),
            ("kind", Schema::typed("string")),
            ("metadata", Schema::typed("object")),
            (
                "spec",
                obj(vec![
                    ("replicas", Schema::typed("integer")),
                    ("items", arr(obj(vec![("name", Schema::typed("string"))]))),
                    (
                        "labels",
                        Schema {
                            additional_properties: Some(Box::new(Schema::typed("string"))),
                            ..Schema::typed("object")
                        },
                    ),
                    (
                        "raw",
                        Schema {
                            preserve_unknown_fields: Some(true),
                            ..Schema::typed("object")
                        },
                    ),
                ]),
            ),
            ("status", obj(vec![("conditions", arr(cond))])),
        ])
    }

    #[test]
    fn json_path_resolves_fields_items_and_maps() {
        let r = crd_root();
        assert_eq!(resolve_json_path(&r, ".spec.replicas").unwrap().ty(), Some("integer"));
        assert_eq!(resolve_json_path(&r, "$.spec.replicas").unwrap().ty(), Some("integer"));
        assert_eq!(resolve_json_path(&r, "{.spec.replicas}").unwrap().ty(), Some("integer"));
        assert_eq!(
            resolve_json_path(&r, ".spec.items[0].name").unwrap().ty(),
            Some("string")
        );
        assert_eq!(
            resolve_json_path(&r, ".spec.items[*].name").unwrap().ty(),
            Some("string")
        );
        assert_eq!(
            resolve_json_path(&r, r#".status.conditions[?(@.type=="Ready")].status"#)
                .unwrap()
                .ty(),
            Some("string")
        );
        assert_eq!(
            resolve_json_path(&r, ".status.conditions[?(@.type=='a]b')].status")
                .unwrap()
                .ty(),
            Some("string")
        );
        assert_eq!(resolve_json_path(&r, ".spec.labels.app").unwrap().ty(), Some("string"));
        assert_eq!(
            resolve_json_path(&r, ".spec['labels']['app.kubernetes.io/name']")
                .unwrap()
                .ty(),
            Some("string")
        );
        assert_eq!(
            resolve_json_path(&r, ".spec.raw.anything[3].deep")
                .unwrap()
                .preserve_unknown_fields,
            Some(true)
        );
        assert_eq!(resolve_json_path(&r, ".spec").unwrap().ty(), Some("object"));
    }

    #[test]
    fn json_path_knows_object_meta() {
        let r = crd_root();
        assert_eq!(resolve_json_path(&r, ".metadata.name").unwrap().ty(), Some("string"));
        let ts = resolve_json_path(&r, ".metadata.creationTimestamp").unwrap();
        assert_eq!((ts.ty(), ts.format.as_deref()), (Some("string"), Some("date-time")));
        assert_eq!(
            resolve_json_path(&r, ".metadata.generation").unwrap().ty(),
            Some("integer")
        );
        assert_eq!(
            resolve_json_path(&r, ".metadata.labels.app").unwrap().ty(),
            Some("string")
        );
        assert_eq!(
            resolve_json_path(&r, ".metadata.ownerReferences[0].uid").unwrap().ty(),
            Some("string")
        );
        let e = resolve_json_path(&r, ".metadata.nmae").unwrap_err();
        assert!(e.contains("field \"nmae\" does not exist in .metadata"), "{e}");
        // Even without metadata in the schema, and apiVersion/kind likewise.
        let bare = obj(vec![]);
        assert_eq!(
            resolve_json_path(&bare, ".metadata.namespace").unwrap().ty(),
            Some("string")
        );
        assert_eq!(resolve_json_path(&bare, ".kind").unwrap().ty(), Some("string"));
    }

    #[test]
    fn json_path_errors_name_the_first_missing_segment() {
        let r = crd_root();
        let e = resolve_json_path(&r, ".spec.replica.x").unwrap_err();
        assert_eq!(
            e,
            "JSONPath \".spec.replica.x\": field \"replica\" does not exist in .spec (fields: items, labels, raw, replicas)"
        );
        let e = resolve_json_path(&r, ".spc").unwrap_err();
        assert!(e.contains("field \"spc\" does not exist in the root"), "{e}");
        let e = resolve_json_path(&r, ".spec.replicas[0]").unwrap_err();
        assert_eq!(
            e,
            "JSONPath \".spec.replicas[0]\": [0] indexes a list, but .spec.replicas is an integer"
        );
        let e = resolve_json_path(&r, ".spec.replicas.x").unwrap_err();
        assert!(
            e.contains(".x does not exist: .spec.replicas is an integer, not an object"),
            "{e}"
        );
        assert!(
            resolve_json_path(&r, "spec.replicas")
                .unwrap_err()
                .contains("expected '.' or '['")
        );
        assert!(resolve_json_path(&r, "").unwrap_err().contains("is empty"));
        assert!(
            resolve_json_path(&r, "..name")
                .unwrap_err()
                .contains("recursive descent")
        );
        assert!(
            resolve_json_path(&r, ".spec.items[0")
                .unwrap_err()
                .contains("unclosed '['")
        );
    }

    #[test]
    fn paths_name_additional_properties_and_items() {
        let s = root(obj(vec![
            (
                "labels",
                Schema {
                    additional_properties: Some(Box::new(Schema::default())),
                    ..Schema::typed("object")
                },
            ),
            (
                "pools",
                arr(obj(vec![(
                    "count",
                    Schema {
                        minimum: Some(5.into()),
                        maximum: Some(1.into()),
                        ..Schema::typed("integer")
                    },
                )])),
            ),
        ]));
        let e = errors(&s);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("spec.labels[*]: object fields must have a type"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("spec.pools[*].count: minimum (5) is not below maximum (1)"),
            "{e:?}"
        );
    }
}
