//! An in-memory Kubernetes API server for tests.
//!
//! [`FakeApiServer`] answers the Kubernetes REST API from memory, so a `kube::Client` made by
//! [`FakeApiServer::client`] (in process, through a tower service) or pointed at
//! [`FakeApiServer::serve`] (over HTTP) works unchanged: typed `Api<K>`s, `kube::runtime`'s
//! watchers and reflectors, its `Controller`, its finalizer helper and its event recorder.
//! Unlike client-go's fake clientset, requests go through the real client code paths (URLs,
//! query parameters, content types, status codes), and the server applies the API server's
//! semantics, including validation of custom resources against their CRD.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kgen_fake::FakeApiServer;
//! use kube::api::{Api, PostParams};
//!
//! let server = FakeApiServer::new();
//! let cms: Api<ConfigMap> = Api::namespaced(server.client(), "default");
//! let mut cm = ConfigMap::default();
//! cm.metadata.name = Some("settings".into());
//! cms.create(&PostParams::default(), &cm).await?;
//! assert!(server.get_json("configmaps", Some("default"), "settings").is_some());
//! assert_eq!(server.actions()[0].verb, "create");
//! # Ok(()) }
//! ```
//!
//! # What the server does
//!
//! By default the server behaves as a real API server would for the same requests; each
//! lenient behaviour of earlier versions is an explicit opt-out
//! ([`FakeApiServer::with_strict_namespaces`], [`FakeApiServer::with_strict_type_meta`],
//! [`FakeApiServer::with_synchronous_gc`], [`FakeApiServer::with_resume_before_start`]).
//!
//! * **Resources**: Namespace, ConfigMap, Secret, ServiceAccount, Service, Pod,
//!   PersistentVolumeClaim, core/v1 and events.k8s.io/v1 Event, coordination.k8s.io/v1 Lease,
//!   apps/v1 Deployment, StatefulSet, ReplicaSet, DaemonSet, batch/v1 Job, CronJob and
//!   CustomResourceDefinition are built in (stored as JSON, without schema); custom resources
//!   come from [`FakeApiServer::with_crd`] (or from creating a CRD through the API), other kinds
//!   from [`FakeApiServer::with_resource`]. Namespaced and cluster-scoped paths, all-namespaces
//!   list and watch, the legacy `/watch/` paths, `PartialObjectMetadata` responses.
//! * **Request bodies**: a custom resource created or replaced without `kind` is a 400
//!   (`the object provided is unrecognized (must be of type Widget): Object 'Kind' is missing in
//!   '...'`), with another `apiVersion` (or none) a 400 (`the API version in the data () does
//!   not match the expected API version (kgen.dev/v1)`), with another `kind` a 422 on `kind`;
//!   built-in kinds get missing ones from the URL, as in the API server. A server-side apply
//!   must carry the URL's `apiVersion` and `kind` (400 `invalid object type: /, Kind=Widget`).
//! * **Object lifecycle**:
//!   - every write gets the next value of one global `resourceVersion` counter; a write that
//!     changes nothing (apart from `managedFields`) is not a write: same resourceVersion, no event;
//!   - a namespaced object can only be created in an existing namespace (404 `namespaces "x" not
//!     found`, checked before validation, as the `NamespaceLifecycle` admission plugin does) that
//!     is not being deleted (403 `configmaps "c" is forbidden: unable to create new content in
//!     namespace x because it is being terminated`); [`FakeApiServer::insert`] checks it too;
//!   - creates fill `uid`, `creationTimestamp`, `generation` (1, for kinds that have one), honour
//!     `generateName`, and fail with 409 `AlreadyExists` on a duplicate; 404s are `NotFound`
//!     `Status`es; new namespaces are `Active` with the `kubernetes` finalizer;
//!   - updates with a stale `metadata.resourceVersion` fail with 409 `Conflict`; custom resources
//!     require it on PUT (422 otherwise), built-in kinds accept unconditional updates;
//!   - `generation` is bumped when `spec` changes (built-in kinds with a spec) or anything but
//!     `metadata` and `status` changes (custom resources), and when deletion starts;
//!   - with a status subresource, creates drop `status`, main-resource writes keep the stored
//!     `status`, and `/status` writes change only `status`; `/scale` reads and writes the
//!     replicas paths (an `autoscaling/v1` `Scale`);
//!   - deleting an object with finalizers sets `deletionTimestamp` (once) and keeps it; removing
//!     the last finalizer deletes it; no finalizer can be added meanwhile; delete preconditions
//!     (`uid`, `resourceVersion`) and `dryRun=All` are honoured, `DeleteOptions` validated;
//!   - writes without `fieldManager` record their `managedFields` entry under the manager the
//!     API server derives from the User-Agent (the part before the first `/`, printable
//!     characters only, at most 128 bytes), `unknown` without one — which is what kube's client
//!     sends, in process or over HTTP. [`FakeApiServer::insert`] records no `managedFields`.
//! * **Garbage collection and namespace deletion**, asynchronously as kube-controller-manager
//!   does them, [`FakeApiServer::with_gc_delay`] (100 ms) after the write:
//!   - `propagationPolicy` `Background` (the default of custom resources and most kinds; batch/v1
//!     Jobs default to `Orphan`, as in the API server; see [`ResourceDef::default_propagation`]):
//!     the owner goes at once, its dependents (objects all of whose owner references point to
//!     owners that are gone, found by kind, namespace and name and compared by uid) go after
//!     the response, recursively; objects created with dangling owner references are collected
//!     too; an object with some live owners only loses the references to the others;
//!   - `Foreground`: the owner gets `deletionTimestamp` and the `foregroundDeletion` finalizer
//!     and stays readable while its dependents are deleted; the finalizer is removed (and the
//!     owner goes) once no dependent with `blockOwnerDeletion: true` remains;
//!   - `Orphan` (or `orphanDependents: true`): the `orphan` finalizer; the dependents lose their
//!     references to the owner, then the finalizer goes;
//!   - deleting a namespace makes it `Terminating`; the namespace controller deletes everything
//!     in it and, once it is empty, removes its `kubernetes` finalizer and the namespace.
//!
//!   Without a Tokio runtime (e.g. [`FakeApiServer::insert`] from a plain `#[test]`), the
//!   collection runs synchronously before the call returns. Tests waiting for dependents to go
//!   must poll.
//! * **Patches**: JSON merge patch; JSON patch, where a failed operation (a `test` included) is a
//!   422 and a `test` of a missing path against `null` succeeds, as in the API server;
//!   strategic merge patch for built-in kinds (as a merge patch; 415 for custom resources).
//! * **Server-side apply** (`application/apply-patch+yaml`, JSON or YAML bodies, `fieldManager`
//!   required): creates the object if absent; otherwise the applied fields become the applier's
//!   (`operation: Apply` entry in `managedFields`, `FieldsV1`), objects merge field by field,
//!   `x-kubernetes-list-type: map` lists item by item on their keys, `set` lists by union, other
//!   lists are replaced; fields the applier applied before and no longer applies are removed
//!   unless another manager owns them; a `null` removes a field. Applying a different value to a
//!   field another manager owns is a 409 conflict listing managers and fields, unless
//!   `force=true`, which takes the field over. Other writes record `operation: Update` entries
//!   (the fields they changed become the writer's, taken from other managers).
//! * **Lists**: label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!` not-exists,
//!   `>`/`<`), field selectors (`=`, `==`, `!=` on `metadata.name`, `metadata.namespace`, a CRD's
//!   `selectableFields`, and a few built-in ones such as a Secret's `type`), `limit`/`continue`
//!   with `remainingItemCount`.
//! * **Watches** (`?watch=true`, newline-delimited JSON), as the watch cache serves them: without
//!   a resourceVersion (or with `"0"`), an `ADDED` per current object first; from
//!   `resourceVersion=N`, every retained change after `N`. A resourceVersion from before the
//!   resource's watch cache started (the built-in namespaces are written before it, a custom
//!   resource's starts with its CRD: `resourceVersion=1` is too old) or older than the bounded
//!   history ([`FakeApiServer::with_watch_history`], [`FakeApiServer::compact_history`]) gets one
//!   `ERROR` event with a 410 `Expired` `Status` (`too old resource version: 1 (4)`), then the end
//!   of the stream. With `allowWatchBookmarks=true`, a `BOOKMARK` right after the initial events,
//!   then every [`FakeApiServer::with_bookmark_interval`], and one two seconds before
//!   `timeoutSeconds` ends; `sendInitialEvents=true` ends the initial `ADDED`s with a bookmark
//!   annotated `k8s.io/initial-events-end`. An object modified into a selector arrives as
//!   `ADDED`, out of it as `DELETED`. Streams end after `timeoutSeconds`.
//! * **Deprecated versions**: a request to a CRD version with `deprecated: true` gets a `Warning`
//!   header, its `deprecationWarning` or the API server's default (`<group>/<version> <Kind> is
//!   deprecated; use <group>/<newer> <Kind>`, naming the highest-priority served version above it
//!   that is not deprecated), before any other warning. (Watches and errors get none.)
//! * **Validation** of custom resources, as the API server does with a CRD's
//!   `openAPIV3Schema`: unknown fields are pruned (with a `Warning` header;
//!   `fieldValidation=Strict` makes them a 400), defaults are applied (kgen's
//!   `kgen_schema::validate`), the OpenAPI value validations are checked and reported as the API
//!   server reports them (`kgen_schema::api_server`): a 422 `Invalid` whose message is
//!   `Order.shop.kgen.dev "o" is invalid: spec.discount: Invalid value: 150: spec.discount in body
//!   should be less than or equal to 100` (several errors in brackets, comma-separated), one
//!   `details.causes` entry (cause type, field path, message) per error, in kube-openapi's order
//!   (`Required value`, `Unsupported value: "x": supported values: "Low", "Normal", "High"`,
//!   `Invalid value: "string": spec.x in body must be of type integer: "string"`, `Too long: may
//!   not be more than 8 bytes`, `Too many: 4: must have at most 3 items`, `Duplicate value:
//!   "x"`, ...), `metadata.name` errors first. Then the CEL rules (`x-kubernetes-validations`)
//!   are evaluated with the `cel` crate — unless a type, required, enum, `maxLength`, `maxItems`
//!   or `maxProperties` error was found, which the API server reports as `<nil>: Invalid value:
//!   "null": some validation rules were not checked because the object was invalid; correct the
//!   existing errors to complete validation`: `self` is the node's value, `oldSelf` its previous
//!   value on updates (transition rules; with `optionalOldSelf`, an optional), the standard
//!   library plus the `strings`, `lists` and `math` extensions and `matches()`, `message` or a
//!   string `messageExpression`, `fieldPath`, `reason`. Status writes are validated too.
//! * **Conversion** of custom resources whose CRD has `spec.conversion.strategy: Webhook`, with
//!   the converter registered by [`FakeApiServer::with_converter`] (or
//!   `FromCrds::from_crds_with_converters`, which the generated `fake_api_server()` calls): as
//!   in apiextensions-apiserver, each version is its own in-memory representation, so a request
//!   at a version other than the storage version is decoded, defaulted, validated (that
//!   version's schema and CEL rules) and patched at its version — a merge or JSON patch applies
//!   to the object converted to the request's version, as does server-side apply — then
//!   converted to the storage version (and pruned with its schema) to be stored; every read
//!   (get, list, watch events including the initial ones, the response of every write, dry
//!   runs included) converts the stored object to the request's version, then prunes and
//!   defaults it with that version's schema. Field and label selectors apply to the converted
//!   object (with the request version's `selectableFields`). A failed conversion is reported
//!   as the webhook converter reports it: `conversion webhook for kgen.dev/v1, Kind=Widget
//!   failed: <the converter's message>` (the version is the object's before conversion), a 500
//!   without reason on reads and a 500 `InternalError` (`Internal error occurred: ...`) on
//!   writes. Without a registered converter the webhook is unreachable, the same errors with
//!   `Post "https://<service>.<namespace>.svc:443/<path>?timeout=30s": no converter is
//!   registered for widgets.kgen.dev (FakeApiServer::with_converter)`; objects at the storage
//!   version need no conversion and are served. Strategy `None` serves every version by
//!   rewriting `apiVersion` only.
//! * **Admission webhooks** from `MutatingWebhookConfiguration` and
//!   `ValidatingWebhookConfiguration` manifests ([`FakeApiServer::with_admission_webhooks`]),
//!   answered in process by [`kgen_runtime::admission::AdmissionHandler`]s registered by service
//!   path (`kgen_runtime::admission::validating` / `mutating` wrap typed validators and
//!   defaulters): after the namespace check, the mutating webhooks (configurations by name,
//!   webhooks as listed; `reinvocationPolicy: IfNeeded` ones once more when a later one changed
//!   the object; their `JSONPatch` applied), then the object's validation, then the validating
//!   webhooks; on creates, updates (`/status` included), patches, server-side apply and deletes
//!   (`oldObject` to the validating webhooks). Rules match operations, groups, versions,
//!   resources (`*`, `*/*`, `widgets/status`, `*/status`) and scope; `matchPolicy: Equivalent`
//!   sends the object converted to the version a rule names; `namespaceSelector` and
//!   `objectSelector` apply. A refusal is `admission webhook "<name>" denied the request:
//!   <message>` with the response's `status.code` (400 when absent or under 400); a webhook
//!   without a handler is unreachable (`failurePolicy: Fail`: 500 `Internal error occurred:
//!   failed calling webhook "<name>": failed to call webhook: Post "...": ...`; `Ignore`:
//!   skipped); dry runs reach only webhooks with `sideEffects: None` or `NoneOnDryRun` (others:
//!   400 `admission webhook "<name>" does not support dry run`). See the `admission` module
//!   docs for the request's fields.
//! * **Discovery**: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`, and
//!   aggregated discovery, so `kube::Discovery` works.
//! * **Testing aids**: [`FakeApiServer::actions`] records every resource request (like
//!   client-go's `Actions()`), [`FakeApiServer::fail_next`] injects failures,
//!   [`FakeApiServer::latency`] slows every request, [`FakeApiServer::get_json`] and
//!   [`FakeApiServer::list_json`] read the store directly.
//!
//! # Differences from a real API server
//!
//! | Behaviour | Real API server | Fake |
//! |---|---|---|
//! | Authentication, authorization, priority and fairness | enforced | none: every request is allowed (inject failures with [`FakeApiServer::fail_next`]) |
//! | Admission webhooks | configurations read from the API (`admissionregistration.k8s.io/v1`), `AdmissionReview`s POSTed with timeouts, `matchConditions` (CEL), the `/scale` subresource (a `Scale` object), built-in admission plugins and ValidatingAdmissionPolicies | configurations given to [`FakeApiServer::with_admission_webhooks`], handlers called in process (no timeouts); no `matchConditions`; `/scale` writes and pre-loaded objects ([`FakeApiServer::insert`]) are not admitted; `userInfo` is always `system:admin` (groups `system:masters`, `system:authenticated`); webhooks run for every kind, and a failing `Ignore` webhook only logs a `tracing` warning |
//! | Controllers | all of kube-controller-manager (Deployment rollouts, Job pods, endpoints, service-account tokens, ...), the scheduler, kubelets | only the garbage collector and the namespace controller |
//! | Garbage collector timing | informer-driven, milliseconds to seconds, one level of dependents after another | one pass [`FakeApiServer::with_gc_delay`] after the writes, repeated until nothing changes (every level at once) |
//! | Garbage collector writes | recorded in `managedFields` (manager `kube-controller-manager`), events such as `OwnerRefInvalidNamespace` | owner references and finalizers removed without a `managedFields` entry; no events |
//! | Owner references to kinds the server does not serve | retried until resolvable | left alone (the dependent stays) |
//! | Foreground-deletion cycles | broken by un-blocking owner references | not detected |
//! | Deleting a CRD | the CRD gets the `customresourcecleanup.apiextensions.k8s.io` finalizer; its objects are deleted, then the CRD | the CRD and all its objects go at once |
//! | Namespace deletion | content deleted resource by resource; `status.conditions` report progress | content deleted by a collection pass; no conditions |
//! | Graceful deletion of pods (`gracePeriodSeconds`) | the pod stays until the kubelet confirms | deleted at once (finalizers aside) |
//! | Several versions of a custom resource, strategy `None` | `apiVersion` rewritten, then pruned and defaulted with the read version's schema | `apiVersion` rewritten only |
//! | Webhook conversion | a `ConversionReview` POSTed to the webhook (batched for lists); a watch whose objects cannot be converted fails in the watch cache | the registered [`kgen_runtime::conversion::Converter`] run in process, one object at a time, no `ConversionReview`; a watch gets an `ERROR` event with the 500 and ends; the stored annotation `kgen.dev/conversion-data` is the converter's doing, as with a real webhook |
//! | Built-in kinds | schemas: validation, defaulting, patch-merge keys | stored as JSON without schema: no validation or defaulting (but a Namespace's phase and finalizer); lists atomic in server-side apply and strategic merge patches |
//! | `metadata.name` rules | per kind (DNS-1123 label for Namespace, DNS-1035 label for Service, subdomain for most) | DNS-1123 subdomain for every kind |
//! | Other metadata validation | label and annotation keys and values, sizes, owner references, ... | none |
//! | Validation ratcheting on updates (`CRDValidationRatcheting`, on by default) | errors in unchanged parts of an object are ignored | every error is reported |
//! | Order of validation causes between sibling properties | Go map order (unspecified) | key order |
//! | `anyOf`/`oneOf` failures | the errors of the best-matching branch (kube-openapi's match count) | the errors of the branch with the fewest |
//! | String formats | `date-time`, `date`, `byte`, `uuid`s, `ipv4`, `ipv6`, `cidr`, `mac`, `hexcolor`, `email`, `hostname`, `uri`, `duration`, `isbn`, `creditcard`, `ssn`, `rgbcolor`, `bsonobjectid` | the first nine checked; the others accepted |
//! | `metadata` of embedded resources | validated as ObjectMeta | not validated (their `apiVersion` and `kind` are) |
//! | CEL rules | every Kubernetes library (`quantity()`, `url()`, `isSorted()`, `format.*`, timestamps, durations, ...), cost limits, escaping of property names | rules the `cel` crate cannot handle are **skipped with a `tracing` warning**; runtime errors of supported operations (a missing key, an index out of range) are reported; no cost limits; property names that are not CEL identifiers are not escaped |
//! | Decoding errors of built-in kinds (another `kind` or `apiVersion` in the body) | the scheme's conversion messages | approximated: `Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion`, `... no kind "Deployment" is registered for version "apps/v1beta1" ...` |
//! | Lists with `resourceVersion`/`resourceVersionMatch`; later pages | served from the cache at that version; pages are a snapshot | always the current state; later pages are not a snapshot of the first page's resourceVersion (they report it) |
//! | `sendInitialEvents=true` with a resourceVersion | starts from that version | starts from the current state |
//! | Watch from a future resourceVersion | waits up to about 3 s, then 504 `Too large resource version` | streams from now |
//! | Bookmark timing | about every minute, and shortly before `timeoutSeconds` ends | the first right after the initial events, then every [`FakeApiServer::with_bookmark_interval`] (1 s), and 2 s before `timeoutSeconds` ends |
//! | Watch cache | one per resource, bounded by size and time | one history of [`FakeApiServer::with_watch_history`] changes for all resources, with a start per resource |
//! | Server-side apply | managed fields converted between versions; every `metadata` field tracked; an applier's own `Update` entry can conflict | no version conversion; only `labels`, `annotations`, `finalizers` and `ownerReferences` of `metadata` tracked; an applier's own `Update` entry never conflicts |
//! | Encodings and output | JSON, YAML, protobuf, CBOR; `as=Table` | JSON only (and `PartialObjectMetadata`) |

