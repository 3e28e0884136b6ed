use kgen_macros::Markers;

#[derive(Markers)]
#[kgen(webhook(
    path = "/validate-kgen-dev-v1alpha1-kluster",
    mutating = false,
    failure_policy = "sometimes",
    side_effects = "None",
    groups = ["kgen.dev"],
    resources = ["klusters"],
    verbs = ["create"],
    versions = ["v1alpha1"],
    name = "vkluster.kgen.dev",
    admission_review_versions = ["v1"],
    reinvocation_policy = "IfNeeded",
))]
#[kgen(webhook(mutating, failur_policy = "fail"))]
pub struct KlusterWebhook;

fn main() {}
