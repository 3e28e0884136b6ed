//! Admission webhook markers: the webhooks of the operator's Mutating- and
//! ValidatingWebhookConfiguration, and the names of those two objects.

use super::build::*;

/// controller-gen's arguments of `+kubebuilder:webhook`, with its required ones. `sideEffects`
/// is optional to controller-gen's parser but required by `admissionregistration.k8s.io/v1`:
/// `kgen webhook` reports it missing with its own message.
const WEBHOOK_ARGS: &[ArgDef] = &[
    arg("mutating", "mutating", ArgType::Bool, true),
    arg("failurePolicy", "failure_policy", ArgType::String, true),
    arg("matchPolicy", "match_policy", ArgType::String, false),
    arg("sideEffects", "side_effects", ArgType::String, false),
    arg("timeoutSeconds", "timeout_seconds", ArgType::Int, false),
    arg("groups", "groups", ArgType::StringList, true),
    arg("resources", "resources", ArgType::StringList, true),
    arg("verbs", "verbs", ArgType::StringList, true),
    arg("versions", "versions", ArgType::StringList, true),
    arg("name", "name", ArgType::String, true),
    arg("path", "path", ArgType::String, false),
    arg("url", "url", ArgType::String, false),
    arg("serviceName", "service_name", ArgType::String, false),
    arg("serviceNamespace", "service_namespace", ArgType::String, false),
    arg("servicePort", "service_port", ArgType::Int, false),
    arg(
        "admissionReviewVersions",
        "admission_review_versions",
        ArgType::StringList,
        true,
    ),
    arg("reinvocationPolicy", "reinvocation_policy", ArgType::String, false),
    arg("webhookVersions", "webhook_versions", ArgType::StringList, false),
];

const CONFIGURATION_ARGS: &[ArgDef] = &[
    arg("mutating", "mutating", ArgType::Bool, true),
    arg("name", "name", ArgType::String, false),
];

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![
        repeatable(def(
            Id::Webhook,
            "kubebuilder:webhook",
            Some("webhook"),
            Shape::Args {
                args: WEBHOOK_ARGS,
                positional: None,
            },
            ANY,
            "An admission webhook for `kgen webhook` (config/webhook/manifests.yaml): mutating, name (a \
             domain of at least three segments), failurePolicy (fail or ignore), sideEffects (None or \
             NoneOnDryRun), admissionReviewVersions (v1), groups (`core` is the core group), versions, \
             resources, verbs (create, update, delete, connect, *), path (served by serviceName in \
             serviceNamespace, default webhook-service in system, on servicePort) or url (https), \
             matchPolicy (Exact or Equivalent), timeoutSeconds (1-30), reinvocationPolicy (Never or \
             IfNeeded, mutating only), webhookVersions (v1). Read from any doc comment.",
        )),
        repeatable(def(
            Id::WebhookConfiguration,
            "kubebuilder:webhookconfiguration",
            Some("webhook_configuration"),
            Shape::Args {
                args: CONFIGURATION_ARGS,
                positional: None,
            },
            ANY,
            "Names the MutatingWebhookConfiguration (mutating=true) or ValidatingWebhookConfiguration \
             (mutating=false) that `kgen webhook` writes (defaults: mutating-webhook-configuration, \
             validating-webhook-configuration); at most one of each kind.",
        )),
    ]
}
