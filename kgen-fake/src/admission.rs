//! Admission webhooks called in process: `MutatingWebhookConfiguration` and
//! `ValidatingWebhookConfiguration` manifests (as `kgen webhook` or controller-gen write them) whose
//! webhooks are answered by [`kgen_runtime::admission::AdmissionHandler`]s registered for their service paths.
//!
//! As the API server's webhook admission plugins (`k8s.io/apiserver/pkg/admission/plugin/webhook`):
//!
//! * Order: after the `NamespaceLifecycle` check, the mutating webhooks (configurations by
//!   name, webhooks in their listed order; those with `reinvocationPolicy: IfNeeded` once more
//!   when a later webhook changed the object), then the object's own validation (schema, CEL),
//!   then the validating webhooks. A create's name is generated after the mutating webhooks.
//! * Matching: a rule matches the operation (`*` for all), group, version and resource
//!   (`*` matches every main resource, `*/*` every resource and subresource, `widgets/status`
//!   and `*/status` the subresource), and its scope (`Namespaced`, `Cluster`, `*`); with
//!   `matchPolicy: Equivalent` (the default) a rule for another version of the same resource
//!   matches too, and the webhook is then sent the object converted to that version (with the
//!   CRD's conversion). `namespaceSelector` is matched against the namespace's labels (a
//!   Namespace's own labels; cluster-scoped objects always match), `objectSelector` against the
//!   labels of the object or the old object.
//! * The request: a new `uid`, `kind` and `resource` at the webhook's version, `requestKind`,
//!   `requestResource` and `requestSubResource` at the request's, `name`, `namespace`,
//!   `operation`, `userInfo`, `object` and `oldObject` (a delete sends only `oldObject`, to the
//!   validating webhooks; mutating webhooks get neither), `dryRun` and `options`
//!   (`CreateOptions`, `UpdateOptions`, `PatchOptions` or `DeleteOptions`).
//! * The answer: a `uid` other than the request's is a failed call; a refusal is
//!   `admission webhook "<name>" denied the request: <message>` (or the reason, or `without
//!   explanation`) with the response's `status.code`, 400 when it is absent or under 400; a
//!   mutating webhook's `JSONPatch` is applied to the object it was sent; warnings become
//!   `Warning` headers.
//! * A webhook without a handler is unreachable: with `failurePolicy: Fail` (the default) a 500
//!   `Internal error occurred: failed calling webhook "<name>": failed to call webhook: Post
//!   "<url>?timeout=<n>s": ...`; with `Ignore` it is skipped.
//! * Dry runs: a webhook whose `sideEffects` is neither `None` nor `NoneOnDryRun` refuses them
//!   (400 `admission webhook "<name>" does not support dry run`); the others get `dryRun: true`.

use super::meta::{name_of, new_uid};
use super::objects::Req;
use super::patch::json_patch;
use super::selectors::LabelSelector;
use super::status::{ApiError, ApiResult, error};
use super::store::State;
use kgen_runtime::admission::{AdmissionRequest, AdmissionReview, DynamicObject};
use kube::core::Status;
use kube::core::response::{StatusCause, StatusDetails};
use serde_json::{Value, json};

/// One rule of a webhook (`rules[]`).
#[derive(Clone, Debug)]
struct Rule {
    operations: Vec<String>,
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    scope: String,
}

/// One webhook of a configuration.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    /// The configuration's `metadata.name` (webhooks run in the order of their configurations'
    /// names).
    configuration: String,
    name: String,
    mutating: bool,
    /// What a handler is registered under: the service's `path`, or the `url`.
    handler: String,
    /// The URL a real server would POST to, for error messages.
    url: String,
    timeout_seconds: u64,
    rules: Vec<Rule>,
    fail_closed: bool,
    equivalent: bool,
    namespace_selector: LabelSelector,
    object_selector: LabelSelector,
    dry_run_safe: bool,
    reinvoke: bool,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// A `metav1.LabelSelector` (`matchLabels`, `matchExpressions`) as a parsed selector.
fn label_selector(v: Option<&Value>, what: &str) -> Result<LabelSelector, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(LabelSelector::default());
    };
    let mut parts = Vec::new();
    if let Some(Value::Object(m)) = v.get("matchLabels") {
        for (k, val) in m {
            parts.push(format!("{k}={}", val.as_str().unwrap_or_default()));
        }
    }
    for e in v
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values = strings(e.get("values")).join(",");
        match e.get("operator").and_then(Value::as_str) {
            Some("In") => parts.push(format!("{key} in ({values})")),
            Some("NotIn") => parts.push(format!("{key} notin ({values})")),
            Some("Exists") => parts.push(key.to_string()),
            Some("DoesNotExist") => parts.push(format!("!{key}")),
            other => return Err(format!("{what}: unknown operator {other:?}")),
        }
    }
    LabelSelector::parse(&parts.join(",")).map_err(|e| format!("{what}: {e}"))
}

