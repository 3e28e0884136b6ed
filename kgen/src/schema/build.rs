//! Building schemas from the model: Rust types to structural OpenAPI v3, markers applied.
//!
//! A type's own markers apply wherever it is used; a field's markers then apply on top (field
//! values win; CEL rules of the field come first, then the type's). Markers apply in source order,
//! except that `Type` and `XIntOrString` go first so that later checks see the final type.

use super::builtin::BuiltinSchemas;
use super::known;
use super::types::{ExternalDocs, Rule, Schema};
use crate::builtin::KubeVersion;
use crate::diag::Location;
use crate::diag::{Diagnostic, Diagnostics};
use crate::markers::Marker;
use crate::markers::defs::Id;
use crate::model::{Api, Field, IntFormat, Kind, Known, TypeBody, TypeDef, TypeId, TypeRef, VariantData};
use serde_json::{Number, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Builds schemas for one [`Api`], caching each type's schema.
pub struct SchemaBuilder<'a> {
    api: &'a Api,
    diags: Diagnostics,
    stack: Vec<TypeId>,
    cache: HashMap<TypeId, Schema>,
    reported: HashSet<TypeId>,
    builtins: BuiltinSchemas,
    /// The field or type being built, for errors about a built-in type it uses.
    at: Vec<Location>,
    reported_builtins: HashSet<(&'static str, Option<Location>)>,
}

impl<'a> SchemaBuilder<'a> {
    /// A builder for `api`.
    pub fn new(api: &'a Api) -> Self {
        SchemaBuilder {
            api,
            diags: Diagnostics::new(),
            stack: Vec::new(),
            cache: HashMap::new(),
            reported: HashSet::new(),
            builtins: BuiltinSchemas::new(KubeVersion::newest()),
            at: Vec::new(),
            reported_builtins: HashSet::new(),
        }
    }

    /// Uses `version`'s schemas for Kubernetes' built-in types (the default is the newest).
    pub fn with_kube_version(mut self, version: KubeVersion) -> Self {
        self.builtins = BuiltinSchemas::new(version);
        self
    }

    /// The diagnostics reported since the last call.
    pub fn take_diagnostics(&mut self) -> Diagnostics {
        std::mem::take(&mut self.diags)
    }

    /// Forgets cached type schemas (they are rebuilt on demand), to bound memory between groups.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// The `openAPIV3Schema` of a kind: its struct, with `apiVersion`, `kind` and a bare `metadata`.
    pub fn kind_schema(&mut self, kind: &Kind) -> Schema {
        let def = self.api.ty(kind.type_id);
        let mut s = self.type_schema(kind.type_id);
        s.properties.insert(
            "apiVersion".into(),
            Schema {
                description: Some(
                    "APIVersion defines the versioned schema of this representation of an object. Servers should convert \
                     recognized schemas to the latest internal value, and may reject unrecognized values. More info: \
                     https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
                        .into(),
                ),
                ..Schema::typed("string")
            },
        );
        s.properties.insert(
            "kind".into(),
            Schema {
                description: Some(
                    "Kind is a string value representing the REST resource this object represents. Servers may infer \
                     this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: \
                     https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
                        .into(),
                ),
                ..Schema::typed("string")
            },
        );
        // The API server owns ObjectMeta's schema; controller-gen writes `type: object` only.
        s.properties.insert("metadata".into(), Schema::typed("object"));
        s.required
            .retain(|r| r != "apiVersion" && r != "kind" && r != "metadata");
        if s.description.is_none() && !def.description.is_empty() {
            s.description = Some(def.description.clone());
        }
        s.origin = Some(def.location.clone());
        s
    }

    /// The schema of a type defined in the input, with its type markers applied.
    pub fn type_schema(&mut self, id: TypeId) -> Schema {
        if let Some(s) = self.cache.get(&id) {
            return s.clone();
        }
        let def = self.api.ty(id);
        if let Some(pos) = self.stack.iter().position(|t| *t == id) {
            let chain: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&id))
                .map(|t| self.api.ty(*t).name.clone())
                .collect();
            if self.reported.insert(id) {
                self.diags.push(
                    Diagnostic::error(def.location.clone(), format!("recursive type: {}", chain.join(" → ")))
                        .with_help("CRD schemas cannot refer to themselves; break the cycle, or use serde_json::Value with +kubebuilder:pruning:PreserveUnknownFields at the recursive spot"),
                );
            }
            return Schema::typed("object");
        }
        self.stack.push(id);
        self.at.push(def.location.clone());
        let errors_before = self.diags.iter().filter(|d| d.is_error()).count();
        let mut s = match &def.body {
            TypeBody::Struct(fields) => self.struct_schema(def, fields),
            TypeBody::Newtype(t) | TypeBody::Alias(t) => self.ref_schema(t),
            TypeBody::UnitEnum(variants) => {
                let mut values: Vec<Value> = variants
                    .iter()
                    .filter(|v| !v.skipped)
                    .map(|v| Value::String(v.json_name.clone()))
                    .collect();
                if def.marker(Id::K8sEnum).is_some() {
                    values.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                Schema {
                    enum_: Some(values),
                    ..Schema::typed("string")
                }
            }
            TypeBody::DataEnum(_) => self.data_enum_schema(def),
            TypeBody::Unsupported(reason) => {
                if self.reported.insert(id) {
                    self.diags.push(Diagnostic::error(def.location.clone(), reason.clone()));
                }
                Schema::typed("object")
            }
        };
        if def.marker(Id::K8sEnum).is_some() && !matches!(def.body, TypeBody::UnitEnum(_)) {
            let m = def.marker(Id::K8sEnum).expect("checked");
            self.diags.push(m.error(format!(
                "+k8s:enum needs an enum of unit variants; `{}` is not one",
                def.name
            )));
        }
        if !def.description.is_empty() {
            s.description = Some(def.description.clone());
        }
        s.origin.get_or_insert_with(|| def.location.clone());
        let markers: Vec<&Marker> = def.markers.iter().collect();
        self.apply_markers(&mut s, &markers, &def.name, false);
        self.union_rules(&mut s, def);
        self.at.pop();
        self.stack.pop();
        if self.diags.iter().filter(|d| d.is_error()).count() == errors_before {
            self.cache.insert(id, s.clone());
        }
        s
    }

    /// The schema of a type reference (before field markers).
    fn ref_schema(&mut self, t: &TypeRef) -> Schema {
        match t {
            TypeRef::Bool => Schema::typed("boolean"),
            TypeRef::String => Schema::typed("string"),
            TypeRef::Integer {
                format,
                unsigned,
                nonzero,
                range,
            } => {
                let mut s = Schema::typed("integer");
                s.format = Some(match format {
                    IntFormat::Int32 => "int32".into(),
                    IntFormat::Int64 => "int64".into(),
                });
                if let Some((min, max)) = range {
                    s.minimum = Some((*min).into());
                    s.maximum = Some((*max).into());
                }
                if *nonzero {
                    s.minimum = Some(1.into());
                } else if *unsigned {
                    s.minimum = Some(0.into());
                }
                s
            }
            TypeRef::Number { double } => Schema {
                format: Some(if *double { "double" } else { "float" }.into()),
                ..Schema::typed("number")
            },
            TypeRef::Option(inner) => self.ref_schema(inner),
            TypeRef::List(inner) => {
                let mut items = self.ref_schema(inner);
                if inner.is_option() {
                    items.nullable = true;
                }
                Schema {
                    items: Some(Box::new(items)),
                    ..Schema::typed("array")
                }
            }
            TypeRef::Set(inner) => {
                let items = self.ref_schema(inner);
                Schema {
                    items: Some(Box::new(items)),
                    list_type: Some("set".into()),
                    ..Schema::typed("array")
                }
            }
            TypeRef::Map(value) => {
                let mut v = self.ref_schema(value);
                if value.is_option() {
                    v.nullable = true;
                }
                Schema {
                    additional_properties: Some(Box::new(v)),
                    ..Schema::typed("object")
                }
            }
            TypeRef::Named(id) => self.type_schema(*id),
            TypeRef::Known(Known::Builtin(name)) => self.builtin_schema(name),
            TypeRef::Known(k) => known::schema(*k),
            TypeRef::Error => Schema::typed("object"),
        }
    }

    fn builtin_schema(&mut self, name: &'static str) -> Schema {
        match self.builtins.schema(name) {
            Ok(s) => s,
            Err(e) => {
                let loc = self.at.last().cloned();
                if self.reported_builtins.insert((name, loc.clone())) {
                    let have = crate::builtin::versions_with(name);
                    let help = match (have.first(), have.last()) {
                        (Some(a), Some(b)) => format!(
                            "Kubernetes {a} to {b} have it; pick one with --kube-version (kgen::Builder::kube_version)"
                        ),
                        _ => "no embedded Kubernetes version has it".to_string(),
                    };
                    let short = name.rsplit('.').next().unwrap_or(name);
                    self.diags.push(
                        Diagnostic::error(
                            loc,
                            format!("Kubernetes {} has no type `{short}` ({})", e.version, e.name),
                        )
                        .with_help(help),
                    );
                }
                Schema::typed("object")
            }
        }
    }

    fn struct_schema(&mut self, def: &TypeDef, fields: &[Field]) -> Schema {
        let mut s = Schema::typed("object");
        let default_optional = def.gv.map(|g| self.api.gv(g).default_optional).unwrap_or(false);
        for f in fields.iter().filter(|f| !f.is_skipped()) {
            if f.serde.flatten {
                self.flatten_into(&mut s, f, def);
                continue;
            }
            let fs = self.field_schema(f);
            let required = self.is_required(f, def, default_optional);
            if required {
                s.required.push(f.json_name.clone());
            }
            if let Some(m) = f.marker(Id::Default).or_else(|| f.marker(Id::DefaultJson))
                && required
            {
                self.diags.push(
                    Diagnostic::warning(
                        m.location.clone(),
                        format!("field `{}` is required, so its default never applies", f.json_name),
                    )
                    .with_help(
                        "make it optional (Option<T>, #[serde(default)] or +optional) for the API server to default it",
                    ),
                );
            }
            if f.marker(Id::Immutable).is_some() && !required {
                // The field rule only runs when both values exist, so removing the value needs a parent rule.
                s.validations.push(Rule {
                    rule: format!("!has(oldSelf.{0}) || has(self.{0})", cel_field(&f.json_name)),
                    message: Some(format!("field {} is immutable once set", f.json_name)),
                    origin: Some(f.location.clone()),
                    ..Default::default()
                });
            }
            if s.properties.insert(f.json_name.clone(), fs).is_some() {
                self.diags.push(Diagnostic::error(
                    f.location.clone(),
                    format!("two fields of `{}` are named `{}` in JSON", def.name, f.json_name),
                ));
            }
        }
        s.required.sort();
        s.required.dedup();
        s
    }

    /// `#[serde(flatten)]`: a struct's properties merge into the parent; a map makes the parent open.
    fn flatten_into(&mut self, parent: &mut Schema, f: &Field, def: &TypeDef) {
        self.at.push(f.location.clone());
        let inner = self.ref_schema(&f.ty);
        self.at.pop();
        let optional = f.ty.is_option() || f.serde.default;
        if inner.additional_properties.is_some() || inner.preserve_unknown_fields == Some(true) {
            parent.preserve_unknown_fields = Some(true);
            return;
        }
        if inner.ty() != Some("object") {
            self.diags.push(Diagnostic::error(
                f.location.clone(),
                format!("#[serde(flatten)] field `{}` must be a struct or a map", f.rust_name),
            ));
            return;
        }
        for (k, v) in inner.properties {
            if parent.properties.insert(k.clone(), v).is_some() {
                self.diags.push(Diagnostic::error(
                    f.location.clone(),
                    format!(
                        "flattened field `{}` brings property `{k}`, which `{}` already has",
                        f.rust_name, def.name
                    ),
                ));
            }
        }
        if !optional {
            parent.required.extend(inner.required);
            // Object-level constraints hold for the merged object, as controller-gen keeps an
            // inlined struct's; an absent optional struct must not impose them.
            parent.min_properties = parent.min_properties.or(inner.min_properties);
            parent.max_properties = parent.max_properties.or(inner.max_properties);
            parent.one_of.extend(inner.one_of);
            parent.any_of.extend(inner.any_of);
            parent.all_of.extend(inner.all_of);
            if parent.not.is_none() {
                parent.not = inner.not;
            }
        }
        // Topology describes how the fields merge, so it carries over whatever the optionality.
        if parent.map_type.is_none() {
            parent.map_type = inner.map_type;
        }
        for (k, loc) in inner.keyword_origins {
            parent.keyword_origins.entry(k).or_insert(loc);
        }
        parent.validations.extend(inner.validations);
    }

    /// The schema of a field: its type's schema, then the field's markers and description.
    fn field_schema(&mut self, f: &Field) -> Schema {
        let mut s = if f.marker(Id::Schemaless).is_some() {
            Schema::default()
        } else {
            self.at.push(f.location.clone());
            let s = self.ref_schema(&f.ty);
            self.at.pop();
            s
        };
        let markers: Vec<&Marker> = f.markers.iter().collect();
        // Field rules come before the type's.
        let type_rules = std::mem::take(&mut s.validations);
        self.apply_markers(&mut s, &markers, &f.json_name, true);
        s.validations.extend(type_rules);
        if let Some(m) = f.marker(Id::Immutable) {
            s.validations.insert(
                0,
                Rule {
                    rule: "self == oldSelf".into(),
                    // The API server puts the field path first: `spec.zone: Invalid value: ...: field is immutable`.
                    message: Some("field is immutable".into()),
                    origin: Some(m.location.clone()),
                    ..Default::default()
                },
            );
        }
        if !f.description.is_empty() {
            s.description = Some(f.description.clone());
        }
        s.origin = Some(f.location.clone());
        s
    }

    /// First match wins, as in controller-gen (go-anchors §1.7), with Rust's defaults in place of `omitempty`.
    fn is_required(&self, f: &Field, parent: &TypeDef, default_optional: bool) -> bool {
        for m in &f.markers {
            match m.id() {
                Id::KubebuilderOptional => return false,
                Id::KubebuilderRequired => return true,
                _ => {}
            }
        }
        for m in &f.markers {
            match m.id() {
                Id::Optional => return false,
                Id::Required => return true,
                _ => {}
            }
        }
        if default_optional {
            return false;
        }
        !(f.ty.is_option() || f.serde.default || parent.serde.default)
    }

    /// Applies markers in source order (`Type`, `XIntOrString` first); `items:` variants go to `items`.
    fn apply_markers(&mut self, s: &mut Schema, markers: &[&Marker], what: &str, on_field: bool) {
        let first = |m: &&&Marker| matches!(m.id(), Id::Type | Id::IntOrString);
        let ordered: Vec<&Marker> = markers
            .iter()
            .filter(first)
            .chain(markers.iter().filter(|m| !first(m)))
            .copied()
            .collect();
        let mut kubebuilder_default = false;
        for m in ordered {
            if m.def.items {
                if s.ty() != Some("array") || s.items.is_none() {
                    self.diags.push(m.error(format!(
                        "{} applies to the items of an array, but `{what}` is {}",
                        m.display_name(),
                        describe(s)
                    )));
                    continue;
                }
                let items = s.items.as_mut().expect("checked");
                self.apply_one(items, m, &format!("{what}[*]"), &mut kubebuilder_default);
            } else {
                if m.id() == Id::Default {
                    kubebuilder_default = true;
                }
                self.apply_one(s, m, what, &mut kubebuilder_default);
            }
        }
        let _ = on_field;
    }

    fn apply_one(&mut self, s: &mut Schema, m: &Marker, what: &str, kubebuilder_default: &mut bool) {
        let v = m.value().clone();
        let origin = m.location.clone();
        let set = |s: &mut Schema, keyword: &'static str| {
            s.keyword_origins.insert(keyword, origin.clone());
        };
        match m.id() {
            Id::Maximum | Id::Minimum | Id::MultipleOf => {
                if !self.expect(s, m, what, &["integer", "number"]) {
                    return;
                }
                let n = match &v {
                    Value::Number(n) => n.clone(),
                    _ => return,
                };
                if s.ty() == Some("integer") && !(n.is_i64() || n.is_u64()) {
                    self.diags.push(m.error(format!(
                        "{} must be a whole number for integer `{what}`, found {n}",
                        m.display_name()
                    )));
                    return;
                }
                match m.id() {
                    Id::Maximum => {
                        s.maximum = Some(n);
                        set(s, "maximum");
                    }
                    Id::Minimum => {
                        s.minimum = Some(n);
                        set(s, "minimum");
                    }
                    _ => {
                        s.multiple_of = Some(n);
                        set(s, "multipleOf");
                    }
                }
            }
            Id::ExclusiveMaximum | Id::ExclusiveMinimum => {
                if !self.expect(s, m, what, &["integer", "number"]) {
                    return;
                }
                let b = v.as_bool();
                if m.id() == Id::ExclusiveMaximum {
                    s.exclusive_maximum = b;
                } else {
                    s.exclusive_minimum = b;
                }
            }
            Id::MaxLength | Id::MinLength | Id::Pattern => {
                if s.int_or_string != Some(true) && !self.expect(s, m, what, &["string"]) {
                    return;
                }
                match m.id() {
                    Id::MaxLength => {
                        s.max_length = v.as_i64();
                        set(s, "maxLength");
                    }
                    Id::MinLength => {
                        s.min_length = v.as_i64();
                        set(s, "minLength");
                    }
                    _ => {
                        s.pattern = v.as_str().map(String::from);
                        set(s, "pattern");
                    }
                }
            }
            Id::MaxItems | Id::MinItems | Id::UniqueItems => {
                if !self.expect(s, m, what, &["array"]) {
                    return;
                }
                match m.id() {
                    Id::MaxItems => {
                        s.max_items = v.as_i64();
                        set(s, "maxItems");
                    }
                    Id::MinItems => {
                        s.min_items = v.as_i64();
                        set(s, "minItems");
                    }
                    _ => {
                        s.unique_items = v.as_bool();
                        set(s, "uniqueItems");
                    }
                }
            }
            Id::MaxProperties | Id::MinProperties => {
                if !self.expect(s, m, what, &["object"]) {
                    return;
                }
                if m.id() == Id::MaxProperties {
                    s.max_properties = v.as_i64();
                } else {
                    s.min_properties = v.as_i64();
                }
            }
            Id::Enum => {
                s.enum_ = v.as_array().cloned();
                set(s, "enum");
            }
            Id::Format => {
                s.format = v.as_str().map(String::from);
                set(s, "format");
            }
            Id::Type => {
                s.type_ = v.as_str().map(String::from);
                if s.ty() != Some("object") {
                    s.properties.clear();
                    s.required.clear();
                    s.additional_properties = None;
                }
                if s.ty() != Some("array") {
                    s.items = None;
                }
                if s.ty() == Some("array") && s.items.is_none() {
                    self.diags.push(
                        m.error(format!(
                            "+kubebuilder:validation:Type=array on `{what}` leaves its items undescribed"
                        ))
                        .with_help("describe the items with a Vec<T> field instead"),
                    );
                }
            }
            Id::PreserveUnknownFields => s.preserve_unknown_fields = Some(true),
            Id::EmbeddedResource => {
                s.embedded_resource = Some(true);
                if s.ty().is_none() {
                    s.type_ = Some("object".into());
                }
            }
            Id::IntOrString => {
                let keep = (s.max_length, s.min_length, s.pattern.take());
                *s = Schema {
                    description: s.description.take(),
                    origin: s.origin.clone(),
                    ..Schema::int_or_string()
                };
                (s.max_length, s.min_length, s.pattern) = keep;
            }
            Id::XValidation => s.validations.push(Rule {
                rule: m.str("rule").unwrap_or_default().to_string(),
                message: m.str("message").map(String::from),
                message_expression: m.str("messageExpression").map(String::from),
                reason: m.str("reason").map(String::from),
                field_path: m.str("fieldPath").map(String::from),
                optional_old_self: m.bool("optionalOldSelf"),
                origin: Some(m.location.clone()),
            }),
            Id::Nullable => s.nullable = true,
            Id::Default => {
                s.default = Some(empty_braces_as(s, v));
                set(s, "default");
            }
            Id::DefaultJson if !*kubebuilder_default => {
                s.default = Some(v);
                set(s, "default");
            }
            Id::Example => {
                s.example = Some(empty_braces_as(s, v));
                set(s, "example");
            }
            Id::Title => s.title = v.as_str().map(String::from),
            Id::ExternalDocs => {
                if let Some(url) = m.str("url")
                    && !(url.starts_with("https://") || url.starts_with("http://"))
                {
                    self.diags
                        .push(m.error(format!("externalDocs url `{url}` is not an http(s) URL")));
                }
                s.external_docs = Some(ExternalDocs {
                    url: m.str("url").map(String::from),
                    description: m.str("description").map(String::from),
                });
            }
            Id::ListType => {
                if !self.expect(s, m, what, &["array"]) {
                    return;
                }
                s.list_type = v.as_str().map(String::from);
                set(s, "x-kubernetes-list-type");
            }
            Id::ListMapKey => {
                if !self.expect(s, m, what, &["array"]) {
                    return;
                }
                if let Some(k) = v.as_str() {
                    s.list_map_keys.push(k.to_string());
                }
                set(s, "x-kubernetes-list-map-keys");
            }
            Id::MapType | Id::StructType => {
                if s.ty().is_some() && !self.expect(s, m, what, &["object"]) {
                    return;
                }
                s.map_type = v.as_str().map(String::from);
            }
            // Required/optional shape the parent's `required`; union markers become rules on the type;
            // the rest are CRD-level, client-level, or Go-only.
            _ => {}
        }
    }

    /// Checks the node's type is one of `types`; reports and returns false otherwise.
    fn expect(&mut self, s: &Schema, m: &Marker, what: &str, types: &[&str]) -> bool {
        if s.ty().is_some_and(|t| types.contains(&t)) {
            return true;
        }
        let wanted = match types {
            ["integer", "number"] => "numbers".to_string(),
            [one] => format!("{one}s"),
            _ => types.join(" or "),
        };
        self.diags.push(m.error(format!(
            "{} applies to {wanted}, but `{what}` is {}",
            m.display_name(),
            describe(s)
        )));
        false
    }

    /// ExactlyOneOf / AtMostOneOf / AtLeastOneOf on a struct become CEL rules.
    fn union_rules(&mut self, s: &mut Schema, def: &TypeDef) {
        for m in &def.markers {
            let kind = match m.id() {
                Id::ExactlyOneOf | Id::AtMostOneOf | Id::AtLeastOneOf => m.id(),
                _ => continue,
            };
            let fields = m.strings("");
            if s.ty() != Some("object") || !matches!(def.body, TypeBody::Struct(_)) {
                self.diags.push(m.error(format!(
                    "{} needs a struct, and `{}` is not one",
                    m.display_name(),
                    def.name
                )));
                continue;
            }
            if fields.len() < 2 {
                self.diags
                    .push(m.error(format!("{} needs at least two fields", m.display_name())));
                continue;
            }
            let mut ok = true;
            for name in &fields {
                if name.contains('.') {
                    self.diags.push(m.error(format!(
                        "{}: `{name}` is a nested path; name fields of `{}` itself",
                        m.display_name(),
                        def.name
                    )));
                    ok = false;
                } else if !s.properties.contains_key(name) {
                    let hint = crate::markers::registry::closest(name, s.properties.keys().map(String::as_str))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    self.diags.push(m.error(format!(
                        "{}: `{}` has no field `{name}`{hint}",
                        m.display_name(),
                        def.name
                    )));
                    ok = false;
                } else if s.required.contains(name) {
                    self.diags.push(
                        m.error(format!(
                            "{}: field `{name}` is required, so the rule could never be met",
                            m.display_name()
                        ))
                        .with_help("make the field optional (Option<T>)"),
                    );
                    ok = false;
                }
            }
            if !ok {
                continue;
            }
            let has: Vec<String> = fields.iter().map(|f| format!("has(self.{})", cel_field(f))).collect();
            let list = fields.join(" ");
            let (rule, message) = match kind {
                Id::ExactlyOneOf => (
                    format!("[{}].filter(x, x).size() == 1", has.join(", ")),
                    format!("exactly one of the fields in [{list}] must be set"),
                ),
                Id::AtMostOneOf => (
                    format!("[{}].filter(x, x).size() <= 1", has.join(", ")),
                    format!("at most one of the fields in [{list}] may be set"),
                ),
                _ => (
                    has.join(" || "),
                    format!("at least one of the fields in [{list}] must be set"),
                ),
            };
            s.validations.push(Rule {
                rule,
                message: Some(message),
                origin: Some(m.location.clone()),
                ..Default::default()
            });
        }
    }

    /// Enums with data: externally tagged (an object with one optional property per variant, exactly
    /// one set) or internally tagged (the tag property plus every variant's fields).
    fn data_enum_schema(&mut self, def: &TypeDef) -> Schema {
        let TypeBody::DataEnum(variants) = &def.body else {
            unreachable!("data enum")
        };
        let fail = |b: &mut Self, why: String| {
            b.diags.push(
                Diagnostic::error(def.location.clone(), format!("enum `{}` cannot be described by a structural schema: {why}", def.name))
                    .with_help("use a struct with optional fields (and +kubebuilder:validation:ExactlyOneOf), or #[serde(tag = \"...\")] with struct variants"),
            );
            Schema::typed("object")
        };
        if def.serde.untagged {
            return fail(
                self,
                "untagged variants are told apart by shape, which Kubernetes cannot validate".into(),
            );
        }
        if def.serde.content.is_some() {
            return fail(
                self,
                "adjacently tagged (tag + content) variants give `content` a different type per variant".into(),
            );
        }
        let live: Vec<_> = variants.iter().filter(|v| !v.skipped).collect();
        if let Some(v) = live.iter().find(|v| matches!(v.data, VariantData::Tuple(_))) {
            return fail(
                self,
                format!(
                    "variant `{}` has several unnamed fields (a JSON array of mixed types)",
                    v.rust_name
                ),
            );
        }
        let mut s = Schema::typed("object");
        match &def.serde.tag {
            None => {
                if let Some(v) = live.iter().find(|v| matches!(v.data, VariantData::Unit)) {
                    return fail(
                        self,
                        format!(
                            "unit variant `{}` is a string while data variants are objects; a schema has one type",
                            v.rust_name
                        ),
                    );
                }
                for v in &live {
                    let mut vs = match &v.data {
                        VariantData::Newtype(t) => self.ref_schema(t),
                        VariantData::Struct(fields) => self.struct_schema(def, fields),
                        _ => unreachable!("filtered"),
                    };
                    if !v.description.is_empty() {
                        vs.description = Some(v.description.clone());
                    }
                    vs.origin = Some(v.location.clone());
                    s.properties.insert(v.json_name.clone(), vs);
                    s.one_of.push(Schema {
                        required: vec![v.json_name.clone()],
                        ..Default::default()
                    });
                }
            }
            Some(tag) => {
                let mut names = Vec::new();
                let mut origins: BTreeMap<String, String> = BTreeMap::new();
                for v in &live {
                    names.push(Value::String(v.json_name.clone()));
                    let vs = match &v.data {
                        VariantData::Unit => continue,
                        VariantData::Struct(fields) => self.struct_schema(def, fields),
                        VariantData::Newtype(t) => {
                            let inner = self.ref_schema(t);
                            if inner.ty() != Some("object") || inner.properties.is_empty() {
                                return fail(
                                    self,
                                    format!(
                                        "variant `{}` of an internally tagged enum must hold a struct",
                                        v.rust_name
                                    ),
                                );
                            }
                            inner
                        }
                        VariantData::Tuple(_) => unreachable!("filtered"),
                    };
                    for (k, p) in vs.properties {
                        if &k == tag {
                            return fail(
                                self,
                                format!("variant `{}` has a field named like the tag `{tag}`", v.rust_name),
                            );
                        }
                        match s.properties.get(&k) {
                            Some(existing) if strip(existing) != strip(&p) => {
                                return fail(
                                    self,
                                    format!(
                                        "property `{k}` has different schemas in variants `{}` and `{}`",
                                        origins[&k], v.rust_name
                                    ),
                                );
                            }
                            Some(_) => {}
                            None => {
                                origins.insert(k.clone(), v.rust_name.clone());
                                s.properties.insert(k, p);
                            }
                        }
                    }
                }
                s.properties.insert(
                    tag.clone(),
                    Schema {
                        enum_: Some(names),
                        origin: Some(def.location.clone()),
                        ..Schema::typed("string")
                    },
                );
                s.required = vec![tag.clone()];
            }
        }
        s
    }
}

