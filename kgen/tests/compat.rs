//! The breaking-change check (`kgen crd --compat-with`): one test per rule on parsed YAML, each
//! with its breaking case and, where there is one, the safe opposite; then the whole check on a
//! released directory, the CLI and the Builder.

use kgen_build::compat::{Change, Class, diff_crd};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("test YAML: {e}\n{text}"))
}

/// A CRD with one version `v1` whose `.spec` has the single property `x` with schema `x`
/// (a YAML flow mapping).
fn with_x(x: &str) -> Value {
    with_spec(&format!("{{type: object, properties: {{x: {x}}}}}"))
}

/// A CRD with one version `v1` whose `.spec` schema is `spec`.
fn with_spec(spec: &str) -> Value {
    yaml(&format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {{kind: Widget, listKind: WidgetList, plural: widgets, singular: widget, shortNames: [wd]}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {spec}
"
    ))
}

/// (version, path, message) of each change of `class`.
fn of(changes: &[Change], class: Class) -> Vec<(String, String, String)> {
    changes
        .iter()
        .filter(|c| c.class == class)
        .map(|c| {
            (
                c.version.clone().unwrap_or_default(),
                c.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                c.message.clone(),
            )
        })
        .collect()
}

fn row(version: &str, path: &str, message: &str) -> (String, String, String) {
    (version.into(), path.into(), message.into())
}

/// Asserts that going from `old` to `new` (schemas of `.spec.x`) is exactly one breaking change
/// with `message`, and (when `safe` is given) that going back is no breaking change but the safe
/// change `safe`.
fn rule(old: &str, new: &str, message: &str, safe: Option<&str>) {
    let changes = diff_crd(&with_x(old), &with_x(new));
    assert_eq!(
        of(&changes, Class::Breaking),
        vec![row("v1", ".spec.x", message)],
        "{old} → {new}: {changes:#?}"
    );
    if let Some(safe) = safe {
        let back = diff_crd(&with_x(new), &with_x(old));
        assert_eq!(of(&back, Class::Breaking), vec![], "{new} → {old}");
        assert_eq!(
            of(&back, Class::Safe),
            vec![row("v1", ".spec.x", safe)],
            "{new} → {old}"
        );
    }
}

#[test]
fn identical_crds_have_no_changes() {
    let crd = with_x("{type: integer, maximum: 3, x-kubernetes-validations: [{rule: 'self > 0'}]}");
    assert_eq!(diff_crd(&crd, &crd), vec![]);
}

#[test]
fn a_removed_field_is_breaking_and_a_new_optional_field_is_safe() {
    let old = with_spec("{type: object, properties: {x: {type: string}, extra: {type: string}}}");
    let new = with_spec("{type: object, properties: {x: {type: string}}}");
    let changes = diff_crd(&old, &new);
    assert_eq!(
        of(&changes, Class::Breaking),
        vec![row("v1", ".spec.extra", "field removed")]
    );
    assert!(!changes[0].in_new, "a removed field is located in the released file");
    let back = diff_crd(&new, &old);
    assert_eq!(of(&back, Class::Breaking), vec![]);
    assert_eq!(
        of(&back, Class::Safe),
        vec![row("v1", ".spec.extra", "new optional field")]
    );
}

#[test]
fn a_changed_type_is_breaking() {
    rule(
        "{type: integer}",
        "{type: string}",
        "type changed: integer → string",
        None,
    );
    rule(
        "{type: string}",
        "{type: integer}",
        "type changed: string → integer",
        None,
    );
}

#[test]
fn int_or_string_changed_is_a_type_change() {
    rule(
        "{x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}",
        "{type: string}",
        "type changed: int-or-string → string",
        None,
    );
}

#[test]
fn a_changed_type_reports_nothing_below_it() {
    let changes = diff_crd(
        &with_x("{type: object, properties: {a: {type: string}}}"),
        &with_x("{type: string, maxLength: 3}"),
    );
    assert_eq!(
        of(&changes, Class::Breaking),
        vec![row("v1", ".spec.x", "type changed: object → string")]
    );
}

#[test]
fn format_added_or_changed_is_breaking_and_removed_is_safe() {
    rule(
        "{type: string}",
        "{type: string, format: date-time}",
        "format added: date-time",
        Some("format date-time removed"),
    );
    rule(
        "{type: integer, format: int64}",
        "{type: integer, format: int32}",
        "format changed: int64 → int32",
        None,
    );
}

#[test]
fn preserve_unknown_fields_removed_is_breaking_and_added_is_safe() {
    rule(
        "{type: object, x-kubernetes-preserve-unknown-fields: true}",
        "{type: object}",
        "x-kubernetes-preserve-unknown-fields removed: unknown fields of stored objects are pruned",
        Some("now preserves unknown fields"),
    );
}

#[test]
fn embedded_resource_changed_is_breaking() {
    rule(
        "{type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}",
        "{type: object, x-kubernetes-preserve-unknown-fields: true}",
        "x-kubernetes-embedded-resource changed: true → false",
        None,
    );
}

#[test]
fn a_newly_required_field_is_breaking_and_no_longer_required_is_safe() {
    let old = with_spec("{type: object, properties: {x: {type: string}}}");
    let new = with_spec("{type: object, required: [x], properties: {x: {type: string}}}");
    assert_eq!(
        of(&diff_crd(&old, &new), Class::Breaking),
        vec![row("v1", ".spec.x", "newly required")]
    );
    let back = diff_crd(&new, &old);
    assert_eq!(of(&back, Class::Breaking), vec![]);
    assert_eq!(of(&back, Class::Safe), vec![row("v1", ".spec.x", "no longer required")]);
}