/// The webhooks of the `MutatingWebhookConfiguration`s and `ValidatingWebhookConfiguration`s in
/// `yaml` (several documents; other kinds are refused).
pub(crate) fn parse_configurations(yaml: &str) -> Result<Vec<Webhook>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).map_err(|e| format!("invalid YAML: {e}"))?;
    let mut out = Vec::new();
    for doc in docs.into_iter().filter(|d| !d.is_null()) {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        let mutating = match kind {
            "MutatingWebhookConfiguration" => true,
            "ValidatingWebhookConfiguration" => false,
            other => return Err(format!("expected a webhook configuration, found kind {other:?}")),
        };
        let configuration = name_of(&doc).to_string();
        for w in doc.get("webhooks").and_then(Value::as_array).into_iter().flatten() {
            out.push(parse_webhook(&configuration, mutating, w)?);
        }
    }
    Ok(out)
}

fn parse_webhook(configuration: &str, mutating: bool, w: &Value) -> Result<Webhook, String> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let name = text(w, "name").ok_or_else(|| format!("{configuration}: a webhook has no name"))?;
    let what = format!("webhook {name:?}");
    let client = w
        .get("clientConfig")
        .ok_or_else(|| format!("{what}: no clientConfig"))?;
    let (handler, url) = match (text(client, "url"), client.get("service")) {
        (Some(url), _) => (url.clone(), url),
        (None, Some(svc)) => {
            let path = text(svc, "path").unwrap_or_default();
            let port = svc.get("port").and_then(Value::as_u64).unwrap_or(443);
            let url = format!(
                "https://{}.{}.svc:{port}{path}",
                text(svc, "name").unwrap_or_default(),
                text(svc, "namespace").unwrap_or_default()
            );
            (path, url)
        }
        (None, None) => return Err(format!("{what}: clientConfig needs a url or a service")),
    };
    let rules = w
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| Rule {
            operations: strings(r.get("operations")),
            groups: strings(r.get("apiGroups")),
            versions: strings(r.get("apiVersions")),
            resources: strings(r.get("resources")),
            scope: text(r, "scope").unwrap_or_else(|| "*".into()),
        })
        .collect();
    let fail_closed = match text(w, "failurePolicy").as_deref() {
        None | Some("Fail") => true,
        Some("Ignore") => false,
        Some(other) => return Err(format!("{what}: unknown failurePolicy {other:?}")),
    };
    let equivalent = match text(w, "matchPolicy").as_deref() {
        None | Some("Equivalent") => true,
        Some("Exact") => false,
        Some(other) => return Err(format!("{what}: unknown matchPolicy {other:?}")),
    };
    let dry_run_safe = match text(w, "sideEffects").as_deref() {
        Some("None" | "NoneOnDryRun") => true,
        Some("Some" | "Unknown") | None => false,
        Some(other) => return Err(format!("{what}: unknown sideEffects {other:?}")),
    };
    let reinvoke = match text(w, "reinvocationPolicy").as_deref() {
        None | Some("Never") => false,
        Some("IfNeeded") => mutating,
        Some(other) => return Err(format!("{what}: unknown reinvocationPolicy {other:?}")),
    };
    Ok(Webhook {
        configuration: configuration.to_string(),
        mutating,
        handler,
        url,
        timeout_seconds: w.get("timeoutSeconds").and_then(Value::as_u64).unwrap_or(10),
        rules,
        fail_closed,
        equivalent,
        namespace_selector: label_selector(w.get("namespaceSelector"), &format!("{what}: namespaceSelector"))?,
        object_selector: label_selector(w.get("objectSelector"), &format!("{what}: objectSelector"))?,
        dry_run_safe,
        reinvoke,
        name,
    })
}

/// Adds `webhooks`, keeping the order the API server calls them in: by configuration name, then
/// as listed.
pub(crate) fn register(all: &mut Vec<Webhook>, webhooks: Vec<Webhook>) {
    for w in webhooks {
        all.retain(|x| !(x.mutating == w.mutating && x.configuration == w.configuration && x.name == w.name));
        all.push(w);
    }
    all.sort_by(|a, b| a.configuration.cmp(&b.configuration));
}

