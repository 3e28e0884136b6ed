//! CRD assembly: one `apiextensions.k8s.io/v1` CustomResourceDefinition per (group, kind), with a
//! version per group-version that defines the kind.

pub mod checks;
pub mod conversion;
pub mod names;
pub mod output;
pub mod size;

use crate::builtin::KubeVersion;
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::markers::Marker;
use crate::markers::defs::Id;
use crate::model::{Api, Kind};
use crate::schema::Schema;
use crate::schema::build::SchemaBuilder;
use crate::schema::check::{check_schema_for, check_status_subresource_root, resolve_json_path};
use serde_json::{Map, Value, json};

/// The annotation recording which kgen wrote a CRD.
pub const VERSION_ANNOTATION: &str = "kgen.dev/version";

/// One generated CRD.
#[derive(Clone, Debug)]
pub struct Crd {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Resource plural.
    pub plural: String,
    /// The CRD object.
    pub value: Value,
    /// Where the kind is defined (its storage version's type).
    pub location: Location,
}

impl Crd {
    /// The file name controller-gen uses: `<group>_<plural>.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}_{}.yaml", self.group, self.plural)
    }

    /// `<plural>.<group>`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }
}

/// One version of a kind with its markers.
struct VersionInput<'a> {
    kind: &'a Kind,
    version: String,
    markers: &'a [Marker],
    location: Location,
}

impl VersionInput<'_> {
    fn marker(&self, id: Id) -> Option<&Marker> {
        self.markers.iter().find(|m| m.id() == id)
    }

    fn markers_of(&self, id: Id) -> impl Iterator<Item = &Marker> {
        self.markers.iter().filter(move |m| m.id() == id)
    }
}

/// Builds every CRD (Kubernetes' built-in types as of `kube_version`), checking each against the API server's rules. CRDs come sorted by (group, kind).
///
/// `conversion_webhook` asks for webhook conversion for every kind with several versions, as
/// `+kgen:conversion:webhook` does for one group or kind.
pub fn assemble(api: &Api, kube_version: KubeVersion, conversion_webhook: bool, diags: &mut Diagnostics) -> Vec<Crd> {
    // Groups are independent (their kinds share types only within the group): build them on
    // several threads, each with its own schema cache, one CRD at a time so only its schemas
    // are alive. Results come back in group order, so the output does not depend on threads.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    for i in 0..api.kinds.len() {
        match groups.last_mut() {
            Some(r) if api.gv(api.kinds[r.start].gv).group == api.gv(api.kinds[i].gv).group => r.end = i + 1,
            _ => groups.push(i..i + 1),
        }
    }
    let built = crate::source::parallel_map(&groups, |range| {
        let mut diags = Diagnostics::new();
        let crds = group_crds(api, range.clone(), kube_version, conversion_webhook, &mut diags);
        (crds, diags)
    });
    let mut crds = Vec::new();
    for (group_crds, group_diags) in built {
        crds.extend(group_crds);
        diags.extend(group_diags);
    }
    // Two kinds may not claim the same resource name.
    for w in crds.windows(2) {
        if w[0].name() == w[1].name() {
            diags.push(Diagnostic::error(
                w[1].location.clone(),
                format!(
                    "kinds {} and {} both use the resource name {}",
                    w[0].kind,
                    w[1].kind,
                    w[1].name()
                ),
            ));
        }
    }
    crds.sort_by(|a, b| (&a.group, &a.kind).cmp(&(&b.group, &b.kind)));
    crds
}