#[test]
fn a_new_required_field_is_breaking() {
    let old = with_spec("{type: object, properties: {x: {type: string}}}");
    let new = with_spec("{type: object, required: [extra], properties: {x: {type: string}, extra: {type: string}}}");
    assert_eq!(
        of(&diff_crd(&old, &new), Class::Breaking),
        vec![row("v1", ".spec.extra", "new required field")]
    );
}

#[test]
fn nullable_removed_is_breaking_and_added_is_safe() {
    rule(
        "{type: string, nullable: true}",
        "{type: string}",
        "nullable removed: an explicit null is now refused or pruned",
        Some("now nullable"),
    );
}

#[test]
fn maximum_lowered_or_added_is_breaking_and_raised_or_removed_is_safe() {
    rule(
        "{type: integer, maximum: 10}",
        "{type: integer, maximum: 5}",
        "maximum lowered: 10 → 5",
        Some("maximum raised: 5 → 10"),
    );
    rule(
        "{type: integer}",
        "{type: integer, maximum: 5}",
        "maximum added: 5",
        Some("maximum removed (was 5)"),
    );
}

#[test]
fn minimum_raised_or_added_is_breaking_and_lowered_is_safe() {
    rule(
        "{type: number, minimum: 1.5}",
        "{type: number, minimum: 2}",
        "minimum raised: 1.5 → 2",
        Some("minimum lowered: 2 → 1.5"),
    );
    // A zero minimum is a bound for numbers (negative values were allowed).
    rule(
        "{type: integer}",
        "{type: integer, minimum: 0}",
        "minimum added: 0",
        Some("minimum removed (was 0)"),
    );
}

#[test]
fn exclusive_bounds_turned_on_are_breaking_and_turned_off_are_safe() {
    rule(
        "{type: integer, maximum: 5}",
        "{type: integer, maximum: 5, exclusiveMaximum: true}",
        "exclusiveMaximum turned on: the maximum itself is now refused",
        Some("exclusiveMaximum turned off"),
    );
    rule(
        "{type: integer, minimum: 5}",
        "{type: integer, minimum: 5, exclusiveMinimum: true}",
        "exclusiveMinimum turned on: the minimum itself is now refused",
        Some("exclusiveMinimum turned off"),
    );
}

#[test]
fn max_length_lowered_or_added_is_breaking_and_raised_is_safe() {
    rule(
        "{type: string, maxLength: 63}",
        "{type: string, maxLength: 10}",
        "maxLength lowered: 63 → 10",
        Some("maxLength raised: 10 → 63"),
    );
    rule(
        "{type: string}",
        "{type: string, maxLength: 10}",
        "maxLength added: 10",
        Some("maxLength removed (was 10)"),
    );
}

#[test]
fn max_items_lowered_is_breaking_and_raised_is_safe() {
    rule(
        "{type: array, items: {type: string}, maxItems: 8}",
        "{type: array, items: {type: string}, maxItems: 4}",
        "maxItems lowered: 8 → 4",
        Some("maxItems raised: 4 → 8"),
    );
}

#[test]
fn max_properties_added_is_breaking_and_removed_is_safe() {
    rule(
        "{type: object, additionalProperties: {type: string}}",
        "{type: object, additionalProperties: {type: string}, maxProperties: 4}",
        "maxProperties added: 4",
        Some("maxProperties removed (was 4)"),
    );
}

#[test]
fn min_length_raised_is_breaking_and_lowered_is_safe() {
    rule(
        "{type: string, minLength: 1}",
        "{type: string, minLength: 3}",
        "minLength raised: 1 → 3",
        Some("minLength lowered: 3 → 1"),
    );
    // minLength 0 constrains nothing: adding it is no change.
    assert_eq!(
        diff_crd(&with_x("{type: string}"), &with_x("{type: string, minLength: 0}")),
        vec![]
    );
}

#[test]
fn min_items_added_is_breaking_and_removed_is_safe() {
    rule(
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string}, minItems: 1}",
        "minItems added: 1",
        Some("minItems removed (was 1)"),
    );
}

#[test]
fn min_properties_raised_is_breaking() {
    rule(
        "{type: object, additionalProperties: {type: string}, minProperties: 1}",
        "{type: object, additionalProperties: {type: string}, minProperties: 2}",
        "minProperties raised: 1 → 2",
        Some("minProperties lowered: 2 → 1"),
    );
}

#[test]
fn enum_values_removed_are_breaking_and_added_are_safe() {
    rule(
        "{type: string, enum: [a, b, c]}",
        "{type: string, enum: [a, b]}",
        "enum values removed: \"c\"",
        Some("enum values added: \"c\""),
    );
}

#[test]
fn an_enum_added_is_breaking_and_removed_is_safe() {
    rule(
        "{type: string}",
        "{type: string, enum: [a, b]}",
        "enum added: \"a\", \"b\"",
        Some("enum removed"),
    );
}

#[test]
fn a_pattern_added_or_changed_is_breaking_and_removed_is_safe() {
    rule(
        "{type: string}",
        "{type: string, pattern: '^[a-z]+$'}",
        "pattern added: `^[a-z]+$`",
        Some("pattern `^[a-z]+$` removed"),
    );
    rule(
        "{type: string, pattern: '^[a-z]+$'}",
        "{type: string, pattern: '^[a-z]{1,5}$'}",
        "pattern changed: `^[a-z]+$` → `^[a-z]{1,5}$`",
        None,
    );
}

#[test]
fn unique_items_turned_on_is_breaking() {
    rule(
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string}, uniqueItems: true}",
        "uniqueItems turned on",
        Some("uniqueItems turned off"),
    );
}

