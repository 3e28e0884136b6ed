//! Building the [`Api`] model from parsed source.
//!
//! In three steps, so that the files can be parsed and read on several threads (see
//! [`crate::source::load_with`]): [`scan`] each file for what resolving needs from the whole input
//! (modules, `use` scopes, type names, consts, package docs), [`merge`] the scans in file order
//! into the [`Tables`] every type resolves against, then build each file's types ([`types_of`])
//! with them; [`finish`] puts the types together (in file order, as scanned) and finds the kinds.

use super::resolve::{Resolver, Scope};
use super::serde_attrs::{self, ContainerSerde, RenameRule};
use super::{Api, Field, GroupVersion, GvId, Kind, Known, TypeBody, TypeDef, TypeId, TypeRef, Variant, VariantData};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::defs::Id;
use crate::markers::{Marker, Target, collect};
use crate::source::{Inputs, SourceFile};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// A type item of a syntax tree.
struct RawType<'a> {
    item: RawItem<'a>,
    module: Vec<String>,
}

enum RawItem<'a> {
    Struct(&'a syn::ItemStruct),
    Enum(&'a syn::ItemEnum),
    Alias(&'a syn::ItemType),
}

impl RawItem<'_> {
    fn ident(&self) -> &syn::Ident {
        match self {
            RawItem::Struct(s) => &s.ident,
            RawItem::Enum(e) => &e.ident,
            RawItem::Alias(t) => &t.ident,
        }
    }

    fn attrs(&self) -> &[syn::Attribute] {
        match self {
            RawItem::Struct(s) => &s.attrs,
            RawItem::Enum(e) => &e.attrs,
            RawItem::Alias(t) => &t.attrs,
        }
    }

    fn generics(&self) -> &syn::Generics {
        match self {
            RawItem::Struct(s) => &s.generics,
            RawItem::Enum(e) => &e.generics,
            RawItem::Alias(t) => &t.generics,
        }
    }
}

/// The type items of `items` (inline modules included) in source order, which is the order of
/// their [`TypeId`]s within the file: [`scan`] and [`types_of`] both walk with this.
fn raw_types<'a>(items: &'a [syn::Item], module: &[String], out: &mut Vec<RawType<'a>>) {
    for item in items {
        let item = match item {
            syn::Item::Struct(s) => RawItem::Struct(s),
            syn::Item::Enum(e) => RawItem::Enum(e),
            syn::Item::Type(t) => RawItem::Alias(t),
            syn::Item::Mod(m) => {
                if let Some((_, content)) = &m.content {
                    raw_types(content, &child_module(module, m), out);
                }
                continue;
            }
            _ => continue,
        };
        out.push(RawType {
            item,
            module: module.to_vec(),
        });
    }
}

fn child_module(module: &[String], m: &syn::ItemMod) -> Vec<String> {
    let mut child = module.to_vec();
    child.push(m.ident.to_string());
    child
}

/// A type's name and place, as [`scan`] finds it.
struct TypeEntry {
    module: Vec<String>,
    name: String,
    /// Its number of generic parameters.
    generics: usize,
    location: Location,
}

/// What one file declares that resolving needs from the whole input: made by [`scan`] on the
/// thread that parsed the file, free of spans and syntax trees.
#[derive(Default)]
pub struct FileScan {
    /// Every module the file holds (its own and its inline ones).
    modules: Vec<Vec<String>>,
    /// The `use` declarations of each module.
    scopes: HashMap<Vec<String>, Scope>,
    /// Type items in source order.
    types: Vec<TypeEntry>,
    /// `const` items by (module, name), in source order, with their value for `+default=ref(NAME)`.
    consts: Vec<super::consts::Const>,
    /// Package markers, in source order.
    docs: Vec<(Vec<String>, Vec<Marker>)>,
}