#![warn(missing_docs)]

mod admission;
mod apply;
mod cel;
mod conversion;
mod discovery;
mod faults;
mod fields;
mod gc;
mod meta;
mod objects;
mod patch;
mod resources;
mod selectors;
mod server;
mod status;
mod store;
mod validation;
mod watch;

pub use faults::Action;
pub use resources::{Conversion, DeletePropagation, GenerationPolicy, ResourceDef, ScaleDef, VersionDef};
pub use server::{FakeService, ResBody, ServerHandle};

use kube::core::Status;
use objects::Req;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use store::State;

/// Errors of the fake API server's own API (not of HTTP requests, which get `Status` responses).
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// A CustomResourceDefinition that cannot be served.
    #[error("invalid CustomResourceDefinition: {0}")]
    InvalidCrd(String),
    /// No registered resource has this `apiVersion` and `kind`.
    #[error("no resource is registered for apiVersion {api_version:?}, kind {kind:?}")]
    UnknownKind {
        /// The object's `apiVersion`.
        api_version: String,
        /// The object's `kind`.
        kind: String,
    },
    /// The server refused the object, as it would refuse a create.
    #[error("{0}")]
    Api(Box<Status>),
    /// Admission webhook configurations that cannot be read.
    #[error("invalid admission webhook configuration: {0}")]
    InvalidWebhookConfiguration(String),
}