#[test]
fn multiple_of_added_or_changed_is_breaking_but_a_divisor_is_safe() {
    rule(
        "{type: integer}",
        "{type: integer, multipleOf: 4}",
        "multipleOf added: 4",
        Some("multipleOf removed (was 4)"),
    );
    // 2 → 4 tightens; 4 → 2 (a divisor) loosens.
    rule(
        "{type: integer, multipleOf: 2}",
        "{type: integer, multipleOf: 4}",
        "multipleOf changed: 2 → 4",
        Some("multipleOf changed: 4 → 2"),
    );
}

#[test]
fn a_new_cel_rule_is_breaking_and_a_removed_one_is_safe() {
    rule(
        "{type: integer}",
        "{type: integer, x-kubernetes-validations: [{rule: 'self > 0', message: positive}]}",
        "new CEL rule `self > 0`",
        Some("CEL rule `self > 0` removed"),
    );
}

#[test]
fn a_new_cel_rule_with_optional_old_self_ratchets_and_is_safe() {
    let old = with_x("{type: integer}");
    let new = with_x(
        "{type: integer, x-kubernetes-validations: [{rule: '!has(oldSelf) || self >= oldSelf', optionalOldSelf: true}]}",
    );
    let changes = diff_crd(&old, &new);
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(
        of(&changes, Class::Safe),
        vec![row(
            "v1",
            ".spec.x",
            "new CEL rule `!has(oldSelf) || self >= oldSelf` (optionalOldSelf: true, ratcheting)"
        )]
    );
    // Dropping optionalOldSelf from a released rule stops the ratcheting.
    assert_eq!(
        of(
            &diff_crd(
                &new,
                &with_x("{type: integer, x-kubernetes-validations: [{rule: '!has(oldSelf) || self >= oldSelf'}]}")
            ),
            Class::Breaking
        ),
        vec![row(
            "v1",
            ".spec.x",
            "CEL rule `!has(oldSelf) || self >= oldSelf` no longer ratchets (optionalOldSelf removed)"
        )]
    );
}

#[test]
fn an_unchanged_cel_rule_with_a_new_message_is_no_change() {
    let old = with_x("{type: integer, x-kubernetes-validations: [{rule: 'self > 0', message: positive}]}");
    let new = with_x("{type: integer, x-kubernetes-validations: [{rule: 'self > 0', message: must be positive}]}");
    assert_eq!(diff_crd(&old, &new), vec![]);
}

#[test]
fn a_changed_or_removed_default_is_breaking_and_an_added_one_is_safe() {
    rule(
        "{type: string, default: a}",
        "{type: string, default: b}",
        "default changed: \"a\" → \"b\"",
        None,
    );
    rule(
        "{type: integer, default: 3}",
        "{type: integer}",
        "default removed (was 3)",
        Some("default added: 3 (objects stored without the field get it when read)"),
    );
}

#[test]
fn a_changed_list_type_is_breaking() {
    rule(
        "{type: array, items: {type: string}}",
        "{type: array, items: {type: string}, x-kubernetes-list-type: set}",
        "x-kubernetes-list-type changed: atomic → set",
        None,
    );
    // An absent list type is atomic.
    assert_eq!(
        diff_crd(
            &with_x("{type: array, items: {type: string}}"),
            &with_x("{type: array, items: {type: string}, x-kubernetes-list-type: atomic}")
        ),
        vec![]
    );
}

#[test]
fn changed_list_map_keys_are_breaking() {
    let list = |keys: &str| {
        format!(
            "{{type: array, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [{keys}], \
             items: {{type: object, required: [name, zone], properties: {{name: {{type: string}}, zone: {{type: string}}}}}}}}"
        )
    };
    rule(
        &list("name"),
        &list("name, zone"),
        "x-kubernetes-list-map-keys changed: [name] → [name, zone]",
        None,
    );
}

#[test]
fn a_changed_map_type_is_breaking() {
    rule(
        "{type: object, additionalProperties: {type: string}}",
        "{type: object, additionalProperties: {type: string}, x-kubernetes-map-type: atomic}",
        "x-kubernetes-map-type changed: granular → atomic",
        None,
    );
}

#[test]
fn list_items_and_map_values_have_their_own_paths() {
    let old = with_spec(
        "{type: object, properties: {pools: {type: array, items: {type: object, properties: {count: {type: integer, maximum: 10}}}}, \
         labels: {type: object, additionalProperties: {type: string, maxLength: 63}}, \
         'a.b': {type: string}}}",
    );
    let new = with_spec(
        "{type: object, properties: {pools: {type: array, items: {type: object, properties: {count: {type: integer, maximum: 5}}}}, \
         labels: {type: object, additionalProperties: {type: string, maxLength: 10}}}}",
    );
    let mut got = of(&diff_crd(&old, &new), Class::Breaking);
    got.sort();
    assert_eq!(
        got,
        vec![
            row("v1", ".spec.labels[*]", "maxLength lowered: 63 → 10"),
            row("v1", ".spec.pools[*].count", "maximum lowered: 10 → 5"),
            row("v1", ".spec['a.b']", "field removed"),
        ]
    );
}

#[test]
fn junctor_entries_are_compared_in_step() {
    rule(
        "{type: integer, allOf: [{maximum: 10}]}",
        "{type: integer, allOf: [{maximum: 5}]}",
        "allOf[0]: maximum lowered: 10 → 5",
        Some("allOf[0]: maximum raised: 5 → 10"),
    );
    rule(
        "{type: integer}",
        "{type: integer, oneOf: [{minimum: 1}, {maximum: -1}]}",
        "oneOf changed: [{\"minimum\":1},{\"maximum\":-1}]",
        Some("oneOf removed"),
    );
}