/// Reads what [`merge`] needs from one file; reports the file's package marker problems.
pub fn scan(f: &SourceFile, diags: &mut Diagnostics) -> FileScan {
    let mut out = FileScan::default();
    out.package_doc(&f.ast.attrs, &f.module, &f.path, diags);
    out.items(&f.ast.items, &f.module, &f.path, diags);
    out
}

impl FileScan {
    fn items(&mut self, items: &[syn::Item], module: &[String], file: &Arc<PathBuf>, diags: &mut Diagnostics) {
        self.modules.push(module.to_vec());
        for item in items {
            let ident = match item {
                syn::Item::Struct(s) => &s.ident,
                syn::Item::Enum(e) => &e.ident,
                syn::Item::Type(t) => &t.ident,
                syn::Item::Const(c) => {
                    let key = (module.to_vec(), c.ident.to_string());
                    self.consts.push((key, super::consts::literal(c)));
                    continue;
                }
                syn::Item::Use(u) => {
                    self.scopes
                        .entry(module.to_vec())
                        .or_default()
                        .add_use(&u.tree, &mut Vec::new());
                    continue;
                }
                syn::Item::Mod(m) => {
                    let child = child_module(module, m);
                    self.modules.push(child.clone());
                    self.package_doc(&m.attrs, &child, file, diags);
                    if let Some((_, content)) = &m.content {
                        self.items(content, &child, file, diags);
                    }
                    continue;
                }
                _ => continue,
            };
            let generics = match item {
                syn::Item::Struct(s) => s.generics.params.len(),
                syn::Item::Enum(e) => e.generics.params.len(),
                syn::Item::Type(t) => t.generics.params.len(),
                _ => 0,
            };
            self.types.push(TypeEntry {
                module: module.to_vec(),
                name: ident.to_string(),
                generics,
                location: crate::diag::span_location(file, ident.span()),
            });
        }
    }

    fn package_doc(
        &mut self,
        attrs: &[syn::Attribute],
        module: &[String],
        file: &Arc<PathBuf>,
        diags: &mut Diagnostics,
    ) {
        // Only inner doc comments (`//!`, `#![doc]`) are package docs; outer docs on `mod x;` are not.
        let inner: Vec<syn::Attribute> = attrs
            .iter()
            .filter(|a| matches!(a.style, syn::AttrStyle::Inner(_)))
            .cloned()
            .collect();
        if inner.is_empty() {
            return;
        }
        let c = collect(&inner, file, Target::Package, diags);
        self.docs.push((module.to_vec(), c.markers));
    }
}

/// Package markers of one module.
struct ModuleDoc {
    markers: Vec<Marker>,
}

/// What every type of the input resolves against, made by [`merge`] from every file's
/// [`FileScan`]; shared read-only by the threads that build the types.
pub struct Tables {
    /// The scope of every module.
    scopes: HashMap<Vec<String>, Scope>,
    /// Types by (module, name).
    index: HashMap<(Vec<String>, String), TypeId>,
    /// Every module path.
    modules: BTreeSet<Vec<String>>,
    /// Generic parameter counts of types that have them.
    generic: HashMap<TypeId, usize>,
    /// `const` items by (module, name), for `+default=ref(Name)`.
    consts: super::consts::Consts,
    /// Package markers of each module (a module may span a file and inline blocks).
    docs: BTreeMap<Vec<String>, Vec<Marker>>,
    /// How many types the input has.
    type_count: usize,
}

impl Tables {
    fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.scopes, &self.index, &self.modules, &self.generic)
    }
}

