//! Admission webhook markers in both spellings on the types that serve them.

use kgen_macros::Markers;

/// Defaults and validates Klusters.
///
/// +kubebuilder:webhook:path=/mutate-kgen-dev-v1alpha1-kluster,mutating=true,failurePolicy=fail,sideEffects=None,groups=kgen.dev,resources=klusters,verbs=create;update,versions=v1alpha1,name=mkluster.kgen.dev,admissionReviewVersions=v1
/// +kubebuilder:webhookconfiguration:mutating=true,name=kluster-mutating
#[derive(Markers)]
#[kgen(webhook(
    url = "https://hooks.example.com/validate",
    mutating = false,
    failure_policy = "ignore",
    match_policy = "Equivalent",
    side_effects = "NoneOnDryRun",
    timeout_seconds = 5,
    groups = ["kgen.dev"],
    resources = ["klusters", "klusters/status"],
    verbs = ["create", "update", "delete"],
    versions = ["v1alpha1"],
    name = "vkluster.kgen.dev",
    admission_review_versions = ["v1", "v1beta1"]
))]
#[kgen(webhook_configuration(mutating = false, name = "kluster-validating"))]
pub struct KlusterWebhook {
    pub name: String,
}

fn main() {}