#[test]
fn a_served_version_removed_or_unserved_is_breaking() {
    let two = |v1_served: bool, with_v1: bool| {
        let v1 = if with_v1 {
            format!(
                "  - name: v1\n    served: {v1_served}\n    storage: false\n    schema: {{openAPIV3Schema: {{type: object}}}}\n"
            )
        } else {
            String::new()
        };
        yaml(&format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: widgets.example.com}}\n\
             spec:\n  group: example.com\n  names: {{kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}}\n  \
             scope: Namespaced\n  versions:\n{v1}  - name: v2\n    served: true\n    storage: true\n    \
             schema: {{openAPIV3Schema: {{type: object}}}}\n"
        ))
    };
    let released = two(true, true);
    assert_eq!(
        of(&diff_crd(&released, &two(true, false)), Class::Breaking),
        vec![row("v1", "", "served version removed")]
    );
    assert_eq!(
        of(&diff_crd(&released, &two(false, true)), Class::Breaking),
        vec![row("v1", "", "version no longer served (served: false)")]
    );
    // An unserved version may go: listed, not an error.
    let gone = diff_crd(&two(false, true), &two(false, false));
    assert_eq!(of(&gone, Class::Breaking), vec![]);
    assert_eq!(
        of(&gone, Class::Safe),
        vec![row(
            "v1",
            "",
            "unserved version removed (live clusters' status.storedVersions must not list it)"
        )]
    );
}

/// A CRD with versions v1 (storage when `storage_v1`) and, when `v2` is given, v2 with that
/// `.spec` schema.
fn versions(storage_v1: bool, v2: Option<&str>) -> Value {
    let mut text = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: widgets.example.com}}\n\
         spec:\n  group: example.com\n  names: {{kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}}\n  \
         scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: {storage_v1}\n    \
         schema: {{openAPIV3Schema: {{type: object, properties: {{spec: {{type: object, properties: {{x: {{type: integer}}}}}}}}}}}}\n"
    );
    if let Some(spec) = v2 {
        text.push_str(&format!(
            "  - name: v2\n    served: true\n    storage: {}\n    \
             schema: {{openAPIV3Schema: {{type: object, properties: {{spec: {spec}}}}}}}\n",
            !storage_v1
        ));
    }
    yaml(&text)
}

#[test]
fn a_changed_storage_version_is_breaking() {
    let changes = diff_crd(
        &versions(true, Some("{type: object}")),
        &versions(false, Some("{type: object}")),
    );
    assert_eq!(
        of(&changes, Class::Breaking),
        vec![row("", "", "storage version changed: v1 → v2")]
    );
}

#[test]
fn a_new_version_is_listed_and_not_checked() {
    // v2 drops `x` and requires `y`: it would be breaking against v1, but v2 is new.
    let changes = diff_crd(
        &versions(true, None),
        &versions(
            true,
            Some("{type: object, required: [extra], properties: {extra: {type: string, maxLength: 3}}}"),
        ),
    );
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(
        of(&changes, Class::Safe),
        vec![row("v2", "", "new version (not checked)")]
    );
}

#[test]
fn names_and_scope_changed_are_breaking() {
    let old = with_x("{type: string}");
    let mut new = old.clone();
    new["spec"]["scope"] = "Cluster".into();
    new["spec"]["names"]["kind"] = "Gadget".into();
    new["spec"]["names"]["listKind"] = "GadgetList".into();
    new["spec"]["names"]["singular"] = "gadget".into();
    assert_eq!(
        of(&diff_crd(&old, &new), Class::Breaking),
        vec![
            row("", "", "scope changed: Namespaced → Cluster"),
            row("", "", "kind changed: Widget → Gadget"),
            row("", "", "listKind changed: WidgetList → GadgetList"),
            row("", "", "singular changed: widget → gadget"),
        ]
    );
}

#[test]
fn a_removed_short_name_is_a_warning_and_a_new_one_is_safe() {
    let old = with_x("{type: string}");
    let mut new = old.clone();
    new["spec"]["names"]["shortNames"] = serde_json::json!(["wdg"]);
    let changes = diff_crd(&old, &new);
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(
        of(&changes, Class::Warning),
        vec![row("", "", "short name `wd` removed: `kubectl get wd` stops working")]
    );
    assert_eq!(of(&changes, Class::Safe), vec![row("", "", "new short name `wdg`")]);
    // Categories likewise.
    let mut with_category = old.clone();
    with_category["spec"]["names"]["categories"] = serde_json::json!(["all"]);
    assert_eq!(
        of(&diff_crd(&with_category, &old), Class::Warning),
        vec![row("", "", "category `all` removed: `kubectl get all` stops working")]
    );
    assert_eq!(
        of(&diff_crd(&old, &with_category), Class::Safe),
        vec![row("", "", "new category `all`")]
    );
}

#[test]
fn subresources_and_printer_columns() {
    let base = with_x("{type: string}");
    let mut with_status = base.clone();
    with_status["spec"]["versions"][0]["subresources"] = serde_json::json!({"status": {}});
    assert_eq!(
        of(&diff_crd(&with_status, &base), Class::Breaking),
        vec![row("v1", "", "status subresource removed")]
    );
    let mut with_column = base.clone();
    with_column["spec"]["versions"][0]["additionalPrinterColumns"] =
        serde_json::json!([{"name": "X", "type": "string", "jsonPath": ".spec.x"}]);
    let changes = diff_crd(&base, &with_column);
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(of(&changes, Class::Safe), vec![row("v1", "", "new printer column X")]);
}