/// Merges the scans of every file, in file order: types are numbered in that order (and in
/// source order within a file), as [`types_of`] returns them.
pub fn merge(scans: Vec<FileScan>, diags: &mut Diagnostics) -> Tables {
    let mut tables = Tables {
        scopes: HashMap::new(),
        index: HashMap::new(),
        modules: BTreeSet::new(),
        generic: HashMap::new(),
        consts: HashMap::new(),
        docs: BTreeMap::new(),
        type_count: 0,
    };
    let mut locations: Vec<Location> = Vec::new();
    for scan in scans {
        tables.modules.extend(scan.modules);
        for (module, scope) in scan.scopes {
            let into = tables.scopes.entry(module).or_default();
            into.uses.extend(scope.uses);
            into.globs.extend(scope.globs);
        }
        tables.consts.extend(scan.consts);
        for (module, markers) in scan.docs {
            tables.docs.entry(module).or_default().extend(markers);
        }
        for t in scan.types {
            let id = TypeId(locations.len());
            if t.generics > 0 {
                tables.generic.insert(id, t.generics);
            }
            let key = (t.module, t.name);
            if let Some(prev) = tables.index.get_mut(&key) {
                diags.push(
                    Diagnostic::error(
                        t.location.clone(),
                        format!("type `{}` is defined twice in module `{}`", key.1, key.0.join("::")),
                    )
                    .with_help(format!("also defined at {}", locations[prev.0])),
                );
                *prev = id;
            } else {
                tables.index.insert(key, id);
            }
            locations.push(t.location);
        }
    }
    tables.type_count = locations.len();
    tables
}

/// Builds the types of one file with the tables of the whole input, in source order (their
/// [`TypeId`]s follow the file's first). Their group-version is set by [`finish`].
pub fn types_of(f: &SourceFile, tables: &Tables, diags: &mut Diagnostics) -> Vec<TypeDef> {
    let mut raw = Vec::new();
    raw_types(&f.ast.items, &f.module, &mut raw);
    let resolver = tables.resolver();
    raw.iter().map(|t| type_def(t, &f.path, &resolver, diags)).collect()
}

/// Reads and parses every file under `paths` and builds the model, on up to
/// [`crate::source::threads`] threads; each syntax tree is freed as soon as its types are built.
pub fn load(paths: &[PathBuf], diags: &mut Diagnostics) -> (Api, Inputs) {
    let (tables, types, inputs) = crate::source::load_with(paths, diags, scan, merge, types_of);
    crate::source::memory(crate::source::Memory::TreesFreed);
    crate::timings::mark("types");
    (finish(tables, types, diags), inputs)
}

/// Builds the model: modules and their scopes, group-versions, types (resolved), kinds.
pub fn build(files: &[SourceFile], diags: &mut Diagnostics) -> Api {
    let scans = files.iter().map(|f| scan(f, diags)).collect();
    let tables = merge(scans, diags);
    let types = files.iter().map(|f| types_of(f, &tables, diags)).collect();
    finish(tables, types, diags)
}