/// What an admitted request is: its operation and the options the webhooks are sent.
pub(crate) struct Attrs<'a> {
    pub req: &'a Req,
    /// `CREATE`, `UPDATE` or `DELETE`.
    pub operation: &'static str,
    pub name: String,
    /// `CreateOptions`, `UpdateOptions`, `PatchOptions` or `DeleteOptions`.
    pub options: Value,
}

impl<'a> Attrs<'a> {
    /// The attributes of a write by `req`: the options follow its verb (a patch that creates
    /// sends `CreateOptions`, as the API server does).
    pub(crate) fn write(req: &'a Req, operation: &'static str, name: &str) -> Self {
        let kind = match (req.verb, operation) {
            (_, "CREATE") => "CreateOptions",
            ("patch", _) => "PatchOptions",
            _ => "UpdateOptions",
        };
        let mut options = json!({"apiVersion": "meta.k8s.io/v1", "kind": kind});
        if let Some(m) = req.query.get("fieldManager") {
            options["fieldManager"] = json!(m);
        }
        if req.query.get("dryRun").is_some_and(|d| d == "All") {
            options["dryRun"] = json!(["All"]);
        }
        if kind == "PatchOptions" && req.query.get("force").is_some_and(|f| f == "true") {
            options["force"] = json!(true);
        }
        Attrs {
            req,
            operation,
            name: name.to_string(),
            options,
        }
    }

    /// The attributes of a delete by `req`.
    pub(crate) fn delete(req: &'a Req, name: &str, dry_run: bool, propagation: Option<&str>) -> Self {
        let mut options = json!({"apiVersion": "meta.k8s.io/v1", "kind": "DeleteOptions"});
        if dry_run {
            options["dryRun"] = json!(["All"]);
        }
        if let Some(p) = propagation {
            options["propagationPolicy"] = json!(p);
        }
        Attrs {
            req,
            operation: "DELETE",
            name: name.to_string(),
            options,
        }
    }

    fn dry_run(&self) -> bool {
        self.options.get("dryRun").is_some()
    }
}

/// `(resource, subresource)` of a rule's resource entry.
fn split_resource(r: &str) -> (&str, &str) {
    r.split_once('/').unwrap_or((r, ""))
}

fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl Rule {
    fn matches(&self, a: &Attrs<'_>, version: &str) -> bool {
        let def = &a.req.def;
        let sub = a.req.subresource.as_deref().unwrap_or("");
        let is_namespace = def.group.is_empty() && def.plural == "namespaces";
        let scope = match self.scope.as_str() {
            "Namespaced" => !is_namespace && a.req.namespace.is_some(),
            "Cluster" => is_namespace || a.req.namespace.is_none(),
            _ => true,
        };
        scope
            && listed(&self.operations, a.operation)
            && listed(&self.groups, &def.group)
            && listed(&self.versions, version)
            && self.resources.iter().any(|r| {
                let (res, s) = split_resource(r);
                (res == "*" || res == def.plural) && (s == "*" || s == sub)
            })
    }
}

/// The outcome of one webhook call.
struct Called {
    /// The object after a mutating webhook's patch, at the request's version.
    patched: Option<Value>,
    warnings: Vec<String>,
}

fn internal(message: String) -> ApiError {
    let mut s = Status::failure(&format!("Internal error occurred: {message}"), "InternalError").with_code(500);
    s.details = Some(StatusDetails {
        name: String::new(),
        group: String::new(),
        kind: String::new(),
        uid: String::new(),
        causes: vec![StatusCause {
            reason: String::new(),
            message,
            field: String::new(),
        }],
        retry_after_seconds: 0,
    });
    Box::new(s)
}

/// The API server's refusal for a webhook's `status` (`webhookerrors.ToStatusErr`).
fn denied(webhook: &str, result: &Value) -> ApiError {
    let text = |k: &str| result.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let denied_by = format!("admission webhook {webhook:?} denied the request");
    let message = match (text("message"), text("reason")) {
        (m, _) if !m.is_empty() => format!("{denied_by}: {m}"),
        (_, r) if !r.is_empty() => format!("{denied_by}: {r}"),
        _ => format!("{denied_by} without explanation"),
    };
    let code = result
        .get("code")
        .and_then(Value::as_u64)
        .filter(|c| (400..600).contains(c))
        .unwrap_or(400) as u16;
    let mut s = Status::failure(&message, &text("reason")).with_code(code);
    if let Some(d) = result.get("details")
        && let Ok(d) = serde_json::from_value::<StatusDetails>(d.clone())
    {
        s.details = Some(d);
    }
    Box::new(s)
}