/// The CRDs of the kinds in `range`, which are one group's.
fn group_crds(
    api: &Api,
    range: std::ops::Range<usize>,
    kube_version: KubeVersion,
    conversion_webhook: bool,
    diags: &mut Diagnostics,
) -> Vec<Crd> {
    let mut builder = SchemaBuilder::new(api).with_kube_version(kube_version);
    let mut crds = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let group = &api.gv(api.kinds[i].gv).group;
        let name = &api.kinds[i].name;
        let mut j = i;
        while j < range.end && &api.kinds[j].name == name {
            j += 1;
        }
        let schemas: Vec<Schema> = (i..j).map(|k| builder.kind_schema(&api.kinds[k])).collect();
        diags.extend(builder.take_diagnostics());
        let inputs: Vec<(VersionInput, &Schema)> = (i..j)
            .map(|k| {
                let kind = &api.kinds[k];
                let def = api.ty(kind.type_id);
                (
                    VersionInput {
                        kind,
                        version: api.gv(kind.gv).version.clone(),
                        markers: &def.markers,
                        location: def.location.clone(),
                    },
                    &schemas[k - i],
                )
            })
            .collect();
        // Webhook conversion: asked by a marker, else by the flag.
        let conversion = conversion_marker(api, &api.kinds[i..j])
            .map(conversion::Request::Marker)
            .or(conversion_webhook.then_some(conversion::Request::Flag));
        if let Some(crd) = one_crd(group, name, inputs, kube_version, conversion, diags) {
            crds.push(crd);
        }
        i = j;
    }
    crds
}

/// The `+kgen:conversion:webhook` marker that `kinds` (the versions of one kind) ask for webhook
/// conversion with: on a version's type, else on a version's module.
pub fn conversion_marker<'a, I>(api: &'a Api, kinds: I) -> Option<&'a Marker>
where
    I: IntoIterator<Item = &'a Kind>,
    I::IntoIter: Clone,
{
    let kinds = kinds.into_iter();
    let on_type = kinds
        .clone()
        .find_map(|k| api.ty(k.type_id).marker(Id::ConversionWebhook));
    on_type.or_else(|| {
        kinds
            .into_iter()
            .find_map(|k| api.gv(k.gv).markers.iter().find(|m| m.id() == Id::ConversionWebhook))
    })
}