/// `crd` with `spec.conversion` set to `conversion` (a YAML flow mapping).
fn converted(mut crd: Value, conversion: &str) -> Value {
    crd["spec"]["conversion"] = yaml(conversion);
    crd
}

/// Webhook conversion to `client_config` (a YAML flow mapping), speaking ConversionReview v1.
fn webhook(client_config: &str) -> String {
    format!("{{strategy: Webhook, webhook: {{clientConfig: {client_config}, conversionReviewVersions: [v1]}}}}")
}

const SERVICE: &str = "{service: {name: webhook-service, namespace: system, path: /convert}}";

/// Two versions, v1 the storage one.
fn two_versions() -> Value {
    versions(true, Some("{type: object}"))
}

#[test]
fn a_removed_conversion_webhook_is_breaking_while_several_versions_are_left() {
    let released = converted(two_versions(), &webhook(SERVICE));
    let message = "conversion webhook removed (strategy Webhook → None): objects stored at one version are served \
                   at another with only apiVersion rewritten";
    // Absent is the API server's default, None.
    for new in [two_versions(), converted(two_versions(), "{strategy: None}")] {
        let changes = diff_crd(&released, &new);
        assert_eq!(of(&changes, Class::Breaking), vec![row("", "", message)]);
        assert!(!changes[0].in_new, "located in the released file");
        assert_eq!(
            changes[0].help.as_deref(),
            Some("keep +kgen:conversion:webhook while the CRD has more than one version")
        );
    }
    // One version left: every stored object is at it, nothing is converted.
    let one = diff_crd(
        &converted(with_x("{type: string}"), &webhook(SERVICE)),
        &with_x("{type: string}"),
    );
    assert_eq!(of(&one, Class::Breaking), vec![]);
    assert_eq!(of(&one, Class::Warning), vec![]);
    assert_eq!(
        of(&one, Class::Safe),
        vec![row(
            "",
            "",
            "conversion webhook removed (one version left: nothing to convert)"
        )]
    );
}

#[test]
fn an_added_conversion_webhook_is_a_warning_while_several_versions_are_served() {
    let changes = diff_crd(&two_versions(), &converted(two_versions(), &webhook(SERVICE)));
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(
        of(&changes, Class::Warning),
        vec![row(
            "",
            "",
            "conversion webhook added: reads at a version other than the stored one fail until it serves"
        )]
    );
    assert_eq!(
        changes[0].help.as_deref(),
        Some("deploy the webhook (with its certificate) before applying this CRD")
    );
    // With one version the webhook is never called.
    let one = diff_crd(
        &with_x("{type: string}"),
        &converted(with_x("{type: string}"), &webhook(SERVICE)),
    );
    assert_eq!(of(&one, Class::Warning), vec![]);
    assert_eq!(of(&one, Class::Safe), vec![row("", "", "conversion webhook added")]);
}

#[test]
fn a_moved_conversion_webhook_is_a_warning() {
    let released = converted(two_versions(), &webhook(SERVICE));
    for (client_config, to) in [
        (
            "{service: {name: other, namespace: system, path: /convert}}",
            "service system/other:443/convert",
        ),
        (
            "{service: {name: webhook-service, namespace: prod, path: /convert}}",
            "service prod/webhook-service:443/convert",
        ),
        (
            "{service: {name: webhook-service, namespace: system, path: /v2/convert}}",
            "service system/webhook-service:443/v2/convert",
        ),
        (
            "{service: {name: webhook-service, namespace: system}}",
            "service system/webhook-service:443",
        ),
        (
            "{service: {name: webhook-service, namespace: system, path: /convert, port: 9443}}",
            "service system/webhook-service:9443/convert",
        ),
        (
            "{url: 'https://hooks.example.com/convert'}",
            "url https://hooks.example.com/convert",
        ),
    ] {
        let changes = diff_crd(&released, &converted(two_versions(), &webhook(client_config)));
        assert_eq!(of(&changes, Class::Breaking), vec![], "{client_config}");
        assert_eq!(
            of(&changes, Class::Warning),
            vec![row(
                "",
                "",
                &format!("conversion webhook moved: service system/webhook-service:443/convert → {to}")
            )],
            "{client_config}"
        );
        assert_eq!(of(&changes, Class::Safe), vec![], "{client_config}");
    }
    // And back from a URL to a service.
    let from_url = converted(two_versions(), &webhook("{url: 'https://hooks.example.com/convert'}"));
    assert_eq!(
        of(&diff_crd(&from_url, &released), Class::Warning),
        vec![row(
            "",
            "",
            "conversion webhook moved: url https://hooks.example.com/convert → service system/webhook-service:443/convert"
        )]
    );
}

#[test]
fn ca_bundle_differences_are_ignored() {
    let service = "{service: {name: webhook-service, namespace: system, path: /convert}, caBundle: Y2VydA==}";
    let injected = converted(two_versions(), &webhook(service));
    let generated = converted(two_versions(), &webhook(SERVICE));
    assert_eq!(diff_crd(&injected, &generated), vec![]);
    assert_eq!(diff_crd(&generated, &injected), vec![]);
    let other = converted(
        two_versions(),
        &webhook("{service: {name: webhook-service, namespace: system, path: /convert}, caBundle: b3RoZXI=}"),
    );
    assert_eq!(diff_crd(&injected, &other), vec![]);
    let url = |ca: &str| {
        converted(
            two_versions(),
            &webhook(&format!("{{url: 'https://h.example.com/c'{ca}}}")),
        )
    };
    assert_eq!(diff_crd(&url(", caBundle: Y2VydA=="), &url("")), vec![]);
}