/// The model from the tables and every file's types (in file order).
pub fn finish(mut tables: Tables, types: Vec<Vec<TypeDef>>, diags: &mut Diagnostics) -> Api {
    let mut types: Vec<TypeDef> = types.into_iter().flatten().collect();
    assert_eq!(types.len(), tables.type_count, "each file's types are the ones scanned");

    // Group-versions, sorted by (group, version).
    let mut gvs: Vec<GroupVersion> = Vec::new();
    let mut loose = Vec::new();
    // `+kubebuilder:skip` modules (and those below them) are not API versions, as in controller-gen.
    let mut skipped: Vec<Vec<String>> = Vec::new();
    for (module, markers) in std::mem::take(&mut tables.docs) {
        let doc = ModuleDoc { markers };
        let group = doc.markers.iter().find(|m| m.id() == Id::GroupName);
        let skip = doc.markers.iter().any(|m| m.id() == Id::Skip);
        if skip {
            skipped.push(module.clone());
        }
        let Some(group_marker) = group.filter(|_| !skip) else {
            for m in &doc.markers {
                match m.id() {
                    Id::VersionName | Id::KubebuilderOptional | Id::KubebuilderRequired if !skip => {
                        diags.push(m.error(format!(
                            "{} needs +groupName in the same module doc comment",
                            m.display_name()
                        )))
                    }
                    _ => {}
                }
            }
            loose.extend(doc.markers);
            continue;
        };
        let version = match doc.markers.iter().find(|m| m.id() == Id::VersionName) {
            Some(v) => v.str("").unwrap_or_default().to_string(),
            None => module.last().cloned().unwrap_or_default(),
        };
        if !is_dns_label(&version) {
            diags.push(
                group_marker
                    .error(format!(
                        "version `{version}` (from {}) is not a valid Kubernetes version name",
                        if doc.markers.iter().any(|m| m.id() == Id::VersionName) {
                            "+versionName"
                        } else {
                            "the module name"
                        }
                    ))
                    .with_help("version names are DNS labels such as v1, v1beta1, v1alpha2; set +versionName=..."),
            );
        }
        let group = group_marker.str("").unwrap_or_default().to_string();
        if !group.is_empty() && !is_dns_subdomain(&group) {
            diags.push(group_marker.error(format!("group `{group}` is not a valid DNS subdomain")));
        } else if !group.is_empty() && !group.contains('.') {
            diags.push(group_marker.error(format!(
                "group `{group}` must contain a dot (the API server requires a domain for custom resources)"
            )));
        }
        if let Some(m) = doc.markers.iter().find(|m| m.id() == Id::GroupGoName) {
            let name = m.str("").unwrap_or_default();
            if !is_go_name(name) {
                diags.push(
                    m.error(format!("+groupGoName `{name}` is not an identifier"))
                        .with_help("it names the group in generated clients: a letter, then letters, digits or `_` (e.g. +groupGoName=Example)"),
                );
            }
        }
        gvs.push(GroupVersion {
            default_optional: doc.markers.iter().any(|m| m.id() == Id::KubebuilderOptional),
            group,
            version,
            location: group_marker.location.clone(),
            module,
            markers: doc.markers,
        });
    }
    gvs.sort_by(|a, b| (&a.group, &a.version, &a.module).cmp(&(&b.group, &b.version, &b.module)));
    // Two modules may declare the same group-version, as two Go packages may: their kinds and
    // types join one group-version (each module keeps its own package markers).
    let is_skipped = |module: &[String]| skipped.iter().any(|m| module.starts_with(m));
    let gv_of = |module: &[String]| -> Option<GvId> {
        if is_skipped(module) {
            return None;
        }
        gvs.iter()
            .enumerate()
            .filter(|(_, g)| module.starts_with(&g.module))
            .max_by_key(|(_, g)| g.module.len())
            .map(|(i, _)| GvId(i))
    };

    for t in &mut types {
        t.gv = gv_of(&t.module);
    }
    let resolver = tables.resolver();

    super::consts::resolve_default_refs(&mut types, &tables.consts, &tables.scopes, diags);

    // Public paths: through the group-version module when it re-exports the type.
    for (i, t) in types.iter_mut().enumerate() {
        let mut path = match t.gv {
            Some(gv) if resolver.find_in_module(&gvs[gv.0].module, &t.name) == Some(TypeId(i)) => {
                gvs[gv.0].module.clone()
            }
            _ => t.module.clone(),
        };
        path.push(t.name.clone());
        t.rust_path = path;
    }

    // Kinds: structs with `metadata: ObjectMeta` in a group-version, except those another type
    // embeds (a template's `metadata`), unless marked +kubebuilder:object:root=true.
    let embedded = embedded_types(&types);
    let mut kinds = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let has_meta = t
            .fields()
            .iter()
            .any(|f| f.json_name == "metadata" && matches!(f.ty.without_option(), TypeRef::Known(Known::ObjectMeta)));
        let root = t.markers.iter().any(|m| {
            m.def.name == "kubebuilder:object:root" && m.args.get("") != Some(&serde_json::Value::Bool(false))
        });
        if !has_meta || (embedded.contains(&TypeId(i)) && !root) {
            continue;
        }
        match t.gv {
            Some(gv) => kinds.push(Kind {
                type_id: TypeId(i),
                gv,
                name: t.name.clone(),
            }),
            None if is_skipped(&t.module) => {}
            None => diags.push(
                Diagnostic::warning(
                    t.location.clone(),
                    format!(
                        "`{}` has `metadata: ObjectMeta` but is not in a group-version module; it is not a kind",
                        t.name
                    ),
                )
                .with_help("add `//! +groupName=<group>` to the module's doc comment"),
            ),
        }
    }
    kinds.sort_by(|a, b| {
        let (ga, gb) = (&gvs[a.gv.0], &gvs[b.gv.0]);
        (&ga.group, &a.name, &ga.version).cmp(&(&gb.group, &b.name, &gb.version))
    });
    // Modules sharing a group-version share its kinds' names too.
    for w in kinds.windows(2) {
        let (ga, gb) = (&gvs[w[0].gv.0], &gvs[w[1].gv.0]);
        if (&ga.group, &ga.version, &w[0].name) == (&gb.group, &gb.version, &w[1].name) {
            let (first, second) = (&types[w[0].type_id.0], &types[w[1].type_id.0]);
            let (first, second) = if first.location <= second.location {
                (first, second)
            } else {
                (second, first)
            };
            diags.push(
                Diagnostic::error(
                    second.location.clone(),
                    format!(
                        "kind {} is declared twice in group-version {}/{}",
                        w[1].name, gb.group, gb.version
                    ),
                )
                .with_help(format!(
                    "also declared at {}; modules with the same +groupName and +versionName form one group-version",
                    first.location
                )),
            );
        }
    }
    // CRD-level markers on types that are not kinds are mistakes, not no-ops.
    for (i, t) in types.iter().enumerate() {
        if kinds.iter().any(|k| k.type_id.0 == i) || is_skipped(&t.module) {
            continue;
        }
        for m in &t.markers {
            if matches!(
                m.id(),
                Id::Resource
                    | Id::SubresourceStatus
                    | Id::SubresourceScale
                    | Id::PrintColumn
                    | Id::StorageVersion
                    | Id::DeprecatedVersion
                    | Id::UnservedVersion
                    | Id::SkipVersion
                    | Id::Metadata
                    | Id::SelectableField
                    | Id::Genclient
                    | Id::GenclientNonNamespaced
                    | Id::GenclientNoStatus
                    | Id::GenclientNoVerbs
                    | Id::GenclientReadonly
                    | Id::GenclientOnlyVerbs
                    | Id::GenclientSkipVerbs
                    | Id::GenclientMethod
                    | Id::ResourceName
                    | Id::ConversionWebhook
            ) {
                diags.push(m.error(format!("{} is only allowed on a kind, and `{}` is not one", m.display_name(), t.name)).with_help(
                    "a kind is a struct with a `metadata: ObjectMeta` field in a module whose `//!` doc has +groupName",
                ));
            }
        }
    }
    super::depth::limit(&mut types, &kinds, diags);
    Api {
        group_versions: gvs,
        types,
        kinds,
        loose_package_markers: loose,
    }
}

