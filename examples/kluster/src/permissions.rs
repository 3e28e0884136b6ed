//! RBAC markers for the operator: `kgen rbac` turns them into `config/rbac/role.yaml`.
//!
//! Least privilege: every verb below is one the operator calls, and nothing else is granted.
//! Regenerate the role after changing them (a test fails while `role.yaml` is stale):
//!
//! ```text
//! cargo run --bin kgen -- rbac --paths examples/kluster/src --out examples/kluster/config/rbac
//! ```
//!
//! Klusters: watched by the informer (list/watch), read fresh before a create is retried and before
//! a token Secret is released (get); JSON patches add and remove the finalizer (patch).
//! +kubebuilder:rbac:groups=kgen.dev,resources=klusters,verbs=get;list;watch;patch
//!
//! Kluster status: progress, cluster ID and conditions are merge-patched through the status subresource.
//! +kubebuilder:rbac:groups=kgen.dev,resources=klusters/status,verbs=patch
//!
//! Kluster finalizers: lets the kubeconfig Secret's owner reference to its Kluster block deletion (admission
//! plugin OwnerReferencesPermissionEnforcement).
//! +kubebuilder:rbac:groups=kgen.dev,resources=klusters/finalizers,verbs=update
//!
//! Secrets: get reads the DigitalOcean token and checks the kubeconfig Secret; create/patch write the
//! kubeconfig Secret by server-side apply (an apply that creates needs create), and patch adds and
//! removes the `kgen.dev/token-in-use` finalizer on token Secrets (JSON patches); list/watch feed the
//! metadata-only Secret informer that notices a token Secret created or fixed later and a deleted
//! kubeconfig Secret. The garbage collector, not the operator, deletes the kubeconfig Secret with its
//! Kluster.
//! +kubebuilder:rbac:groups=core,resources=secrets,verbs=get;list;watch;create;patch
//!
//! Events: the reconciler records what it did on each Kluster (patch updates a repeated event's series).
//! +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
//!
//! Leases: leader election between replicas, only in the operator's own namespace (a Role, not the ClusterRole;
//! kustomize's `namespace:` moves it with the operator).
//! +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update,namespace=kluster-system
//!
//! CRDs: `--install-crds` creates the Kluster CRD (Kubernetes cannot restrict create to one name)...
//! +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=create
//!
//! ...and reads and server-side-applies only `klusters.kgen.dev`, no other CRD.
//! +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,resourceNames=klusters.kgen.dev,verbs=get;patch