fn one_crd(
    group: &str,
    kind: &str,
    mut inputs: Vec<(VersionInput, &Schema)>,
    kube_version: KubeVersion,
    conversion: Option<conversion::Request>,
    diags: &mut Diagnostics,
) -> Option<Crd> {
    inputs.retain(|(v, _)| v.marker(Id::SkipVersion).is_none());
    if inputs.is_empty() {
        return None;
    }
    inputs.sort_by(|(a, _), (b, _)| names::compare_versions(&a.version, &b.version));
    let first_loc = inputs[0].0.location.clone();
    if group.is_empty() {
        diags.push(
            Diagnostic::error(
                first_loc.clone(),
                format!("kind {kind} has an empty API group; custom resources need one"),
            )
            .with_help("set //! +groupName=<your.domain> on the group-version module"),
        );
        return None;
    }

    // Names and scope come from +kubebuilder:resource; versions must agree.
    let mut resource: Option<&Marker> = None;
    for (v, _) in &inputs {
        if let Some(m) = v.marker(Id::Resource) {
            if let Some(prev) = resource
                && prev.args != m.args
            {
                diags.push(
                    m.error(format!("+kubebuilder:resource differs between versions of {kind}"))
                        .with_help(format!("the other is at {}", prev.location)),
                );
            }
            resource = Some(m);
        }
    }
    let plural = resource
        .and_then(|m| m.str("path"))
        .map(String::from)
        .unwrap_or_else(|| names::plural(kind));
    let singular = resource
        .and_then(|m| m.str("singular"))
        .map(String::from)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let short_names = resource.map(|m| m.strings("shortName")).unwrap_or_default();
    let categories = resource.map(|m| m.strings("categories")).unwrap_or_default();
    let scope = resource
        .and_then(|m| m.str("scope"))
        .unwrap_or("Namespaced")
        .to_string();
    let at = resource
        .map(|m| m.location.clone())
        .unwrap_or_else(|| first_loc.clone());
    for (what, value) in [("plural", &plural), ("singular", &singular)] {
        if !is_resource_name(value) {
            diags.push(Diagnostic::error(
                at.clone(),
                format!("{what} name `{value}` of {kind} must be a lower-case DNS label"),
            ));
        }
    }
    for s in &short_names {
        if !is_resource_name(s) {
            diags.push(Diagnostic::error(
                at.clone(),
                format!("short name `{s}` of {kind} must be a lower-case DNS label"),
            ));
        }
    }
    for c in &categories {
        if !is_resource_name(c) {
            diags.push(Diagnostic::error(
                at.clone(),
                format!("category `{c}` of {kind} must be a lower-case DNS label (DNS-1035)"),
            ));
        }
    }
    // listKind is the kind plus `List`, and both must fit a DNS-1035 label once lower-cased.
    if kind.len() + "List".len() > 63 {
        diags.push(Diagnostic::error(
            first_loc.clone(),
            format!("kind `{kind}` is too long: its listKind `{kind}List` must be at most 63 characters"),
        ));
    }
    let crd_name = format!("{plural}.{group}");
    if crd_name.len() > 253 {
        diags.push(Diagnostic::error(
            at.clone(),
            format!("the CRD name `{crd_name}` is longer than the 253 characters of a DNS subdomain"),
        ));
    }
    if !kind.starts_with(|c: char| c.is_ascii_uppercase()) || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
        diags.push(Diagnostic::error(
            first_loc.clone(),
            format!("kind `{kind}` must be an upper-camel-case identifier"),
        ));
    }

    // Storage version.
    let storage_marked: Vec<usize> = inputs
        .iter()
        .enumerate()
        .filter(|(_, (v, _))| v.marker(Id::StorageVersion).is_some())
        .map(|(i, _)| i)
        .collect();
    let storage = match (inputs.len(), storage_marked.as_slice()) {
        (1, _) => 0,
        (_, [one]) => *one,
        (_, []) => {
            let list: Vec<&str> = inputs.iter().map(|(v, _)| v.version.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    first_loc.clone(),
                    format!("{kind} has versions {} but no storage version", list.join(", ")),
                )
                .with_help("put /// +kubebuilder:storageversion on exactly one version's type"),
            );
            0
        }
        (_, [a, b, ..]) => {
            let m = inputs[*b].0.marker(Id::StorageVersion).expect("marked");
            diags.push(
                m.error(format!(
                    "{kind} marks both {} and {} as the storage version",
                    inputs[*a].0.version, inputs[*b].0.version
                ))
                .with_help("exactly one version may carry +kubebuilder:storageversion"),
            );
            0
        }
    };
    if inputs.iter().all(|(v, _)| v.marker(Id::UnservedVersion).is_some()) {
        diags.push(Diagnostic::error(
            first_loc.clone(),
            format!("every version of {kind} is unserved"),
        ));
    }

    let mut versions = Vec::new();
    for (i, (v, schema)) in inputs.iter().enumerate() {
        if let Some(m) = v.marker(Id::DeprecatedVersion)
            && let Some(w) = m.str("warning")
            && let Err(e) = checks::deprecation_warning(w)
        {
            diags.push(m.error(e));
        }
        check_schema_for(schema, kube_version.minor(), diags);
        if v.marker(Id::SubresourceStatus).is_some() {
            check_status_subresource_root(schema, diags);
        }
        versions.push(version_object(v, schema, i == storage, diags));
    }

    // CRD metadata: the kgen annotation plus +kubebuilder:metadata.
    let mut annotations = Map::new();
    annotations.insert(VERSION_ANNOTATION.into(), json!(env!("CARGO_PKG_VERSION")));
    let mut labels = Map::new();
    for (v, _) in &inputs {
        if let Some(m) = v.marker(Id::Metadata) {
            for (arg, into) in [("annotations", &mut annotations), ("labels", &mut labels)] {
                for pair in m.strings(arg) {
                    match pair.split_once('=') {
                        Some((k, val)) if !k.is_empty() => {
                            let checked = checks::qualified_name(k).and_then(|()| {
                                if arg == "labels" {
                                    checks::label_value(val)
                                } else {
                                    Ok(())
                                }
                            });
                            if let Err(e) = checked {
                                diags.push(m.error(format!("+kubebuilder:metadata {arg}: {e}")));
                            }
                            into.insert(k.to_string(), json!(val));
                        }
                        _ => diags.push(m.error(format!("{arg} entry `{pair}` must be key=value"))),
                    }
                }
            }
        }
    }
    let mut metadata = Map::new();
    if let Err(e) = checks::annotations_size(annotations.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))) {
        diags.push(Diagnostic::error(first_loc.clone(), format!("CRD of {kind}: {e}")));
    }
    if checks::is_protected_group(group) {
        match annotations.get("api-approved.kubernetes.io").and_then(Value::as_str) {
            Some(v) => {
                if let Err(e) = checks::api_approval(v) {
                    diags.push(Diagnostic::error(first_loc.clone(), e));
                }
            }
            None => diags.push(
                Diagnostic::error(
                    first_loc.clone(),
                    format!(
                        "group {group} is protected: the API server requires the annotation api-approved.kubernetes.io"
                    ),
                )
                .with_help(
                    "use your own domain as the group, or add +kubebuilder:metadata:annotations=\"api-approved.kubernetes.io=<API review URL>\"",
                ),
            ),
        }
    }
    metadata.insert("name".into(), json!(format!("{plural}.{group}")));
    metadata.insert("annotations".into(), Value::Object(annotations));
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels));
    }

    let mut names = Map::new();
    names.insert("kind".into(), json!(kind));
    names.insert("listKind".into(), json!(format!("{kind}List")));
    names.insert("plural".into(), json!(plural));
    names.insert("singular".into(), json!(singular));
    if !short_names.is_empty() {
        names.insert("shortNames".into(), json!(short_names));
    }
    if !categories.is_empty() {
        names.insert("categories".into(), json!(categories));
    }
    let mut spec = json!({
        "group": group,
        "names": names,
        "scope": scope,
        "versions": versions,
    });
    if let Some(c) = conversion::spec_conversion(kind, inputs.len(), conversion, &first_loc, diags) {
        spec["conversion"] = c;
    }
    let value = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": metadata,
        "spec": spec,
    });
    Some(Crd {
        group: group.to_string(),
        kind: kind.to_string(),
        plural,
        value,
        location: inputs[storage].0.location.clone(),
    })
}