fn type_def(t: &RawType<'_>, file: &Arc<PathBuf>, resolver: &Resolver<'_>, diags: &mut Diagnostics) -> TypeDef {
    let attrs = t.item.attrs();
    let collected = collect(attrs, file, Target::Type, diags);
    let serde = serde_attrs::container(attrs, file, diags);
    let name = t.item.ident().to_string();
    let location = crate::diag::span_location(file, t.item.ident().span());
    let body = if !t.item.generics().params.is_empty() {
        TypeBody::Unsupported(format!(
            "`{name}` is generic; a CRD schema cannot describe type parameters"
        ))
    } else {
        match &t.item {
            RawItem::Struct(s) => struct_body(s, &serde, &t.module, file, resolver, diags),
            RawItem::Enum(e) => enum_body(e, &serde, &t.module, file, resolver, diags),
            RawItem::Alias(a) => TypeBody::Alias(resolver.resolve(&a.ty, &t.module, file, diags)),
        }
    };
    TypeDef {
        name,
        module: t.module.clone(),
        gv: None,
        location,
        description: collected.description,
        markers: collected.markers,
        serde,
        derives: serde_attrs::derives(attrs),
        rust_path: Vec::new(),
        body,
    }
}

fn struct_body(
    s: &syn::ItemStruct,
    serde: &ContainerSerde,
    module: &[String],
    file: &Arc<PathBuf>,
    resolver: &Resolver<'_>,
    diags: &mut Diagnostics,
) -> TypeBody {
    match &s.fields {
        syn::Fields::Named(named) => {
            let fields = fields(named.named.iter(), serde.rename_all, module, file, resolver, diags);
            if serde.transparent {
                let live: Vec<Field> = fields.into_iter().filter(|f| !f.is_skipped()).collect();
                return match live.len() {
                    1 => TypeBody::Newtype(live.into_iter().next().expect("one").ty),
                    _ => TypeBody::Unsupported("#[serde(transparent)] needs exactly one field".into()),
                };
            }
            TypeBody::Struct(fields)
        }
        syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {
            reject_tuple_field_markers(&u.unnamed[0], file, diags);
            TypeBody::Newtype(resolver.resolve(&u.unnamed[0].ty, module, file, diags))
        }
        syn::Fields::Unnamed(_) => TypeBody::Unsupported(format!(
            "tuple struct `{}` serialises as a JSON array of mixed types, which a structural schema cannot describe",
            s.ident
        )),
        syn::Fields::Unit => TypeBody::Unsupported(format!("unit struct `{}` serialises as null", s.ident)),
    }
}

