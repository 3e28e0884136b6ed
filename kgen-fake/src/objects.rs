//! Object lifecycle semantics: get, list, create, update, patch, delete, delete collection, and
//! the status and scale subresources.
//!
//! * Every write gets the next value of one global resourceVersion counter; a write that changes
//!   nothing (apart from `managedFields`) is not a write: no new resourceVersion, no event.
//! * Creates fill `uid`, `creationTimestamp`, `generation` (1, for kinds that have one), honour
//!   `generateName`, and fail with 409 AlreadyExists on a duplicate.
//! * Updates with a stale `metadata.resourceVersion` fail with 409 Conflict; custom resources
//!   require it on PUT (422 otherwise), built-in kinds accept unconditional updates.
//! * `generation` is bumped when `spec` changes (built-in kinds) or anything but `metadata` and
//!   `status` changes (custom resources); also when deletion starts.
//! * With a status subresource, writes to the main resource keep the stored `status` (creates
//!   drop it), and writes to `/status` change only `status`.
//! * Deleting an object with finalizers sets `deletionTimestamp` (once) and keeps it; removing the
//!   last finalizer then deletes it. No finalizer can be added while it is being deleted.
//! * Deleting adds the `orphan` or `foregroundDeletion` finalizer the propagation asks for;
//!   dependents, and the content of a deleted (`Terminating`) namespace, are the business of the
//!   garbage collector and namespace controller of [`super::gc`], after the response. Creates
//!   in a terminating namespace are forbidden, in a missing one not found.
//! * Request bodies of custom resources must carry their `kind` and `apiVersion`.

use super::admission::Attrs;
use super::apply::{Conflict, apply, restrict};
use super::conversion::Direction;
use super::fields::{Part, track_update};
use super::gc::{FOREGROUND, NAMESPACE_FINALIZER, ORPHAN, being_deleted, is_namespace};
use super::meta::{
    finalizers_of, get_path, meta_mut, meta_str, name_of, namespace_of, now_rfc3339, random_suffix, set_path, uid_of,
};
use super::patch::{PatchKind, json_patch, merge_patch, parse_json, parse_yaml};
use super::resources::DeletePropagation;
use super::resources::{GenerationPolicy, ResourceDef, VersionDef, from_crd};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiResult, FieldError, MODIFIED, already_exists, conflict, deleted, error, invalid, not_found};
use super::store::{ObjKey, State};
use super::validation::{FieldValidation, admit, decode, name_errors};
use kube::core::response::{StatusCause, StatusDetails};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A request on a resource path.
pub(crate) struct Req {
    /// `get`, `list`, `create`, `update`, `patch`, `delete`, `deletecollection`, or `insert`
    /// for objects pre-loaded by [`super::FakeApiServer::insert`] (which skip admission).
    pub verb: &'static str,
    pub def: Arc<ResourceDef>,
    pub version: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub query: HashMap<String, String>,
    /// The field manager of writes: `fieldManager`, else derived from the user agent.
    pub manager: String,
    /// Whether the client asked for `PartialObjectMetadata` views.
    pub meta_only: bool,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    fn dry_run(&self) -> bool {
        self.q("dryRun") == Some("All")
    }

    fn field_validation(&self) -> FieldValidation {
        FieldValidation::from_query(self.q("fieldValidation"))
    }

    fn vdef(&self) -> &VersionDef {
        self.def.version(&self.version).expect("served version")
    }

    fn api_version(&self) -> String {
        self.def.api_version(&self.version)
    }

    /// Whether this request writes (conversion failures are then internal errors).
    fn direction(&self, write: bool) -> Direction {
        if write { Direction::Write } else { Direction::Read }
    }

    fn key(&self, name: &str) -> ObjKey {
        (self.namespace.clone().unwrap_or_default(), name.to_string())
    }

    /// The part of the object this request writes.
    fn part(&self) -> Part {
        match self.subresource.as_deref() {
            Some("status") => Part::Status,
            _ if self.vdef().status => Part::Main,
            _ => Part::All,
        }
    }
}

/// A successful answer: HTTP code, body, `Warning` headers.
pub(crate) struct Reply {
    pub code: u16,
    pub body: Value,
    pub warnings: Vec<String>,
}

impl Reply {
    fn ok(code: u16, body: Value) -> Self {
        Reply {
            code,
            body,
            warnings: Vec::new(),
        }
    }
}

/// How `managedFields` are maintained by a write.
enum Managed<'a> {
    /// Record an `Update` by this manager.
    Update(&'a str),
    /// Already computed (server-side apply).
    Keep,
    /// Not touched (pre-loaded objects).
    Untouched,
}

/// `obj` as served at `version`: `apiVersion` and `kind` set.
pub(crate) fn served(def: &ResourceDef, version: &str, obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Value::Object(m) = &mut o {
        m.insert("apiVersion".into(), json!(def.api_version(version)));
        m.insert("kind".into(), json!(def.kind));
    }
    o
}

/// The `PartialObjectMetadata` (or `PartialObjectMetadataList`) view of a reply body, for
/// `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`. Statuses pass through.
pub(crate) fn partial_metadata(v: &Value) -> Value {
    let one = |o: &Value| {
        json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadata",
            "metadata": o.get("metadata").cloned().unwrap_or_else(|| json!({})),
        })
    };
    match v.get("kind").and_then(Value::as_str) {
        Some("Status") => v.clone(),
        Some(k) if k.ends_with("List") && v.get("items").is_some() => json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadataList",
            "metadata": v.get("metadata").cloned().unwrap_or_else(|| json!({})),
            "items": v["items"].as_array().map(|a| a.iter().map(one).collect::<Vec<_>>()).unwrap_or_default(),
        }),
        _ => one(v),
    }
}

/// Checks (and fills in) `apiVersion` and `kind` of a request body.
fn check_type_meta(def: &ResourceDef, version: &str, obj: &mut Value) -> ApiResult<()> {
    let expected = def.api_version(version);
    let Value::Object(m) = obj else {
        return Err(error(400, "the request body must be a JSON object"));
    };
    match m.get("apiVersion").and_then(Value::as_str) {
        Some(av) if !av.is_empty() && av != expected => {
            return Err(error(
                400,
                format!("the API version in the data ({av}) does not match the expected API version ({expected})"),
            ));
        }
        _ => {}
    }
    match m.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() && k != def.kind => {
            return Err(error(
                400,
                format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    def.kind
                ),
            ));
        }
        _ => {}
    }
    m.insert("apiVersion".into(), json!(expected));
    m.insert("kind".into(), json!(def.kind));
    Ok(())
}

