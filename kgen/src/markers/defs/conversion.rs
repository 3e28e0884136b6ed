//! Conversion markers: which kinds convert between their versions through a webhook, and which
//! types convert by hand.

use super::build::*;

const WEBHOOK_ARGS: &[ArgDef] = &[
    arg("serviceName", "service_name", ArgType::String, false),
    arg("serviceNamespace", "service_namespace", ArgType::String, false),
    arg("servicePort", "service_port", ArgType::Int, false),
    arg("path", "path", ArgType::String, false),
    arg("url", "url", ArgType::String, false),
];

/// A group-version module or a kind's type.
const PACKAGE_TYPE: &[Target] = &[Target::Package, Target::Type];

pub(super) fn defs() -> Vec<MarkerDef> {
    vec![
        def(
            Id::ConversionWebhook,
            "kgen:conversion:webhook",
            Some("conversion_webhook"),
            Shape::Args {
                args: WEBHOOK_ARGS,
                positional: None,
            },
            PACKAGE_TYPE,
            "Convert this group's kinds (on a module) or this kind (on its type) between versions with a conversion \
             webhook: the CRD gets `spec.conversion.strategy: Webhook` (service webhook-service in namespace system, \
             path /convert, unless serviceName/serviceNamespace/servicePort/path or url say otherwise) and the \
             generated code gets the conversions through the storage version (the hub).",
        ),
        def(
            Id::ConversionManual,
            "kgen:conversion:manual",
            Some("conversion_manual"),
            Shape::Flag,
            TYPE,
            "This type's conversion to and from the type it pairs with in the hub (storage) version is written by hand: implement \
             `kgen_runtime::conversion::ConvertFrom` both ways; the generated conversions call it.",
        ),
    ]
}