fn version_object(v: &VersionInput, schema: &Schema, storage: bool, diags: &mut Diagnostics) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(v.version));
    out.insert("served".into(), json!(v.marker(Id::UnservedVersion).is_none()));
    out.insert("storage".into(), json!(storage));
    if let Some(m) = v.marker(Id::DeprecatedVersion) {
        out.insert("deprecated".into(), json!(true));
        if let Some(w) = m.str("warning") {
            out.insert("deprecationWarning".into(), json!(w));
        }
    }
    out.insert("schema".into(), json!({ "openAPIV3Schema": schema.to_json() }));

    let mut subresources = Map::new();
    if let Some(m) = v.marker(Id::SubresourceStatus) {
        // The API server and controller-gen accept it; /status writes then store nothing.
        if !schema.properties.contains_key("status") {
            diags.push(
                Diagnostic::warning(
                    m.location.clone(),
                    format!(
                        "+kubebuilder:subresource:status on {}, which has no `status` field: the API server \
                         prunes whatever a /status write sends",
                        v.kind.name
                    ),
                )
                .with_help("add `pub status: Option<...Status>`, or drop the marker"),
            );
        }
        subresources.insert("status".into(), json!({}));
    }
    if let Some(m) = v.marker(Id::SubresourceScale) {
        let mut scale = Map::new();
        for (arg, key, prefix, integer) in [
            ("specpath", "specReplicasPath", ".spec.", true),
            ("statuspath", "statusReplicasPath", ".status.", true),
            ("selectorpath", "labelSelectorPath", ".status.", false),
        ] {
            let Some(path) = m.str(arg) else { continue };
            if !path.starts_with(prefix) {
                diags.push(m.error(format!("scale {arg} `{path}` must start with `{prefix}`")));
            } else {
                match resolve_json_path(schema, path) {
                    Ok(node) if integer && node.ty() != Some("integer") => {
                        diags.push(m.error(format!("scale {arg} `{path}` must point at an integer field")))
                    }
                    Ok(node) if !integer && node.ty() != Some("string") => {
                        diags.push(m.error(format!("scale {arg} `{path}` must point at a string field")))
                    }
                    Ok(_) => {}
                    Err(e) => diags.push(m.error(format!("scale {arg}: {e}"))),
                }
            }
            scale.insert(key.into(), json!(path));
        }
        subresources.insert("scale".into(), Value::Object(scale));
    }
    if !subresources.is_empty() {
        out.insert("subresources".into(), Value::Object(subresources));
    }

    let mut columns = Vec::new();
    for m in v.markers_of(Id::PrintColumn) {
        let path = m.str("JSONPath").unwrap_or_default();
        if !path.starts_with('.') {
            // The API server takes no `$` and no `{...}` here: `$.spec.x` and `{.spec.x}` are refused.
            diags.push(
                m.error(format!(
                    "printcolumn `{}`: JSONPath `{path}` must be a simple json path starting with .",
                    m.str("name").unwrap_or_default()
                ))
                .with_help("write it as `.spec.field` (no `$`, no braces)"),
            );
        } else if let Err(e) = resolve_json_path(schema, path) {
            diags.push(m.error(format!(
                "printcolumn `{}`: JSONPath `{path}`: {e}",
                m.str("name").unwrap_or_default()
            )));
        }
        let mut c = Map::new();
        c.insert("name".into(), json!(m.str("name")));
        c.insert("type".into(), json!(m.str("type")));
        c.insert("jsonPath".into(), json!(path));
        for k in ["description", "format"] {
            if let Some(x) = m.str(k) {
                c.insert(k.into(), json!(x));
            }
        }
        if let Some(p) = m.arg("priority") {
            if p.as_i64().is_none_or(|p| !(0..=i32::MAX as i64).contains(&p)) {
                diags.push(m.error(format!("printcolumn priority {p} must be a non-negative int32")));
            }
            c.insert("priority".into(), p.clone());
        }
        columns.push(Value::Object(c));
    }
    if !columns.is_empty() {
        out.insert("additionalPrinterColumns".into(), Value::Array(columns));
    }

    let mut selectable = Vec::new();
    for m in v.markers_of(Id::SelectableField) {
        let path = m.str("JSONPath").unwrap_or_default();
        if !path.starts_with('.') {
            diags.push(m.error(format!(
                "selectable field `{path}`: expected [ or . but got: {}",
                path.chars().next().map(String::from).unwrap_or_default()
            )));
            continue;
        }
        match resolve_json_path(schema, path) {
            Ok(node) if !matches!(node.ty(), Some("string" | "integer" | "boolean")) => diags.push(m.error(format!(
                "selectable field `{path}` must be a string, integer or boolean field"
            ))),
            Ok(_) if path.contains('[') => {
                diags.push(m.error(format!("selectable field `{path}` must not go through a list")))
            }
            Ok(_) => {}
            Err(e) => diags.push(m.error(format!("selectable field: {e}"))),
        }
        selectable.push(json!({ "jsonPath": path }));
    }
    if selectable.len() > 8 {
        diags.push(Diagnostic::error(
            v.location.clone(),
            format!(
                "{} has {} selectable fields; the API server allows 8",
                v.kind.name,
                selectable.len()
            ),
        ));
    }
    if !selectable.is_empty() {
        out.insert("selectableFields".into(), Value::Array(selectable));
    }
    Value::Object(out)
}

fn is_resource_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