/// The API server's short form of a request body in decoding errors (`summarizeData`).
fn summarize(body: &[u8]) -> String {
    const MAX: usize = 30;
    match body.first() {
        None => "<empty>".into(),
        Some(b'{') if body.len() > MAX => format!("{} ...", String::from_utf8_lossy(&body[..MAX])),
        Some(b'{') => String::from_utf8_lossy(body).into_owned(),
        Some(_) if body.len() > MAX => format!("{} ...", hex(&body[..MAX])),
        Some(_) => hex(body),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `(group, version)` of an `apiVersion` as Go's `ParseGroupVersion` reads it (empty on error).
fn parse_group_version(av: &str) -> (String, String) {
    match av.matches('/').count() {
        _ if av.is_empty() || av == "/" => (String::new(), String::new()),
        0 => (String::new(), av.to_string()),
        1 => {
            let (g, v) = av.split_once('/').expect("one slash");
            (g.to_string(), v.to_string())
        }
        _ => (String::new(), String::new()),
    }
}

/// The Go package a built-in kind's internal type lives in (for conversion errors).
fn internal_package(def: &ResourceDef) -> &str {
    match def.group.as_str() {
        "" | "events.k8s.io" => "core",
        g => g.split('.').next().unwrap_or(g),
    }
}

impl State {
    /// Checks `apiVersion` and `kind` of a create or update (PUT) body as the API server decodes
    /// it: built-in kinds default missing ones from the URL; custom resources must have a `kind`
    /// (400 `Object 'Kind' is missing in '...'`) and the URL's `apiVersion` (400), and a
    /// different `kind` is a 422 on `kind`.
    fn check_body_type_meta(&self, def: &ResourceDef, version: &str, obj: &Value, raw: &[u8]) -> ApiResult<()> {
        if !self.strict_type_meta || !obj.is_object() {
            return Ok(());
        }
        let expected = def.api_version(version);
        let text = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (av, kind) = (text("apiVersion"), text("kind"));
        if def.custom {
            if kind.is_empty() {
                return Err(error(
                    400,
                    format!(
                        "the object provided is unrecognized (must be of type {}): Object 'Kind' is missing in '{}' ({})",
                        def.kind,
                        String::from_utf8_lossy(raw),
                        summarize(raw)
                    ),
                ));
            }
            if av != expected {
                return Err(error(
                    400,
                    format!("the API version in the data ({av}) does not match the expected API version ({expected})"),
                ));
            }
            if kind != def.kind {
                let (group, _) = parse_group_version(&av);
                return Err(invalid(
                    &kind,
                    &group,
                    name_of(obj),
                    &[FieldError::new(
                        "FieldValueInvalid",
                        "kind",
                        format!(
                            "Invalid value: {}: must be {}",
                            kgen_schema::api_server::go_quote(&kind),
                            def.kind
                        ),
                    )],
                ));
            }
            return Ok(());
        }
        let av = if av.is_empty() { expected.clone() } else { av };
        let kind = if kind.is_empty() { def.kind.clone() } else { kind };
        let (_, data_version) = parse_group_version(&av);
        if av != expected {
            return Err(error(
                400,
                format!(
                    "{kind} in version {data_version:?} cannot be handled as a {}: no kind {kind:?} is registered for version {av:?} in scheme \"pkg/api/legacyscheme/scheme.go:30\"",
                    def.kind
                ),
            ));
        }
        if kind != def.kind {
            let why = match self.find_kind(&av, &kind) {
                Some(_) => format!(
                    "converting ({data_version}.{kind}) to ({}.{}): unknown conversion",
                    internal_package(def),
                    def.kind
                ),
                None => format!(
                    "no kind {kind:?} is registered for version {av:?} in scheme \"pkg/api/legacyscheme/scheme.go:30\""
                ),
            };
            return Err(error(
                400,
                format!(
                    "{kind} in version {data_version:?} cannot be handled as a {}: {why}",
                    def.kind
                ),
            ));
        }
        Ok(())
    }
}

/// Metadata the server owns: kept from the stored object on every update.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "selfLink",
    "name",
    "namespace",
];

/// The part of an object whose change bumps `generation`.
fn generation_view(policy: GenerationPolicy, obj: &Value) -> Option<Value> {
    match policy {
        GenerationPolicy::None => None,
        GenerationPolicy::Spec => Some(obj.get("spec").cloned().unwrap_or(Value::Null)),
        GenerationPolicy::AllButMetadataAndStatus => {
            let mut o = obj.as_object().cloned().unwrap_or_default();
            for k in ["metadata", "status", "apiVersion", "kind"] {
                o.remove(k);
            }
            Some(Value::Object(o))
        }
    }
}

/// `obj` without what a no-op write may change: `resourceVersion`, `apiVersion` and the
/// timestamps of `managedFields` (a new owner of unchanged fields is a change, as in the API
/// server).
fn comparable(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Value::Object(m) = &mut o {
        m.remove("apiVersion");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.remove("resourceVersion");
            if let Some(Value::Array(entries)) = meta.get_mut("managedFields") {
                for e in entries.iter_mut() {
                    if let Value::Object(e) = e {
                        e.remove("time");
                    }
                }
            }
        }
    }
    o
}

fn is_crd(def: &ResourceDef) -> bool {
    def.group == "apiextensions.k8s.io" && def.plural == "customresourcedefinitions"
}

/// A CRD object must describe a valid resource (checked before it is stored).
fn check_crd(obj: &Value) -> ApiResult<ResourceDef> {
    from_crd(obj).map_err(|why| {
        invalid(
            "CustomResourceDefinition",
            "apiextensions.k8s.io",
            name_of(obj),
            &[FieldError::new(
                "FieldValueInvalid",
                "spec",
                format!("Invalid value: {why}"),
            )],
        )
    })
}