impl State {
    /// Registers webhooks from configuration manifests.
    pub(crate) fn add_webhooks(&mut self, yaml: &str) -> Result<(), String> {
        let parsed = parse_configurations(yaml)?;
        register(&mut self.webhooks, parsed);
        Ok(())
    }

    /// The version `w` is called at for `a`: the request's when a rule matches it, else (with
    /// `matchPolicy: Equivalent`) another served version of the resource a rule matches.
    fn webhook_version(&self, w: &Webhook, a: &Attrs<'_>) -> Option<String> {
        if w.rules.iter().any(|r| r.matches(a, &a.req.version)) {
            return Some(a.req.version.clone());
        }
        if !w.equivalent {
            return None;
        }
        a.req
            .def
            .versions
            .iter()
            .map(|v| v.name.as_str())
            .filter(|v| *v != a.req.version)
            .find(|v| w.rules.iter().any(|r| r.matches(a, v)))
            .map(str::to_string)
    }

    fn selectors_match(&self, w: &Webhook, a: &Attrs<'_>, object: Option<&Value>, old: Option<&Value>) -> bool {
        let def = &a.req.def;
        let ns_ok = if def.group.is_empty() && def.plural == "namespaces" {
            // A Namespace is matched on its own labels.
            object.or(old).is_some_and(|o| w.namespace_selector.matches(o))
                || (object.is_none() && old.is_none() && w.namespace_selector == LabelSelector::default())
        } else {
            match &a.req.namespace {
                None => true,
                Some(ns) => {
                    let empty = json!({});
                    let ns_obj = self
                        .find("", "v1", "namespaces")
                        .and_then(|d| self.get(&d, &(String::new(), ns.clone())).cloned());
                    w.namespace_selector.matches(ns_obj.as_ref().unwrap_or(&empty))
                }
            }
        };
        let obj_ok = w.object_selector == LabelSelector::default()
            || object.is_some_and(|o| w.object_selector.matches(o))
            || old.is_some_and(|o| w.object_selector.matches(o));
        ns_ok && obj_ok
    }

    /// Calls `w` if it matches; `None` when it does not (or is skipped).
    fn call_webhook(
        &self,
        w: &Webhook,
        a: &Attrs<'_>,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> ApiResult<Option<Called>> {
        let Some(version) = self.webhook_version(w, a) else {
            return Ok(None);
        };
        if !self.selectors_match(w, a, object, old) {
            return Ok(None);
        }
        if a.dry_run() && !w.dry_run_safe {
            return Err(error(
                400,
                format!("admission webhook {:?} does not support dry run", w.name),
            ));
        }
        let failed = |why: String| -> ApiResult<Option<Called>> {
            if w.fail_closed {
                Err(internal(format!(
                    "failed calling webhook {:?}: failed to call webhook: {why}",
                    w.name
                )))
            } else {
                tracing::warn!(webhook = %w.name, "failed calling webhook, failing open: {why}");
                Ok(None)
            }
        };
        let Some(handler) = self.admission_handlers.get(&w.handler).cloned() else {
            return failed(format!(
                "Post \"{}?timeout={}s\": no admission handler is registered for {:?} (FakeApiServer::with_admission_webhooks)",
                w.url, w.timeout_seconds, w.handler
            ));
        };
        let def = &a.req.def;
        let convert = |o: Option<&Value>| -> ApiResult<Option<Value>> {
            o.map(|o| {
                self.at_version(def, &version, o, super::conversion::Direction::Write)
                    .map_err(|e| internal(e.message.trim_start_matches("Internal error occurred: ").to_string()))
            })
            .transpose()
        };
        let (sent, sent_old) = (convert(object)?, convert(old)?);
        let uid = new_uid();
        let gvk = |v: &str| json!({"group": def.group, "version": v, "kind": def.kind});
        let gvr = |v: &str| json!({"group": def.group, "version": v, "resource": def.plural});
        let mut request = json!({
            "uid": uid,
            "kind": gvk(&version),
            "resource": gvr(&version),
            "requestKind": gvk(&a.req.version),
            "requestResource": gvr(&a.req.version),
            "name": a.name,
            "operation": a.operation,
            "userInfo": {"username": "system:admin", "groups": ["system:masters", "system:authenticated"]},
            "object": sent.clone().unwrap_or(Value::Null),
            "oldObject": sent_old.unwrap_or(Value::Null),
            "dryRun": a.dry_run(),
            "options": a.options,
        });
        if let Some(sub) = &a.req.subresource {
            request["subResource"] = json!(sub);
            request["requestSubResource"] = json!(sub);
        }
        if let Some(ns) = &a.req.namespace {
            request["namespace"] = json!(ns);
        }
        let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
        let request: AdmissionRequest<DynamicObject> =
            match serde_json::from_value::<AdmissionReview<DynamicObject>>(review)
                .map_err(|e| e.to_string())
                .and_then(|r| TryInto::<AdmissionRequest<DynamicObject>>::try_into(r).map_err(|e| e.to_string()))
            {
                Ok(r) => r,
                Err(e) => return Err(internal(format!("could not build the AdmissionReview: {e}"))),
            };
        let response = handler.review(&request);
        let response_json = serde_json::to_value(&response).unwrap_or_default();
        if response.uid != uid {
            return failed(format!("expected response.uid={uid:?}, got {:?}", response.uid));
        }
        if !response.allowed {
            return Err(denied(&w.name, response_json.get("status").unwrap_or(&Value::Null)));
        }
        let warnings = response.warnings.clone().unwrap_or_default();
        let patched = match (&response.patch, w.mutating, sent) {
            (Some(patch), true, Some(mut sent)) => {
                let patch_type = response_json.get("patchType").and_then(Value::as_str).unwrap_or("");
                if patch_type != "JSONPatch" {
                    return failed(format!("unsupported patch type {patch_type:?}"));
                }
                let ops: Value = serde_json::from_slice(patch)
                    .map_err(|e| internal(format!("failed to decode the patch of webhook {:?}: {e}", w.name)))?;
                json_patch(&mut sent, &ops).map_err(|e| internal(e.message.clone()))?;
                let back = self
                    .at_version(def, &a.req.version, &sent, super::conversion::Direction::Write)
                    .map_err(|e| internal(e.message.trim_start_matches("Internal error occurred: ").to_string()))?;
                Some(back)
            }
            _ => None,
        };
        Ok(Some(Called { patched, warnings }))
    }