#[test]
fn port_443_explicit_vs_absent_is_no_change() {
    let explicit = converted(
        two_versions(),
        &webhook("{service: {name: webhook-service, namespace: system, path: /convert, port: 443}}"),
    );
    let absent = converted(two_versions(), &webhook(SERVICE));
    assert_eq!(diff_crd(&explicit, &absent), vec![]);
    assert_eq!(diff_crd(&absent, &explicit), vec![]);
}

#[test]
fn a_removed_conversion_review_version_is_a_warning_and_an_added_one_is_safe() {
    let speaking = |versions: &str| {
        converted(
            two_versions(),
            &format!(
                "{{strategy: Webhook, webhook: {{clientConfig: {SERVICE}, conversionReviewVersions: {versions}}}}}"
            ),
        )
    };
    let changes = diff_crd(&speaking("[v1, v1beta1]"), &speaking("[v1]"));
    assert_eq!(of(&changes, Class::Breaking), vec![]);
    assert_eq!(
        of(&changes, Class::Warning),
        vec![row(
            "",
            "",
            "conversionReviewVersions: `v1beta1` removed: a webhook that only speaks v1beta1 breaks"
        )]
    );
    let back = diff_crd(&speaking("[v1]"), &speaking("[v1, v1beta1]"));
    assert_eq!(of(&back, Class::Warning), vec![]);
    assert_eq!(
        of(&back, Class::Safe),
        vec![row("", "", "conversionReviewVersions: `v1beta1` added")]
    );
}

#[test]
fn a_removed_selectable_field_is_breaking_and_a_new_one_is_safe() {
    let selecting = |paths: &[&str]| {
        let mut crd = with_spec("{type: object, properties: {x: {type: string}, y: {type: string}}}");
        crd["spec"]["versions"][0]["selectableFields"] =
            paths.iter().map(|p| serde_json::json!({"jsonPath": p})).collect();
        crd
    };
    let changes = diff_crd(&selecting(&[".spec.x", ".spec.y"]), &selecting(&[".spec.y"]));
    assert_eq!(
        of(&changes, Class::Breaking),
        vec![row(
            "v1",
            "",
            "selectable field `.spec.x` removed: field selectors on it get 400 Bad Request"
        )]
    );
    assert!(!changes[0].in_new, "located in the released file");
    let back = diff_crd(&selecting(&[".spec.y"]), &selecting(&[".spec.x", ".spec.y"]));
    assert_eq!(of(&back, Class::Breaking), vec![]);
    assert_eq!(
        of(&back, Class::Safe),
        vec![row("v1", "", "new selectable field `.spec.x`")]
    );
    // Compared by jsonPath, not by position.
    assert_eq!(
        diff_crd(&selecting(&[".spec.x", ".spec.y"]), &selecting(&[".spec.y", ".spec.x"])),
        vec![]
    );
}

// The whole check: generated CRDs against a released directory.

const KLUSTER_API: &str = "../examples/kluster/src/api";
const KLUSTER_CRD: &str = "../examples/kluster/config/crd/bases/kgen.dev_klusters.yaml";

/// A released directory holding the kluster CRD edited by `edit`, and a kustomization.yaml.
fn released(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(KLUSTER_CRD).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit applies");
    fs::write(dir.path().join("kgen.dev_klusters.yaml"), edited).unwrap();
    fs::write(
        dir.path().join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [kgen.dev_klusters.yaml]\n",
    )
    .unwrap();
    dir
}

fn check(dir: &Path) -> kgen_build::compat::CompatReport {
    let opts = kgen_build::CrdOptions::new([KLUSTER_API]);
    let out = kgen_build::generate_crds(&opts).unwrap();
    kgen_build::check_compat(&opts, &out, dir).unwrap()
}

#[test]
fn a_crd_no_longer_generated_is_breaking_and_a_new_crd_is_safe() {
    let dir = released(|t| {
        t.replace("klusters.kgen.dev", "gadgets.kgen.dev")
            .replace("plural: klusters", "plural: gadgets")
    });
    let report = check(dir.path());
    let lines: Vec<String> = report.diagnostics().iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        lines,
        vec![format!(
            "breaking change to gadgets.kgen.dev: CRD no longer generated (released in {})",
            dir.path().join("kgen.dev_klusters.yaml").display()
        )]
    );
    assert_eq!(report.safe_lines(), vec!["safe: klusters.kgen.dev: new CRD"]);
    assert_eq!(report.files.len(), 2, "both YAML files were read");
}

#[test]
fn a_tightened_bound_points_at_its_marker_and_a_removed_field_at_the_released_line() {
    let dir = released(|t| {
        t.replacen("maximum: 512", "maximum: 1000", 1).replacen(
            "\n          status:\n",
            "\n          gone:\n            type: string\n          status:\n",
            1,
        )
    });
    let report = check(dir.path());
    let diags = report.diagnostics();
    assert_eq!(diags.len(), 2, "{diags:#?}");
    // Sorted by path: `.gone` before `.spec...`.
    let file = dir.path().join("kgen.dev_klusters.yaml");
    let gone_line = fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l == "          gone:")
        .unwrap()
        + 1;
    let gone = &diags[0];
    assert!(gone.message.contains("v1beta1 `.gone`: field removed"), "{gone}");
    let at = gone.location.as_ref().unwrap();
    assert_eq!((at.file.as_path(), at.line, at.column), (file.as_path(), gone_line, 11));
    assert_eq!(gone.source_line.as_deref(), Some("          gone:"));

    let max = &diags[1];
    assert!(
        max.message
            .contains("v1beta1 `.spec.nodePools[*].count`: maximum lowered: 1000 → 512"),
        "{max}"
    );
    let at = max.location.as_ref().unwrap();
    assert!(at.file.ends_with("examples/kluster/src/api/v1beta1/types.rs"), "{at}");
    assert_eq!(
        max.source_line.as_deref().map(str::trim),
        Some("/// +kubebuilder:validation:Maximum=512")
    );
    assert_eq!(
        max.help.as_deref(),
        Some("serve a new version for this change, or keep the old bound")
    );
}