/// A schema without descriptions and locations, to compare shapes.
fn strip(s: &Schema) -> Value {
    let mut v = s.to_json();
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("description");
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// A field name as a CEL member: plain identifiers as they are, others escaped per Kubernetes rules.
fn cel_field(name: &str) -> String {
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}

/// `a string`, `an array`, ... for messages.
fn describe(s: &Schema) -> String {
    if s.int_or_string == Some(true) {
        return "an int-or-string".into();
    }
    match s.ty() {
        Some(t @ ("integer" | "array" | "object")) => format!("an {t}"),
        Some(t) => format!("a {t}"),
        None => "untyped".into(),
    }
}

/// A number from a marker as JSON (used by tests).
pub fn number(n: i64) -> Number {
    Number::from(n)
}

/// A marker's `{}` is both an empty list and an empty map: the schema node decides, at every depth
/// (an empty object on objects and maps, an empty list on arrays, as controller-gen reads it).
fn empty_braces_as(s: &Schema, v: Value) -> Value {
    match v {
        Value::Array(a) if a.is_empty() && s.ty() == Some("object") => Value::Object(Default::default()),
        Value::Object(m) if m.is_empty() && s.ty() == Some("array") => Value::Array(vec![]),
        Value::Array(a) => match &s.items {
            Some(items) => Value::Array(a.into_iter().map(|x| empty_braces_as(items, x)).collect()),
            None => Value::Array(a),
        },
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let sub = s.properties.get(&k).or(s.additional_properties.as_deref());
                    let x = match sub {
                        Some(sub) => empty_braces_as(sub, x),
                        None => x,
                    };
                    (k, x)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::cel_field;

    #[test]
    fn cel_names_are_escaped() {
        assert_eq!(cel_field("nodePools"), "nodePools");
        assert_eq!(cel_field("a-b.c"), "a__dash__b__dot__c");
    }
}