/// Continue tokens: `<rv>|<namespace>|<name>`, hex-encoded.
fn encode_continue(rv: u64, key: &ObjKey) -> String {
    format!("{rv}|{}|{}", key.0, key.1)
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Option<(u64, ObjKey)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let mut parts = text.splitn(3, '|');
    let rv = parts.next()?.parse().ok()?;
    let ns = parts.next()?.to_string();
    let name = parts.next()?.to_string();
    Some((rv, (ns, name)))
}

/// A JSON list of `items`.
fn list_of(def: &ResourceDef, version: &str, rv: u64, items: Vec<Value>, cont: Option<(String, usize)>) -> Value {
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(rv.to_string()));
    if let Some((token, remaining)) = cont {
        meta.insert("continue".into(), json!(token));
        meta.insert("remainingItemCount".into(), json!(remaining));
    }
    json!({
        "apiVersion": def.api_version(version),
        "kind": format!("{}List", def.kind),
        "metadata": meta,
        "items": items,
    })
}

/// Parsed `DeleteOptions` (body and query).
#[derive(Default)]
pub(crate) struct DeleteOpts {
    pub propagation: Option<DeletePropagation>,
    /// The deprecated `orphanDependents`.
    pub orphan_dependents: Option<bool>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOpts {
    pub(crate) fn parse(body: &[u8], query: &HashMap<String, String>) -> ApiResult<Self> {
        let v: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            parse_json(body)?
        };
        let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
        let propagation = s("/propagationPolicy").or_else(|| query.get("propagationPolicy").cloned());
        let orphan_dependents = v
            .get("orphanDependents")
            .and_then(Value::as_bool)
            .or_else(|| query.get("orphanDependents").and_then(|o| o.parse().ok()));
        let invalid_options = |e: FieldError| invalid("DeleteOptions", "meta.k8s.io", "", &[e]);
        if let (Some(p), Some(_)) = (&propagation, orphan_dependents) {
            return Err(invalid_options(FieldError::new(
                "FieldValueInvalid",
                "propagationPolicy",
                format!(
                    "Invalid value: {}: orphanDependents and deletionPropagation cannot be both set",
                    kgen_schema::api_server::go_quote(p)
                ),
            )));
        }
        let propagation = match propagation.as_deref() {
            None => None,
            Some("Orphan") => Some(DeletePropagation::Orphan),
            Some("Background") => Some(DeletePropagation::Background),
            Some("Foreground") => Some(DeletePropagation::Foreground),
            Some(p) => {
                return Err(invalid_options(FieldError::new(
                    "FieldValueNotSupported",
                    "propagationPolicy",
                    format!(
                        "Unsupported value: {}: supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                        kgen_schema::api_server::go_quote(p)
                    ),
                )));
            }
        };
        let mut o = DeleteOpts {
            propagation,
            orphan_dependents,
            uid: s("/preconditions/uid"),
            resource_version: s("/preconditions/resourceVersion"),
            dry_run: query.get("dryRun").is_some_and(|d| d == "All"),
        };
        if let Some(Value::Array(d)) = v.get("dryRun") {
            o.dry_run |= d.iter().any(|x| x == "All");
        }
        Ok(o)
    }

    /// The `propagationPolicy` asked for, as sent to admission webhooks.
    fn propagation_name(&self) -> Option<&'static str> {
        self.propagation.map(|p| match p {
            DeletePropagation::Orphan => "Orphan",
            DeletePropagation::Background => "Background",
            DeletePropagation::Foreground => "Foreground",
        })
    }

    /// The propagation of a delete of `obj`, as the API server decides it: the request's
    /// `orphanDependents`, else its `propagationPolicy`, else a garbage-collection finalizer the
    /// object already has, else the kind's default.
    fn resolve(&self, def: &ResourceDef, obj: &Value) -> DeletePropagation {
        if let Some(o) = self.orphan_dependents {
            return if o {
                DeletePropagation::Orphan
            } else {
                DeletePropagation::Background
            };
        }
        if let Some(p) = self.propagation {
            return p;
        }
        for f in finalizers_of(obj) {
            match f.as_str() {
                ORPHAN => return DeletePropagation::Orphan,
                FOREGROUND => return DeletePropagation::Foreground,
                _ => {}
            }
        }
        def.default_propagation
    }
}

impl State {
    fn stored(&self, req: &Req, name: &str) -> ApiResult<Value> {
        self.get(&req.def, &req.key(name))
            .cloned()
            .ok_or_else(|| not_found(&req.def.plural, &req.def.group, name))
    }

    fn namespace_obj(&self, ns: &str) -> Option<&Value> {
        let def = self.find("", "v1", "namespaces")?;
        self.get(&def, &(String::new(), ns.to_string()))
    }

    /// GET of one object.
    pub(crate) fn get_object(&self, req: &Req) -> ApiResult<Reply> {
        let name = req.name.as_deref().unwrap_or("");
        let obj = self.stored(req, name)?;
        let obj = self.at_version(&req.def, &req.version, &obj, Direction::Read)?;
        if req.subresource.as_deref() == Some("scale") {
            return Ok(Reply::ok(200, self.scale_of(req, &obj)?));
        }
        Ok(Reply::ok(200, obj))
    }

    /// Parses the selectors of a list, watch or delete-collection request.
    pub(crate) fn selectors(req: &Req) -> ApiResult<(LabelSelector, FieldSelector)> {
        let labels = LabelSelector::parse(req.q("labelSelector").unwrap_or(""))
            .map_err(|e| error(400, format!("unable to parse requirement: {e}")))?;
        let fields = FieldSelector::parse(req.q("fieldSelector").unwrap_or(""), &req.def.field_paths(&req.version))
            .map_err(|e| error(400, e))?;
        Ok((labels, fields))
    }

    /// The objects a list or delete-collection selects, at the request's version (selectors
    /// apply to the converted objects).
    fn matching(&self, req: &Req, write: bool) -> ApiResult<Vec<(ObjKey, Value)>> {
        let (labels, fields) = Self::selectors(req)?;
        let mut out = Vec::new();
        for (k, o) in self
            .objects(&req.def)
            .filter(|(k, _)| req.namespace.as_ref().is_none_or(|ns| k.0 == *ns))
        {
            let o = self.at_version(&req.def, &req.version, o, req.direction(write))?;
            if labels.matches(&o) && fields.matches(&o) {
                out.push((k.clone(), o));
            }
        }
        Ok(out)
    }