    /// Runs the mutating webhooks on `object` (at the request's version), with one reinvocation
    /// of the `IfNeeded` ones when a later webhook changed it. Returns the webhooks' warnings.
    pub(crate) fn mutating_admission(
        &self,
        a: &Attrs<'_>,
        object: &mut Option<Value>,
        old: Option<&Value>,
    ) -> ApiResult<Vec<String>> {
        if a.req.verb == "insert" || self.webhooks.is_empty() {
            return Ok(Vec::new());
        }
        let hooks: Vec<Webhook> = self.webhooks.iter().filter(|w| w.mutating).cloned().collect();
        let mut warnings = Vec::new();
        // For each webhook called: whether the object changed after it ran.
        let mut changed_since: Vec<Option<bool>> = vec![None; hooks.len()];
        for (i, w) in hooks.iter().enumerate() {
            if let Some(called) = self.call_webhook(w, a, object.as_ref(), old)? {
                warnings.extend(called.warnings);
                changed_since[i] = Some(false);
                if let Some(p) = called.patched
                    && Some(&p) != object.as_ref()
                {
                    *object = Some(p);
                    for (j, c) in changed_since.iter_mut().enumerate() {
                        if j != i
                            && let Some(c) = c
                        {
                            *c = true;
                        }
                    }
                }
            }
        }
        for (i, w) in hooks.iter().enumerate() {
            if w.reinvoke
                && changed_since[i] == Some(true)
                && let Some(called) = self.call_webhook(w, a, object.as_ref(), old)?
            {
                warnings.extend(called.warnings);
                if let Some(p) = called.patched {
                    *object = Some(p);
                }
            }
        }
        Ok(warnings)
    }

    /// Runs the validating webhooks. Returns their warnings.
    pub(crate) fn validating_admission(
        &self,
        a: &Attrs<'_>,
        object: Option<&Value>,
        old: Option<&Value>,
    ) -> ApiResult<Vec<String>> {
        if a.req.verb == "insert" || self.webhooks.is_empty() {
            return Ok(Vec::new());
        }
        let mut warnings = Vec::new();
        for w in self.webhooks.iter().filter(|w| !w.mutating) {
            if let Some(called) = self.call_webhook(w, a, object, old)? {
                warnings.extend(called.warnings);
            }
        }
        Ok(warnings)
    }
}