fn fields<'f>(
    fields: impl Iterator<Item = &'f syn::Field>,
    rename_all: Option<RenameRule>,
    module: &[String],
    file: &Arc<PathBuf>,
    resolver: &Resolver<'_>,
    diags: &mut Diagnostics,
) -> Vec<Field> {
    let mut out = Vec::new();
    for f in fields {
        let ident = f.ident.as_ref().expect("named field");
        let rust_name = ident.to_string().trim_start_matches("r#").to_string();
        let serde = serde_attrs::field(&f.attrs, file, diags);
        let collected = collect(&f.attrs, file, Target::Field, diags);
        let json_name = serde.rename.clone().unwrap_or_else(|| {
            rename_all
                .map(|r| r.apply_to_field(&rust_name))
                .unwrap_or_else(|| rust_name.clone())
        });
        let ty = resolver.resolve(&f.ty, module, file, diags);
        let rust_ty = resolver.absolute(&f.ty, module);
        let field_ty = &f.ty;
        out.push(Field {
            rust_name,
            json_name,
            ty,
            rust_ty,
            ty_text: super::resolve::type_text(field_ty),
            location: crate::diag::span_location(file, ident.span()),
            description: collected.description,
            markers: collected.markers,
            serde,
        });
    }
    out
}

fn enum_body(
    e: &syn::ItemEnum,
    serde: &ContainerSerde,
    module: &[String],
    file: &Arc<PathBuf>,
    resolver: &Resolver<'_>,
    diags: &mut Diagnostics,
) -> TypeBody {
    let mut variants = Vec::new();
    let mut any_data = false;
    for v in &e.variants {
        let vs = serde_attrs::field(&v.attrs, file, diags);
        let vattrs = serde_attrs::container(&v.attrs, file, diags);
        let collected = collect(&v.attrs, file, Target::Field, diags);
        for m in &collected.markers {
            diags.push(m.error(format!("{} cannot be written on an enum variant", m.display_name())));
        }
        let rust_name = v.ident.to_string();
        let json_name = vs.rename.clone().unwrap_or_else(|| {
            serde
                .rename_all
                .map(|r| r.apply_to_variant(&rust_name))
                .unwrap_or_else(|| rust_name.clone())
        });
        let data = match &v.fields {
            syn::Fields::Unit => VariantData::Unit,
            syn::Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                any_data = true;
                reject_tuple_field_markers(&u.unnamed[0], file, diags);
                VariantData::Newtype(resolver.resolve(&u.unnamed[0].ty, module, file, diags))
            }
            syn::Fields::Unnamed(u) => {
                any_data = true;
                VariantData::Tuple(u.unnamed.len())
            }
            syn::Fields::Named(n) => {
                any_data = true;
                let rule = vattrs.rename_all.or(serde.rename_all_fields);
                VariantData::Struct(fields(n.named.iter(), rule, module, file, resolver, diags))
            }
        };
        variants.push(Variant {
            rust_name,
            json_name,
            location: crate::diag::span_location(file, v.ident.span()),
            description: collected.description,
            data,
            skipped: vs.skip || vs.skip_deserializing,
        });
    }
    if any_data {
        TypeBody::DataEnum(variants)
    } else {
        TypeBody::UnitEnum(variants)
    }
}