    /// LIST, with selectors and `limit`/`continue` pagination. Later pages show the objects as
    /// they are when the page is read (no snapshot at the first page's resourceVersion).
    pub(crate) fn list_objects(&self, req: &Req) -> ApiResult<Reply> {
        let all = self.matching(req, false)?;
        let (rv, after) = match req.q("continue").filter(|c| !c.is_empty()) {
            Some(c) => {
                let (rv, key) = decode_continue(c).ok_or_else(|| error(400, "invalid continue token"))?;
                (rv, Some(key))
            }
            None => (self.rv, None),
        };
        let rest: Vec<(ObjKey, Value)> = all
            .into_iter()
            .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
            .collect();
        let limit = req
            .q("limit")
            .map(|l| {
                l.parse::<usize>()
                    .map_err(|_| error(400, format!("invalid limit {l:?}")))
            })
            .transpose()?
            .filter(|l| *l > 0);
        let (page, cont) = match limit {
            Some(l) if rest.len() > l => {
                let token = encode_continue(rv, &rest[l - 1].0);
                (&rest[..l], Some((token, rest.len() - l)))
            }
            _ => (&rest[..], None),
        };
        let items = page.iter().map(|(_, o)| o.clone()).collect();
        Ok(Reply::ok(200, list_of(&req.def, &req.version, rv, items, cont)))
    }

    /// Checks the namespace of a namespaced create, as the `NamespaceLifecycle` admission
    /// plugin does (before validation): 404 for a namespace that does not exist, 403 for one
    /// being terminated.
    fn check_namespace(&self, def: &ResourceDef, ns: &str, name: &str) -> ApiResult<()> {
        match self.namespace_obj(ns) {
            Some(n) if meta_str(n, "deletionTimestamp").is_some() => {
                let what = super::status::qualified(&def.plural, &def.group);
                let subject = if name.is_empty() {
                    what
                } else {
                    format!("{what} {name:?}")
                };
                let mut e = error(
                    403,
                    format!(
                        "{subject} is forbidden: unable to create new content in namespace {ns} because it is being terminated"
                    ),
                );
                e.details = Some(StatusDetails {
                    name: name.to_string(),
                    group: def.group.clone(),
                    kind: def.plural.clone(),
                    uid: String::new(),
                    causes: Vec::new(),
                    retry_after_seconds: 0,
                });
                Err(e)
            }
            None if self.strict_namespaces => Err(not_found("namespaces", "", ns)),
            _ => Ok(()),
        }
    }

    /// POST: creates an object from a request body.
    pub(crate) fn create(&mut self, req: &Req, body: &[u8]) -> ApiResult<Reply> {
        let obj = parse_json(body)?;
        self.check_body_type_meta(&req.def, &req.version, &obj, body)?;
        let manager = req.manager.clone();
        self.create_object(req, obj, Managed::Update(&manager), true)
    }

    /// Pre-loads an object (no status reset, no field management).
    pub(crate) fn insert(&mut self, req: &Req, obj: Value) -> ApiResult<Value> {
        self.create_object(req, obj, Managed::Untouched, false).map(|r| r.body)
    }