#[test]
fn a_removed_version_points_at_its_name_in_the_released_file() {
    let dir = released(|t| {
        t.replacen(
            "  versions:\n",
            "  versions:\n  - name: v1alpha0\n    schema:\n      openAPIV3Schema:\n        type: object\n    served: true\n    storage: false\n",
            1,
        )
    });
    let diags = check(dir.path()).diagnostics();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(
        diags[0]
            .message
            .contains("klusters.kgen.dev v1alpha0: served version removed"),
        "{}",
        diags[0]
    );
    let at = diags[0].location.as_ref().unwrap();
    assert!(at.file.ends_with("kgen.dev_klusters.yaml"), "{at}");
    assert_eq!(diags[0].source_line.as_deref(), Some("  - name: v1alpha0"));
    assert_eq!(at.column, 5);
}

#[test]
fn a_moved_conversion_webhook_points_at_its_marker() {
    let dir = released(|t| t.replacen("path: /convert", "path: /old-convert", 1));
    let report = check(dir.path());
    assert!(report.failure().is_none(), "a warning, not an error");
    let diags = report.diagnostics();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(
        diags[0].message.starts_with(
            "klusters.kgen.dev: conversion webhook moved: service system/webhook-service:443/old-convert → \
             service system/webhook-service:443/convert"
        ),
        "{}",
        diags[0]
    );
    let at = diags[0].location.as_ref().unwrap();
    assert!(at.file.ends_with("examples/kluster/src/api/v1beta1/mod.rs"), "{at}");
    assert_eq!(at.line, 7);
    assert_eq!(diags[0].source_line.as_deref(), Some("//! +kgen:conversion:webhook"));
}

#[test]
fn a_removed_selectable_field_points_at_its_released_line() {
    let dir = released(|t| {
        t.replacen(
            "    name: v1beta1\n",
            "    name: v1beta1\n    selectableFields:\n    - jsonPath: .spec.region\n",
            1,
        )
    });
    let report = check(dir.path());
    let diags = report.diagnostics();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(
        diags[0].message.contains(
            "breaking change to klusters.kgen.dev v1beta1: selectable field `.spec.region` removed: \
             field selectors on it get 400 Bad Request"
        ),
        "{}",
        diags[0]
    );
    let file = dir.path().join("kgen.dev_klusters.yaml");
    let line = fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l == "    selectableFields:")
        .unwrap()
        + 2;
    let at = diags[0].location.as_ref().unwrap();
    assert_eq!((at.file.as_path(), at.line, at.column), (file.as_path(), line, 7));
    assert_eq!(diags[0].source_line.as_deref(), Some("    - jsonPath: .spec.region"));
}

#[test]
fn a_removed_conversion_webhook_points_at_its_released_strategy() {
    let text = fs::read_to_string(KLUSTER_CRD).unwrap();
    let mut change = Change::new(Class::Breaking, "conversion webhook removed").gone();
    change.crd = "klusters.kgen.dev".into();
    change.keyword = Some("conversion");
    let at = kgen_build::compat::locate::in_yaml(Path::new(KLUSTER_CRD), &text, &change);
    let line = text.lines().position(|l| l == "    strategy: Webhook").unwrap() + 1;
    assert_eq!((at.line, at.column), (line, 5));
}

#[test]
fn an_unreadable_released_directory_is_an_error() {
    let opts = kgen_build::CrdOptions::new([KLUSTER_API]);
    let out = kgen_build::generate_crds(&opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = kgen_build::check_compat(&opts, &out, &dir.path().join("nope")).unwrap_err();
    assert!(missing.to_string().contains("no such directory"), "{missing}");
    fs::write(dir.path().join("bad.yaml"), "a: [1,\n").unwrap();
    let bad = kgen_build::check_compat(&opts, &out, dir.path()).unwrap_err();
    assert!(bad.to_string().contains("bad.yaml:"), "{bad}");
    assert!(bad.to_string().contains("not valid YAML"), "{bad}");
}

// The CLI.

fn kgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kgen"))
        .args(args)
        .output()
        .expect("kgen runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `kgen crd` on the Kluster API with `output` (`--stdout`, or `--out DIR` and maybe `--check`),
/// compared with the released CRDs in `released`.
fn kluster_crd_against(output: &[&str], released: &str) -> Output {
    let mut args = vec!["crd", "--paths", KLUSTER_API];
    args.extend_from_slice(output);
    args.extend(["--compat-with", released]);
    kgen(&args)
}

#[test]
fn cli_breaking_change_exits_1_and_writes_nothing() {
    let rel = released(|t| t.replacen("maximum: 512", "maximum: 1000", 1));
    let rel_path = rel.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("bases");
    let out_path = out_dir.to_str().unwrap();
    let o = kluster_crd_against(&["--out", out_path], rel_path);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("error: breaking change to klusters.kgen.dev v1beta1 `.spec.nodePools[*].count`: maximum lowered: 1000 → 512"),
        "{err}"
    );
    assert!(err.contains("examples/kluster/src/api/v1beta1/types.rs:"), "{err}");
    assert!(
        err.contains("= help: serve a new version for this change, or keep the old bound"),
        "{err}"
    );
    assert!(err.contains("no files were written"), "{err}");
    assert!(!out_dir.exists(), "nothing written");

    // --stdout prints no CRD, --check compares nothing: both fail the same way.
    let o = kluster_crd_against(&["--stdout"], rel_path);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "");
    let o = kluster_crd_against(&["--out", out_path, "--check"], rel_path);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("maximum lowered: 1000 → 512"));
    assert!(!out_dir.exists());
}