/// A tuple field has no name in JSON, so markers on it have nowhere to go: say so.
fn reject_tuple_field_markers(field: &syn::Field, file: &Arc<PathBuf>, diags: &mut Diagnostics) {
    let collected = collect(&field.attrs, file, Target::Field, diags);
    for m in collected.markers {
        diags.push(
            m.error(format!("{} on a tuple field is not applied", m.display_name()))
                .with_help("write it on the newtype itself (or on the field that uses it)"),
        );
    }
}

/// RFC 1123 label: lower-case alphanumerics and `-`, starting with a letter for versions.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A `+groupGoName`: an ASCII identifier starting with a letter (Go's and Rust's rules agree there).
fn is_go_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// RFC 1123 subdomain.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.starts_with(|c: char| c.is_ascii_alphanumeric())
                && l.ends_with(|c: char| c.is_ascii_alphanumeric())
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Types that a field (or newtype, alias or variant) of another input type refers to; a kind's
/// `List` type (`metadata: ListMeta`) does not count.
fn embedded_types(types: &[TypeDef]) -> std::collections::HashSet<TypeId> {
    fn walk(t: &TypeRef, out: &mut std::collections::HashSet<TypeId>) {
        match t {
            TypeRef::Named(id) => {
                out.insert(*id);
            }
            TypeRef::Option(inner) | TypeRef::List(inner) | TypeRef::Set(inner) | TypeRef::Map(inner) => {
                walk(inner, out)
            }
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    let list_meta = TypeRef::Known(Known::Builtin("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"));
    for (i, t) in types.iter().enumerate() {
        if t.fields()
            .iter()
            .any(|f| f.json_name == "metadata" && f.ty.without_option() == &list_meta)
        {
            continue;
        }
        let mut refs = std::collections::HashSet::new();
        match &t.body {
            TypeBody::Struct(fields) => fields.iter().for_each(|f| walk(&f.ty, &mut refs)),
            TypeBody::Newtype(r) | TypeBody::Alias(r) => walk(r, &mut refs),
            TypeBody::DataEnum(variants) => {
                for v in variants {
                    match &v.data {
                        VariantData::Newtype(r) => walk(r, &mut refs),
                        VariantData::Struct(fields) => fields.iter().for_each(|f| walk(&f.ty, &mut refs)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        refs.remove(&TypeId(i));
        out.extend(refs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns_label("v1alpha1"));
        assert!(!is_dns_label("V1"));
        assert!(!is_dns_label("1v"));
        assert!(is_dns_subdomain("kgen.dev"));
        assert!(!is_dns_subdomain("Kgen.dev"));
        assert!(!is_dns_subdomain("a..b"));
    }
}