    fn create_object(
        &mut self,
        req: &Req,
        mut obj: Value,
        managed: Managed<'_>,
        reset_status: bool,
    ) -> ApiResult<Reply> {
        let def = req.def.clone();
        check_type_meta(&def, &req.version, &mut obj)?;
        let ns = req.namespace.clone().unwrap_or_default();
        {
            let meta = meta_mut(&mut obj);
            if meta
                .get("resourceVersion")
                .and_then(Value::as_str)
                .is_some_and(|rv| !rv.is_empty())
            {
                return Err(error(400, "resourceVersion should not be set on objects to be created"));
            }
            if def.namespaced {
                match meta.get("namespace").and_then(Value::as_str) {
                    Some(n) if !n.is_empty() && n != ns => {
                        return Err(error(
                            400,
                            "the namespace of the provided object does not match the namespace sent on the request",
                        ));
                    }
                    _ => {
                        meta.insert("namespace".into(), json!(ns));
                    }
                }
            } else {
                meta.remove("namespace");
            }
            for k in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "selfLink",
            ] {
                meta.remove(k);
            }
            if matches!(managed, Managed::Update(_)) {
                meta.remove("managedFields");
            }
        }
        if def.namespaced {
            self.check_namespace(&def, &ns, name_of(&obj))?;
        }
        // The mutating webhooks, after NamespaceLifecycle and before the name is generated, on
        // the object as decoded (pruned and defaulted).
        let mut admission_warnings = Vec::new();
        if !self.webhooks.is_empty() && req.verb != "insert" {
            admission_warnings = decode(&def, req.vdef(), &mut obj, req.field_validation())?;
            let mut slot = Some(obj);
            let name = slot.as_ref().map(|o| name_of(o).to_string()).unwrap_or_default();
            admission_warnings.extend(self.mutating_admission(&Attrs::write(req, "CREATE", &name), &mut slot, None)?);
            obj = slot.unwrap_or_default();
        }
        let mut meta_errors = Vec::new();
        if name_of(&obj).is_empty() {
            match meta_str(&obj, "generateName").map(str::to_string) {
                Some(prefix) => {
                    let mut name = format!("{prefix}{}", random_suffix());
                    while self.get(&def, &(ns.clone(), name.clone())).is_some() {
                        name = format!("{prefix}{}", random_suffix());
                    }
                    meta_mut(&mut obj).insert("name".into(), json!(name));
                }
                None => meta_errors.push(FieldError::new(
                    "FieldValueRequired",
                    "metadata.name",
                    "Required value: name or generateName is required",
                )),
            }
        }
        if let Some(n) = &req.name
            && n != name_of(&obj)
        {
            return Err(error(
                400,
                format!(
                    "the name of the object ({}) does not match the name on the URL ({n})",
                    name_of(&obj)
                ),
            ));
        }
        if meta_errors.is_empty() {
            meta_errors = name_errors(&obj);
        }
        if reset_status
            && req.vdef().status
            && let Value::Object(m) = &mut obj
        {
            m.remove("status");
        }
        if is_namespace(&def) {
            // As the namespace strategy: a new namespace is Active and has the `kubernetes`
            // finalizer.
            set_path(&mut obj, "status.phase", json!("Active"));
            let mut finalizers: Vec<Value> = obj
                .pointer("/spec/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !finalizers.iter().any(|f| f == NAMESPACE_FINALIZER) {
                finalizers.push(json!(NAMESPACE_FINALIZER));
            }
            set_path(&mut obj, "spec.finalizers", json!(finalizers));
        }
        let mut warnings = admit(&def, req.vdef(), &mut obj, None, req.field_validation(), meta_errors)?;
        let crd = if is_crd(&def) { Some(check_crd(&obj)?) } else { None };
        admission_warnings.extend(self.validating_admission(
            &Attrs::write(req, "CREATE", name_of(&obj)),
            Some(&obj),
            None,
        )?);
        warnings.extend(admission_warnings);
        let name = name_of(&obj).to_string();
        let key = (if def.namespaced { ns } else { String::new() }, name.clone());
        if self.get(&def, &key).is_some() {
            return Err(already_exists(&def.plural, &def.group, &name));
        }
        let now = now_rfc3339();
        {
            let meta = meta_mut(&mut obj);
            meta.insert("uid".into(), json!(super::meta::new_uid()));
            meta.insert("creationTimestamp".into(), json!(now));
            if def.generation != GenerationPolicy::None {
                meta.insert("generation".into(), json!(1));
            }
        }
        if let Managed::Update(manager) = managed {
            track_update(
                None,
                &mut obj,
                req.vdef().schema.as_ref(),
                Part::All,
                manager,
                &req.api_version(),
                "",
                &now,
            );
        }
        // As the storage: converted to the storage version (a dry run too), and the response
        // converted back from it.
        let stored = self.storage_form(&def, &obj)?;
        if req.dry_run() {
            return Ok(Reply {
                code: 201,
                body: self.at_version(&def, &req.version, &stored, Direction::Write)?,
                warnings,
            });
        }
        let stored = self.put(&def, key, stored);
        if let Some(crd) = crd {
            self.register(crd);
        }
        Ok(Reply {
            code: 201,
            body: self.at_version(&def, &req.version, &stored, Direction::Write)?,
            warnings,
        })
    }

    /// PUT of the main resource or `/status`.
    pub(crate) fn update(&mut self, req: &Req, body: &[u8]) -> ApiResult<Reply> {
        let name = req.name.clone().unwrap_or_default();
        let new = parse_json(body)?;
        if req.subresource.as_deref() == Some("scale") {
            return self.update_scale(req, &name, new);
        }
        self.check_body_type_meta(&req.def, &req.version, &new, body)?;
        let old = self.stored(req, &name)?;
        let manager = req.manager.clone();
        let sub = req.subresource.clone().unwrap_or_default();
        self.update_object(req, &name, old, new, req.part(), Managed::Update(&manager), &sub, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn update_object(
        &mut self,
        req: &Req,
        name: &str,
        old: Value,
        mut new: Value,
        part: Part,
        managed: Managed<'_>,
        subresource: &str,
        is_put: bool,
    ) -> ApiResult<Reply> {
        let def = req.def.clone();
        check_type_meta(&def, &req.version, &mut new)?;
        if let Some(n) = meta_str(&new, "name")
            && n != name
        {
            return Err(error(
                400,
                format!("the name of the object ({n}) does not match the name on the URL ({name})"),
            ));
        }
        if def.namespaced
            && let Some(n) = meta_str(&new, "namespace")
            && !n.is_empty()
            && n != namespace_of(&old)
        {
            return Err(error(
                400,
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        match meta_str(&new, "resourceVersion").filter(|rv| !rv.is_empty()) {
            Some(rv) if Some(rv) != meta_str(&old, "resourceVersion") => {
                return Err(conflict(&def.plural, &def.group, name, MODIFIED));
            }
            None if is_put && !def.unconditional_update => {
                return Err(invalid(
                    &def.kind,
                    &def.group,
                    name,
                    &[FieldError::new(
                        "FieldValueInvalid",
                        "metadata.resourceVersion",
                        "Invalid value: 0x0: must be specified for an update",
                    )],
                ));
            }
            _ => {}
        }

        let old_served = self.at_version(&def, &req.version, &old, Direction::Write)?;
        // The mutating webhooks see the object as the request gives it (decoded: pruned and
        // defaulted), before the strategy keeps the stored status or spec.
        let admitted = !self.webhooks.is_empty() && req.verb != "insert" && subresource != "scale";
        let mut admission_warnings = Vec::new();
        if admitted {
            admission_warnings = decode(&def, req.vdef(), &mut new, req.field_validation())?;
            let mut slot = Some(new);
            admission_warnings.extend(self.mutating_admission(
                &Attrs::write(req, "UPDATE", name),
                &mut slot,
                Some(&old_served),
            )?);
            new = slot.unwrap_or_default();
            if !new.is_object() {
                return Err(error(400, "a mutating webhook removed the object"));
            }
        }
        let mut result = match part {
            Part::Status => {
                let mut r = old_served.clone();
                let m = r.as_object_mut().expect("object");
                match new.get("status") {
                    Some(s) => {
                        m.insert("status".into(), s.clone());
                    }
                    None => {
                        m.remove("status");
                    }
                }
                if matches!(managed, Managed::Keep)
                    && let Some(mf) = new.get("metadata").and_then(|x| x.get("managedFields"))
                {
                    meta_mut(&mut r).insert("managedFields".into(), mf.clone());
                }
                r
            }
            Part::Main => {
                let m = new.as_object_mut().expect("object");
                match old_served.get("status") {
                    Some(s) => {
                        m.insert("status".into(), s.clone());
                    }
                    None => {
                        m.remove("status");
                    }
                }
                new
            }
            Part::All => new,
        };
        {
            let old_meta = old
                .get("metadata")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let meta = meta_mut(&mut result);
            for k in SERVER_METADATA {
                match old_meta.get(*k) {
                    Some(v) => {
                        meta.insert(k.to_string(), v.clone());
                    }
                    None => {
                        meta.remove(*k);
                    }
                }
            }
            if !matches!(managed, Managed::Keep) {
                match old_meta.get("managedFields") {
                    Some(v) => {
                        meta.insert("managedFields".into(), v.clone());
                    }
                    None => {
                        meta.remove("managedFields");
                    }
                }
            }
        }
        if meta_str(&old, "deletionTimestamp").is_some() {
            let before: BTreeSet<String> = finalizers_of(&old).into_iter().collect();
            let added: Vec<String> = finalizers_of(&result)
                .into_iter()
                .filter(|f| !before.contains(f))
                .collect();
            if !added.is_empty() {
                return Err(invalid(
                    &def.kind,
                    &def.group,
                    name,
                    &[FieldError::new(
                        "FieldValueForbidden",
                        "metadata.finalizers",
                        format!(
                            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
                        ),
                    )],
                ));
            }
        }
        let mut warnings = admit(
            &def,
            req.vdef(),
            &mut result,
            Some(&old_served),
            req.field_validation(),
            Vec::new(),
        )?;
        let crd = if is_crd(&def) { Some(check_crd(&result)?) } else { None };
        if admitted {
            admission_warnings.extend(self.validating_admission(
                &Attrs::write(req, "UPDATE", name),
                Some(&result),
                Some(&old_served),
            )?);
        }
        warnings.extend(admission_warnings);
        if let (Some(a), Some(b)) = (
            generation_view(def.generation, &old_served),
            generation_view(def.generation, &result),
        ) && a != b
        {
            let g = old
                .get("metadata")
                .and_then(|m| m.get("generation"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            meta_mut(&mut result).insert("generation".into(), json!(g + 1));
        }
        let now = now_rfc3339();
        if let Managed::Update(manager) = managed {
            track_update(
                Some(&old_served),
                &mut result,
                req.vdef().schema.as_ref(),
                part,
                manager,
                &req.api_version(),
                subresource,
                &now,
            );
        }
        if comparable(&result) == comparable(&old_served) {
            return Ok(Reply {
                code: 200,
                body: old_served,
                warnings,
            });
        }
        let stored = self.storage_form(&def, &result)?;
        if req.dry_run() {
            return Ok(Reply {
                code: 200,
                body: self.at_version(&def, &req.version, &stored, Direction::Write)?,
                warnings,
            });
        }
        let key = (namespace_of(&old).to_string(), name.to_string());
        if meta_str(&result, "deletionTimestamp").is_some()
            && finalizers_of(&result).is_empty()
            && self.may_go(&def, &result)
        {
            // As the API server: no write of the emptied object; it is deleted as stored.
            let gone = self.finish_removal(&def, &key).unwrap_or(stored);
            return Ok(Reply {
                code: 200,
                body: self.at_version(&def, &req.version, &gone, Direction::Write)?,
                warnings,
            });
        }
        let stored = self.put(&def, key, stored);
        if let Some(crd) = crd {
            self.register(crd);
        }
        Ok(Reply {
            code: 200,
            body: self.at_version(&def, &req.version, &stored, Direction::Write)?,
            warnings,
        })
    }

    /// PATCH of the main resource, `/status` or `/scale`.
    pub(crate) fn patch(&mut self, req: &Req, kind: PatchKind, body: &[u8]) -> ApiResult<Reply> {
        let def = req.def.clone();
        let name = req.name.clone().unwrap_or_default();
        if kind == PatchKind::Strategic && def.custom {
            return Err(error(
                415,
                "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ));
        }
        let sub = req.subresource.clone().unwrap_or_default();
        if sub == "scale" {
            let old = self.stored(req, &name)?;
            let old = self.at_version(&def, &req.version, &old, Direction::Write)?;
            let mut scale = self.scale_of(req, &old)?;
            match kind {
                PatchKind::Json => json_patch(&mut scale, &parse_json(body)?)?,
                PatchKind::Apply => merge_patch(&mut scale, &parse_yaml(body)?),
                _ => merge_patch(&mut scale, &parse_json(body)?),
            }
            return self.update_scale(req, &name, scale);
        }
        let part = req.part();
        let old = self.get(&def, &req.key(&name)).cloned();
        if kind == PatchKind::Apply {
            return self.apply_patch(req, &name, old, part, body);
        }
        let Some(old) = old else {
            return Err(not_found(&def.plural, &def.group, &name));
        };
        // As the API server: the patch applies to the object at the request's version.
        let mut doc = self.at_version(&def, &req.version, &old, Direction::Write)?;
        match kind {
            PatchKind::Json => json_patch(&mut doc, &parse_json(body)?)?,
            _ => {
                let p = parse_json(body)?;
                if !p.is_object() {
                    return Err(error(400, "a merge patch must be a JSON object"));
                }
                merge_patch(&mut doc, &p)
            }
        }
        if self.strict_type_meta && def.custom {
            self.check_patched_type_meta(&def, &req.version, &doc)?;
        }
        let manager = req.manager.clone();
        self.update_object(req, &name, old, doc, part, Managed::Update(&manager), &sub, false)
    }

    /// A patch that changes the `kind` or `apiVersion` of a custom resource: a 422, as the
    /// custom resource strategy's type check reports it.
    fn check_patched_type_meta(&self, def: &ResourceDef, version: &str, doc: &Value) -> ApiResult<()> {
        let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (av, kind) = (text("apiVersion"), text("kind"));
        let expected = def.api_version(version);
        let q = kgen_schema::api_server::go_quote;
        let mut errors = Vec::new();
        if kind != def.kind {
            errors.push(FieldError::new(
                "FieldValueInvalid",
                "kind",
                format!("Invalid value: {}: must be {}", q(&kind), def.kind),
            ));
        }
        if av != expected {
            errors.push(FieldError::new(
                "FieldValueInvalid",
                "apiVersion",
                format!("Invalid value: {}: must be {expected}", q(&av)),
            ));
        }
        if errors.is_empty() {
            return Ok(());
        }
        let (group, _) = parse_group_version(&av);
        Err(invalid(&kind, &group, name_of(doc), &errors))
    }

    fn apply_patch(&mut self, req: &Req, name: &str, old: Option<Value>, part: Part, body: &[u8]) -> ApiResult<Reply> {
        let def = req.def.clone();
        let Some(manager) = req.q("fieldManager").filter(|m| !m.is_empty()).map(str::to_string) else {
            return Err(error(400, "PATCH /apply requires fieldManager to be set"));
        };
        let mut applied = parse_yaml(body)?;
        if !applied.is_object() {
            return Err(error(400, "an apply configuration must be an object"));
        }
        if self.strict_type_meta {
            // As the API server's field manager: the applied object must be of the URL's group,
            // version and kind.
            let text = |k: &str| applied.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let (group, version) = parse_group_version(&text("apiVersion"));
            let kind = text("kind");
            if (group.as_str(), version.as_str(), kind.as_str())
                != (def.group.as_str(), req.version.as_str(), def.kind.as_str())
            {
                return Err(error(
                    400,
                    format!("invalid object type: {group}/{version}, Kind={kind}"),
                ));
            }
        } else {
            for k in ["apiVersion", "kind"] {
                if applied.get(k).and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(error(400, format!("{k} must be set in an apply configuration")));
                }
            }
        }
        check_type_meta(&def, &req.version, &mut applied)?;
        if meta_str(&applied, "name").is_some_and(|n| n != name) {
            return Err(error(
                400,
                format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    name_of(&applied)
                ),
            ));
        }
        meta_mut(&mut applied).insert("name".into(), json!(name));
        meta_mut(&mut applied).remove("managedFields");
        let applied = restrict(&applied, part);
        let force = req.q("force") == Some("true");
        let schema = req.vdef().schema.as_ref();
        let sub = req.subresource.clone().unwrap_or_default();
        let now = now_rfc3339();
        match old {
            None => {
                if part == Part::Status {
                    return Err(not_found(&def.plural, &def.group, name));
                }
                let merged = apply(
                    None,
                    &applied,
                    schema,
                    part,
                    &manager,
                    force,
                    &req.api_version(),
                    &sub,
                    &now,
                )
                .map_err(|c| self.conflicts(&def, name, &c))?;
                self.create_object(req, merged.object, Managed::Keep, true)
            }
            Some(old) => {
                if let Some(rv) = meta_str(&applied, "resourceVersion")
                    && Some(rv) != meta_str(&old, "resourceVersion")
                {
                    return Err(conflict(&def.plural, &def.group, name, MODIFIED));
                }
                let live = self.at_version(&def, &req.version, &old, Direction::Write)?;
                let merged = apply(
                    Some(&live),
                    &applied,
                    schema,
                    part,
                    &manager,
                    force,
                    &req.api_version(),
                    &sub,
                    &now,
                )
                .map_err(|c| self.conflicts(&def, name, &c))?;
                self.update_object(req, name, old, merged.object, part, Managed::Keep, &sub, false)
            }
        }
    }

    fn conflicts(&self, def: &ResourceDef, name: &str, c: &[Conflict]) -> Box<kube::core::Status> {
        let mut s = conflict(&def.plural, &def.group, name, &Conflict::message(c));
        s.message = Conflict::message(c);
        let mut d = s.details.take().unwrap_or(StatusDetails {
            name: name.to_string(),
            group: def.group.clone(),
            kind: def.plural.clone(),
            uid: String::new(),
            causes: Vec::new(),
            retry_after_seconds: 0,
        });
        d.causes = c
            .iter()
            .map(|x| StatusCause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with \"{}\"", x.manager),
                field: super::fields::display(&x.path),
            })
            .collect();
        s.details = Some(d);
        s
    }

    /// The `autoscaling/v1` Scale of an object.
    fn scale_of(&self, req: &Req, obj: &Value) -> ApiResult<Value> {
        let Some(sc) = req.vdef().scale.clone() else {
            return Err(not_found(&req.def.plural, &req.def.group, name_of(obj)));
        };
        let int = |p: &str| get_path(obj, p).and_then(Value::as_i64).unwrap_or(0);
        let mut status = json!({"replicas": int(&sc.status_replicas_path)});
        if let Some(sel) = sc
            .label_selector_path
            .as_deref()
            .and_then(|p| get_path(obj, p))
            .and_then(Value::as_str)
        {
            status["selector"] = json!(sel);
        }
        let meta = obj.get("metadata").cloned().unwrap_or_default();
        let mut m = Map::new();
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let Some(v) = meta.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(json!({
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": m,
            "spec": {"replicas": int(&sc.spec_replicas_path)},
            "status": status,
        }))
    }

    fn update_scale(&mut self, req: &Req, name: &str, scale: Value) -> ApiResult<Reply> {
        let old = self.stored(req, name)?;
        let Some(sc) = req.vdef().scale.clone() else {
            return Err(not_found(&req.def.plural, &req.def.group, name));
        };
        if let Some(rv) = meta_str(&scale, "resourceVersion").filter(|r| !r.is_empty())
            && Some(rv) != meta_str(&old, "resourceVersion")
        {
            return Err(conflict(&req.def.plural, &req.def.group, name, MODIFIED));
        }
        let Some(replicas) = scale.pointer("/spec/replicas").and_then(Value::as_i64) else {
            return Err(invalid(
                "Scale",
                "autoscaling",
                name,
                &[FieldError::new("FieldValueRequired", "spec.replicas", "Required value")],
            ));
        };
        if replicas < 0 {
            return Err(invalid(
                "Scale",
                "autoscaling",
                name,
                &[FieldError::new(
                    "FieldValueInvalid",
                    "spec.replicas",
                    format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                )],
            ));
        }
        let mut new = self.at_version(&req.def, &req.version, &old, Direction::Write)?;
        set_path(&mut new, &sc.spec_replicas_path, json!(replicas));
        let part = if req.vdef().status { Part::Main } else { Part::All };
        let manager = req.manager.clone();
        let reply = self.update_object(req, name, old, new, part, Managed::Update(&manager), "scale", false)?;
        Ok(Reply {
            code: 200,
            body: self.scale_of(req, &reply.body)?,
            warnings: reply.warnings,
        })
    }

    /// DELETE of one object.
    pub(crate) fn delete(&mut self, req: &Req, opts: &DeleteOpts) -> ApiResult<Reply> {
        let name = req.name.clone().unwrap_or_default();
        let key = req.key(&name);
        let mut warnings = Vec::new();
        if !self.webhooks.is_empty() {
            // As the delete handler: the mutating webhooks get neither object; the validating
            // ones get the object being deleted as `oldObject`.
            let attrs = Attrs::delete(req, &name, opts.dry_run, opts.propagation_name());
            warnings.extend(self.mutating_admission(&attrs, &mut None, None)?);
            if let Some(obj) = self.get(&req.def, &key).cloned() {
                let old = self.at_version(&req.def, &req.version, &obj, Direction::Write)?;
                warnings.extend(self.validating_admission(&attrs, None, Some(&old))?);
            }
        }
        let (code, body) = self.delete_object(&req.def, &key, opts)?;
        let body = if body.get("kind").and_then(Value::as_str) == Some("Status") {
            body
        } else {
            self.at_version(&req.def, &req.version, &body, Direction::Write)?
        };
        Ok(Reply { code, body, warnings })
    }

    /// DELETE of a collection (with selectors): the list of what was deleted or marked.
    pub(crate) fn delete_collection(&mut self, req: &Req, opts: &DeleteOpts) -> ApiResult<Reply> {
        let targets = self.matching(req, true)?;
        let mut items = Vec::new();
        let mut warnings = Vec::new();
        if !self.webhooks.is_empty() {
            let attrs = Attrs::delete(req, "", opts.dry_run, opts.propagation_name());
            warnings.extend(self.mutating_admission(&attrs, &mut None, None)?);
        }
        for (key, obj) in targets {
            if !self.webhooks.is_empty() {
                let attrs = Attrs::delete(req, &key.1, opts.dry_run, opts.propagation_name());
                warnings.extend(self.validating_admission(&attrs, None, Some(&obj))?);
            }
            match self.delete_object(&req.def, &key, opts) {
                Ok((_, body)) if body.get("kind").and_then(Value::as_str) != Some("Status") => {
                    items.push(self.at_version(&req.def, &req.version, &body, Direction::Write)?)
                }
                Ok(_) => items.push(obj),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Reply {
            code: 200,
            body: list_of(&req.def, &req.version, self.rv, items, None),
            warnings,
        })
    }

    /// Deletes (or marks for deletion) one object. Returns the HTTP code and either the object
    /// (still there, being deleted) or a success Status (gone).
    ///
    /// As the API server: the propagation adds the `orphan` or `foregroundDeletion` finalizer (and
    /// drops the other); an object with finalizers then gets `deletionTimestamp` and stays for
    /// the finalizers' owners (the garbage collector for those two) to remove them; a namespace
    /// always stays, `Terminating`, until the namespace controller has emptied it; anything else
    /// goes at once. Dependents are left to the garbage collector ([`super::gc`]).
    pub(crate) fn delete_object(
        &mut self,
        def: &Arc<ResourceDef>,
        key: &ObjKey,
        opts: &DeleteOpts,
    ) -> ApiResult<(u16, Value)> {
        let Some(obj) = self.get(def, key).cloned() else {
            return Err(not_found(&def.plural, &def.group, &key.1));
        };
        let name = key.1.clone();
        let uid = uid_of(&obj).to_string();
        if let Some(p) = &opts.uid
            && *p != uid
        {
            return Err(conflict(
                &def.plural,
                &def.group,
                &name,
                &format!("Precondition failed: UID in precondition: {p}, UID in object meta: {uid}"),
            ));
        }
        if let Some(p) = &opts.resource_version
            && Some(p.as_str()) != meta_str(&obj, "resourceVersion")
        {
            return Err(conflict(
                &def.plural,
                &def.group,
                &name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {p}, ResourceVersion in object meta: {}",
                    meta_str(&obj, "resourceVersion").unwrap_or("")
                ),
            ));
        }
        if opts.dry_run {
            return Ok((200, obj));
        }
        let old_finalizers = finalizers_of(&obj);
        let mut finalizers: Vec<String> = old_finalizers
            .iter()
            .filter(|f| *f != ORPHAN && *f != FOREGROUND)
            .cloned()
            .collect();
        match opts.resolve(def, &obj) {
            DeletePropagation::Orphan => finalizers.push(ORPHAN.to_string()),
            DeletePropagation::Foreground => finalizers.push(FOREGROUND.to_string()),
            DeletePropagation::Background => {}
        }
        let changed = finalizers.iter().collect::<BTreeSet<_>>() != old_finalizers.iter().collect::<BTreeSet<_>>();
        if finalizers.is_empty() && !is_namespace(def) {
            self.finish_removal(def, key);
            return Ok((200, deleted(&def.plural, &def.group, &name, &uid)));
        }
        let already = being_deleted(&obj);
        if already && !changed {
            return Ok((200, obj));
        }
        let mut marked = obj.clone();
        let generation = marked.pointer("/metadata/generation").and_then(Value::as_i64);
        let meta = meta_mut(&mut marked);
        if changed {
            if finalizers.is_empty() {
                meta.remove("finalizers");
            } else {
                meta.insert("finalizers".into(), json!(finalizers));
            }
        }
        if !already {
            meta.insert("deletionTimestamp".into(), json!(now_rfc3339()));
            meta.insert("deletionGracePeriodSeconds".into(), json!(0));
            if let Some(g) = generation.filter(|g| *g > 0) {
                meta.insert("generation".into(), json!(g + 1));
            }
            if is_namespace(def) {
                set_path(&mut marked, "status.phase", json!("Terminating"));
            }
        }
        let stored = self.put(def, key.clone(), marked);
        Ok((200, stored))
    }

    /// Removes an object for good; a deleted CRD takes its resource (and objects) along.
    /// Dependents are the garbage collector's business.
    pub(crate) fn finish_removal(&mut self, def: &Arc<ResourceDef>, key: &ObjKey) -> Option<Value> {
        let gone = self.remove(def, key)?;
        if is_crd(def)
            && let Ok(crd) = from_crd(&gone)
        {
            self.unregister(&crd);
        }
        Some(gone)
    }

    fn unregister(&mut self, crd: &ResourceDef) {
        let def = Arc::new(crd.clone());
        let keys: Vec<ObjKey> = self.objects(&def).map(|(k, _)| k.clone()).collect();
        for k in keys {
            self.remove(&def, &k);
        }
        self.resources.remove(&(crd.group.clone(), crd.plural.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let key = ("ns".to_string(), "a|b".to_string());
        let t = encode_continue(42, &key);
        assert_eq!(decode_continue(&t), Some((42, key)));
        assert_eq!(decode_continue("zz"), None);
    }
}