#[test]
fn cli_safe_changes_are_listed_and_the_files_written() {
    let rel = released(|t| t.replacen("maximum: 512", "maximum: 100", 1));
    let out = tempfile::tempdir().unwrap();
    let o = kluster_crd_against(&["--out", out.path().to_str().unwrap()], rel.path().to_str().unwrap());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("safe: klusters.kgen.dev v1beta1 `.spec.nodePools[*].count`: maximum raised: 100 → 512\n"),
        "{err}"
    );
    assert!(err.contains("compatible with the 2 released CRD file(s)"), "{err}");
    assert!(out.path().join("kgen.dev_klusters.yaml").exists());
}

#[test]
fn cli_conversion_warnings_exit_0_and_breaking_selectable_fields_exit_1() {
    let rel = released(|t| t.replacen("name: webhook-service", "name: old-webhook-service", 1));
    let out = tempfile::tempdir().unwrap();
    let o = kluster_crd_against(&["--out", out.path().to_str().unwrap()], rel.path().to_str().unwrap());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "warning: klusters.kgen.dev: conversion webhook moved: service system/old-webhook-service:443/convert → \
             service system/webhook-service:443/convert"
        ),
        "{err}"
    );
    assert!(err.contains("examples/kluster/src/api/v1beta1/mod.rs:7:"), "{err}");
    assert!(out.path().join("kgen.dev_klusters.yaml").exists());

    let rel = released(|t| {
        t.replacen(
            "    name: v1alpha1\n",
            "    name: v1alpha1\n    selectableFields:\n    - jsonPath: .spec.region\n",
            1,
        )
    });
    let o = kluster_crd_against(&["--stdout"], rel.path().to_str().unwrap());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr)
            .contains("error: breaking change to klusters.kgen.dev v1alpha1: selectable field `.spec.region` removed"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn cli_output_is_deterministic() {
    let rel = released(|t| {
        t.replacen("maximum: 512", "maximum: 1000", 1)
            .replacen("minLength: 1", "minLength: 0", 1)
            .replacen("- kl\n", "- kl\n    - klu\n", 1)
    });
    let run = || {
        let o = kluster_crd_against(&["--stdout"], rel.path().to_str().unwrap());
        text(&o.stderr)
    };
    let first = run();
    assert!(first.contains("short name `klu` removed"), "{first}");
    assert_eq!(first, run());
}

// The Builder.

#[test]
fn builder_compat_with_fails_the_build_and_writes_nothing() {
    let rel = released(|t| t.replacen("maximum: 512", "maximum: 1000", 1));
    let out = tempfile::tempdir().unwrap();
    let (rust_dir, crd_dir) = (out.path().join("rust"), out.path().join("crds"));
    let err = kgen_build::Builder::new()
        .paths([KLUSTER_API])
        .out_dir(&rust_dir)
        .crd_out_dir(&crd_dir)
        .emit_rerun_if_changed(false)
        .compat_with(rel.path())
        .generate()
        .unwrap_err();
    assert!(matches!(err, kgen_build::builder::BuildError::Compat(_)));
    assert!(err.to_string().contains("maximum lowered: 1000 → 512"), "{err}");
    assert!(!rust_dir.exists() && !crd_dir.exists(), "nothing written");

    // Compatible: the build goes on.
    let same = released(|t| t.replacen("maximum: 512", "maximum: 100", 1));
    kgen_build::Builder::new()
        .paths([KLUSTER_API])
        .out_dir(&rust_dir)
        .emit_rerun_if_changed(false)
        .compat_with(same.path())
        .generate()
        .unwrap();
    assert!(kgen_build::builder::generated_file(&rust_dir).exists());
}

#[test]
fn a_crd_embedding_kubernetes_types_compares_with_itself() {
    let opts = kgen_build::CrdOptions::new(["../examples/podset/src/api"]);
    let out = kgen_build::generate_crds(&opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    kgen_build::output::write_files(dir.path(), &out.files).unwrap();
    let report = kgen_build::check_compat(&opts, &out, dir.path()).unwrap();
    assert_eq!(report.changes, vec![]);
}

#[test]
fn released_crds_nesting_deeper_than_64_yaml_levels_are_read() {
    // 60 nested objects: 120 YAML levels of `properties` and names, beyond serde-saphyr's default 64.
    let mut schema = serde_json::json!({"type": "string"});
    for _ in 0..60 {
        schema = serde_json::json!({"type": "object", "properties": {"a": schema}});
    }
    let mut crd = with_x("{type: string}");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = schema;
    let dir = tempfile::tempdir().unwrap();
    // JSON is YAML.
    let crd = serde_json::to_string(&crd).unwrap();
    fs::write(dir.path().join("deep.yaml"), crd).unwrap();
    let set = kgen_build::compat::released::load_dir(dir.path()).unwrap();
    assert_eq!(set.crds.len(), 1);
    assert_eq!(diff_crd(&set.crds[0].value, &set.crds[0].value), vec![]);
}