/// An in-memory Kubernetes API server. Cheap to clone: clones share the same state.
///
/// `client()`, `serve()` and watches need a Tokio runtime; the garbage collector runs on it too
/// (synchronously when there is none).
#[derive(Clone)]
pub struct FakeApiServer {
    state: Arc<Mutex<State>>,
}

impl Default for FakeApiServer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for FakeApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeApiServer")
            .field("resource_version", &self.resource_version())
            .finish_non_exhaustive()
    }
}

/// What the generated `fake_api_server()` calls: a server with the API's CRDs installed.
impl kgen_runtime::FromCrds for FakeApiServer {
    fn from_crds(
        crds: Vec<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>,
    ) -> Self {
        crds.into_iter().fold(FakeApiServer::new(), FakeApiServer::with_crd)
    }

    fn from_crds_with_converters(
        crds: Vec<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>,
        converters: Vec<Arc<dyn kgen_runtime::conversion::Converter>>,
    ) -> Self {
        let server = Self::from_crds(crds);
        for converter in converters {
            server.add_converter(converter);
        }
        server
    }
}

impl FakeApiServer {
    /// A server with the built-in kinds and the namespaces `default`, `kube-system`,
    /// `kube-public` and `kube-node-lease`.
    pub fn new() -> Self {
        let state = Arc::new_cyclic(|weak| {
            let mut state = State::new();
            state.self_ref = weak.clone();
            for def in resources::builtins() {
                state.register(def);
            }
            Mutex::new(state)
        });
        let server = FakeApiServer { state };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            server
                .insert(json!({
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }))
                .expect("built-in namespace");
        }
        {
            // The watch caches start after the built-in namespaces exist, as in a cluster whose
            // API server has started.
            let mut st = server.lock();
            let rv = st.rv;
            for stored in st.resources.values_mut() {
                stored.cache_start = rv;
            }
            st.gc_pending = false;
        }
        server
    }

    /// Registers the conversion of one kind between its versions, which the server runs in
    /// process where a real one would call the CRD's conversion webhook. Replaces an earlier one
    /// for the same group and resource.
    pub fn with_converter(self, converter: impl kgen_runtime::conversion::Converter + 'static) -> Self {
        self.add_converter(Arc::new(converter));
        self
    }

    /// Like [`Self::with_converter`], for a shared converter.
    pub fn add_converter(&self, converter: Arc<dyn kgen_runtime::conversion::Converter>) {
        let key = (converter.group().to_string(), converter.plural().to_string());
        self.lock().converters.insert(key, converter);
    }

    /// Calls admission webhooks in process: `manifests_yaml` holds `MutatingWebhookConfiguration`
    /// and `ValidatingWebhookConfiguration` documents (as `kgen webhook` or controller-gen write
    /// them), and `handlers` answer their webhooks by the service `path` of their `clientConfig`
    /// (or its `url`), where a real API server would POST an `AdmissionReview`. A webhook whose
    /// path has no handler is an unreachable webhook (its `failurePolicy` decides). Panics if the
    /// manifests cannot be read; see [`Self::add_admission_webhooks`].
    ///
    /// ```
    /// # fn demo(handler: std::sync::Arc<dyn kgen_runtime::admission::AdmissionHandler>) {
    /// const MANIFESTS: &str = r#"
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata: {name: validating-webhook-configuration}
    /// webhooks:
    /// - name: vkluster.kgen.dev
    ///   admissionReviewVersions: [v1]
    ///   sideEffects: None
    ///   clientConfig:
    ///     service: {name: webhook-service, namespace: system, path: /validate-kgen-dev-v1-kluster}
    ///   rules:
    ///   - {apiGroups: [kgen.dev], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [klusters]}
    /// "#;
    /// let server = kgen_fake::FakeApiServer::new()
    ///     .with_admission_webhooks(MANIFESTS, [("/validate-kgen-dev-v1-kluster".to_string(), handler)]);
    /// # }
    /// ```
    pub fn with_admission_webhooks(
        self,
        manifests_yaml: &str,
        handlers: impl IntoIterator<Item = (String, Arc<dyn kgen_runtime::admission::AdmissionHandler>)>,
    ) -> Self {
        if let Err(e) = self.add_admission_webhooks(manifests_yaml, handlers) {
            panic!("FakeApiServer::with_admission_webhooks: {e}");
        }
        self
    }

    /// Like [`Self::with_admission_webhooks`]: adds (or replaces, by configuration and webhook
    /// name) the webhooks of `manifests_yaml` and registers `handlers`.
    pub fn add_admission_webhooks(
        &self,
        manifests_yaml: &str,
        handlers: impl IntoIterator<Item = (String, Arc<dyn kgen_runtime::admission::AdmissionHandler>)>,
    ) -> Result<(), FakeError> {
        let mut st = self.lock();
        st.add_webhooks(manifests_yaml)
            .map_err(FakeError::InvalidWebhookConfiguration)?;
        st.admission_handlers.extend(handlers);
        Ok(())
    }

    /// Registers (or replaces) the handler answering the webhooks whose service path (or URL)
    /// is `path`.
    pub fn add_admission_handler(
        &self,
        path: impl Into<String>,
        handler: Arc<dyn kgen_runtime::admission::AdmissionHandler>,
    ) {
        self.lock().admission_handlers.insert(path.into(), handler);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn state(&self) -> Arc<Mutex<State>> {
        self.state.clone()
    }

    /// Registers a custom resource from a `CustomResourceDefinition` (a
    /// `k8s_openapi` `CustomResourceDefinition`, its `serde_json::Value`, or anything serialising
    /// to it) and stores the CRD object. Panics if the CRD is invalid; see [`Self::add_crd`].
    pub fn with_crd(self, crd: impl Serialize) -> Self {
        if let Err(e) = self.add_crd(crd) {
            panic!("FakeApiServer::with_crd: {e}");
        }
        self
    }

    /// Like [`Self::with_crd`], for the YAML of a CRD (as kgen writes it).
    pub fn with_crd_yaml(self, yaml: &str) -> Self {
        if let Err(e) = self.add_crd_yaml(yaml) {
            panic!("FakeApiServer::with_crd_yaml: {e}");
        }
        self
    }

    /// Registers a custom resource from a CRD (see [`Self::with_crd`]); a CRD of the same name
    /// is replaced, keeping the objects.
    pub fn add_crd(&self, crd: impl Serialize) -> Result<(), FakeError> {
        let mut v = serde_json::to_value(crd).map_err(|e| FakeError::InvalidCrd(e.to_string()))?;
        let def = resources::from_crd(&v).map_err(FakeError::InvalidCrd)?;
        if let Value::Object(m) = &mut v {
            m.entry("apiVersion")
                .or_insert_with(|| json!("apiextensions.k8s.io/v1"));
            m.entry("kind").or_insert_with(|| json!("CustomResourceDefinition"));
        }
        let name = format!("{}.{}", def.plural, def.group);
        meta::meta_mut(&mut v).entry("name").or_insert_with(|| json!(name));
        let mut st = self.lock();
        if let Some(crd_def) = st.find("apiextensions.k8s.io", "v1", "customresourcedefinitions") {
            let key = (String::new(), meta::name_of(&v).to_string());
            let mut stored = v.clone();
            if let Some(old) = st.get(&crd_def, &key) {
                let m = meta::meta_mut(&mut stored);
                for k in ["uid", "creationTimestamp", "generation"] {
                    if let Some(x) = old.pointer(&format!("/metadata/{k}")) {
                        m.insert(k.into(), x.clone());
                    }
                }
            } else {
                let m = meta::meta_mut(&mut stored);
                m.insert("uid".into(), json!(meta::new_uid()));
                m.insert("creationTimestamp".into(), json!(meta::now_rfc3339()));
                m.insert("generation".into(), json!(1));
            }
            meta::meta_mut(&mut stored).remove("resourceVersion");
            st.put(&crd_def, key, stored);
        }
        // After the CRD object: the resource's watch cache starts once the CRD exists.
        st.register(def);
        Ok(())
    }

    /// Registers a custom resource from the YAML of a CRD.
    pub fn add_crd_yaml(&self, yaml: &str) -> Result<(), FakeError> {
        let v: Value = serde_saphyr::from_str(yaml).map_err(|e| FakeError::InvalidCrd(e.to_string()))?;
        self.add_crd(v)
    }

    /// Registers (or replaces) a resource type, e.g. a built-in kind the server lacks.
    pub fn with_resource(self, def: ResourceDef) -> Self {
        self.lock().register(def);
        self
    }

    /// Keeps at most `events` changes for watches that resume from a resourceVersion (default
    /// 10 000); a watch from before the oldest kept change gets 410 Gone.
    pub fn with_watch_history(self, events: usize) -> Self {
        {
            let mut st = self.lock();
            st.history_limit = events;
            while st.history.len() > events {
                if let Some(e) = st.history.pop_front() {
                    st.compacted_rv = e.rv;
                }
            }
        }
        self
    }

    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK (default 1 s; they also
    /// get one right after their initial events, and one two seconds before `timeoutSeconds`
    /// ends). Zero turns these bookmarks off (the `sendInitialEvents` one stays).
    pub fn with_bookmark_interval(self, interval: Duration) -> Self {
        self.lock().bookmark_interval = interval;
        self
    }

    /// Whether creating a namespaced object requires its namespace to exist (default true, as in
    /// the API server: 404 `namespaces "x" not found` otherwise). `false` lets objects be created
    /// in any namespace.
    pub fn with_strict_namespaces(self, strict: bool) -> Self {
        self.lock().strict_namespaces = strict;
        self
    }

    /// Whether request bodies must carry `apiVersion` and `kind` as the API server requires them
    /// (default true): a custom resource created or replaced without `kind` is a 400 (`Object
    /// 'Kind' is missing in '...'`), with another `apiVersion` a 400, with another `kind` a 422;
    /// a server-side apply whose `apiVersion` and `kind` are not the URL's is a 400 (`invalid
    /// object type: ...`). `false` fills missing ones in from the URL (built-in kinds always
    /// get them filled in, as in the API server).
    pub fn with_strict_type_meta(self, strict: bool) -> Self {
        self.lock().strict_type_meta = strict;
        self
    }

    /// How long after a write the garbage collector (and the namespace controller) runs
    /// (default 100 ms, about what kube-controller-manager takes). `Duration::ZERO` runs it as
    /// soon as the runtime gets to it, still after the response. Tests waiting for dependents to
    /// go must poll for it.
    pub fn with_gc_delay(self, delay: Duration) -> Self {
        self.lock().gc_delay = delay;
        self
    }

    /// Whether the garbage collector and the namespace controller run in the request that
    /// needs them, before it is answered (default false: asynchronously, as in a cluster). With
    /// `true`, deleting an owner (in any propagation) or a namespace has removed its dependents
    /// or contents (those without other finalizers) when the request returns.
    pub fn with_synchronous_gc(self, synchronous: bool) -> Self {
        self.lock().gc_synchronous = synchronous;
        self
    }

    /// Whether watches may resume from a resourceVersion older than the start of the
    /// resource's watch cache (default false: 410 Gone, as in the API server, e.g. for
    /// `resourceVersion=1`; the cache starts after the built-in namespaces, or when a CRD is
    /// added). Changes dropped from the bounded history are gone either way.
    pub fn with_resume_before_start(self, allow: bool) -> Self {
        self.lock().resume_before_start = allow;
        self
    }

    /// Pre-loads an object (see [`Self::insert`]); panics if it is refused.
    pub fn with_object(self, obj: Value) -> Self {
        if let Err(e) = self.insert(obj) {
            panic!("FakeApiServer::with_object: {e}");
        }
        self
    }

    /// Pre-loads an object, given with `apiVersion` and `kind` (namespaced objects without a
    /// namespace go to `default`; the namespace must exist unless
    /// [`Self::with_strict_namespaces`] is off). It is stored as a create would store it — new
    /// `uid`, `resourceVersion` and `creationTimestamp`, `generation` 1, defaults and validation
    /// for custom resources — except that its `status` is kept and no `managedFields` are
    /// recorded, and no action is recorded. An object whose owner references are dangling is
    /// collected afterwards, as if it had been created. Returns the stored object.
    pub fn insert(&self, obj: Value) -> Result<Value, FakeError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
        let mut st = self.lock();
        let def = st.find_kind(&api_version, &kind).ok_or(FakeError::UnknownKind {
            api_version: api_version.clone(),
            kind,
        })?;
        let version = api_version.rsplit('/').next().unwrap_or(&api_version).to_string();
        let namespace = def.namespaced.then(|| {
            let ns = meta::namespace_of(&obj);
            if ns.is_empty() { "default" } else { ns }.to_string()
        });
        let mut obj = obj;
        meta::meta_mut(&mut obj).remove("resourceVersion");
        let req = Req {
            verb: "insert",
            def,
            version,
            namespace,
            name: None,
            subresource: None,
            query: HashMap::new(),
            manager: "unknown".into(),
            meta_only: false,
        };
        let stored = st.insert(&req, obj).map_err(FakeError::Api);
        st.schedule_gc();
        stored
    }

    /// A `kube::Client` talking to this server in process (default namespace `default`). Like
    /// kube's clients made from a `kube::Config`, it sends no User-Agent, so writes without a
    /// `fieldManager` are recorded under the manager `unknown`, as a real API server records them.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.service(), "default")
    }

    /// The tower service behind [`Self::client`].
    pub fn service(&self) -> FakeService {
        FakeService { server: self.clone() }
    }

    /// Serves the API over HTTP/1 on `addr` (use port 0 for any free port) for out-of-process
    /// clients: `kube::Config::new(format!("http://{addr}").parse()?)`. Returns the bound address
    /// and a handle that stops the server (also when dropped).
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<(SocketAddr, ServerHandle)> {
        server::serve(self.clone(), addr).await
    }

    /// Every request received on a resource path so far, oldest first (discovery requests are
    /// not recorded).
    pub fn actions(&self) -> Vec<Action> {
        self.lock().actions.clone()
    }

    /// Forgets the recorded actions.
    pub fn clear_actions(&self) {
        self.lock().actions.clear();
    }

    /// Makes the next `n` requests matching `verb` and `resource` fail with `status_code` (and
    /// the usual reason for it) instead of being served. `verb` is `get`, `list`, `watch`,
    /// `create`, `update`, `patch`, `delete`, `deletecollection` or `*`; `resource` a plural
    /// (`configmaps`, which matches its subresources too), `plural.group`,
    /// `plural/subresource` (`widgets/status`) or `*`. Failed requests are still recorded.
    pub fn fail_next(&self, verb: &str, resource: &str, n: usize, status_code: u16) {
        let status = Status::failure(
            &format!("injected failure for {verb} {resource}"),
            status::reason_for(status_code),
        )
        .with_code(status_code);
        self.fail_next_with(verb, resource, n, status);
    }

    /// Like [`Self::fail_next`], with a whole `Status` (its `code` is the HTTP status).
    pub fn fail_next_with(&self, verb: &str, resource: &str, n: usize, status: Status) {
        if n == 0 {
            return;
        }
        self.lock().faults.push(faults::Fault {
            verb: verb.to_string(),
            resource: resource.to_string(),
            remaining: n,
            status,
        });
    }

    /// Delays every request by `delay` (zero to stop).
    pub fn latency(&self, delay: Duration) {
        self.lock().latency = delay;
    }

    /// The stored object, as JSON at its storage version. `resource` is a plural (core group
    /// first), `plural.group` or `plural/…`-free; `namespace` is `None` for cluster-scoped kinds.
    pub fn get_json(&self, resource: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let st = self.lock();
        let def = st.find_by_name(resource)?;
        let key = (namespace.unwrap_or("").to_string(), name.to_string());
        st.get(&def, &key).cloned()
    }

    /// The stored objects of a resource (in one namespace, or all), ordered by namespace and name.
    pub fn list_json(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        let st = self.lock();
        let Some(def) = st.find_by_name(resource) else {
            return Vec::new();
        };
        st.objects(&def)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.0 == ns))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The current (latest) resourceVersion.
    pub fn resource_version(&self) -> String {
        self.lock().rv.to_string()
    }

    /// Drops the watch history: every watch resuming from an earlier resourceVersion gets
    /// 410 Gone (so watchers must re-list).
    pub fn compact_history(&self) {
        self.lock().compact();
    }
}
