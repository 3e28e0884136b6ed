//! Validation failures of custom resources worded, ordered and coded as the API server reports
//! them: the 422 `Invalid` status message, and its causes (reason, field, message) in the order
//! the API server produces them.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
    use serde_json::{Value, json};

    const ORDER_CRD: &str = r#"{
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "orders.shop.kgen.dev"},
        "spec": {
            "group": "shop.kgen.dev",
            "names": {"kind": "Order", "plural": "orders"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["customer"],
                        "x-kubernetes-validations": [{
                            "rule": "!has(self.discount) || self.discount <= 50 || (has(self.priority) && self.priority == 'High')",
                            "message": "big discounts need High priority"
                        }],
                        "properties": {
                            "customer": {"type": "string", "maxLength": 8},
                            "discount": {"type": "integer", "minimum": 0, "maximum": 100},
                            "priority": {"type": "string", "enum": ["Low", "Normal", "High"]},
                            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                            "note": {"type": "string", "minLength": 2},
                            "quantity": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "multipleOf": 5},
                            "price": {"type": "number", "maximum": 1000, "exclusiveMaximum": true},
                            "items": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "string"}},
                            "labels": {"type": "object", "minProperties": 1, "maxProperties": 2,
                                       "additionalProperties": {"type": "string"}},
                            "placed": {"type": "string", "format": "date-time"},
                            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                            "lines": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["sku"],
                                      "items": {"type": "object", "required": ["sku"],
                                                "properties": {"sku": {"type": "string"}, "count": {"type": "integer"}}}}
                        }
                    }
                }
            }}}]
        }
    }"#;

    fn orders() -> (FakeApiServer, Api<DynamicObject>) {
        let server = FakeApiServer::new().with_crd(serde_json::from_str::<Value>(ORDER_CRD).unwrap());
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("shop.kgen.dev", "v1", "Order"));
        let api = Api::namespaced_with(server.client(), "default", &ar);
        (server, api)
    }

    fn order(spec: Value) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "shop.kgen.dev/v1", "kind": "Order", "metadata": {"name": "o"}, "spec": spec
        }))
        .unwrap()
    }

    /// Creates an order that must be refused: its status message and causes.
    async fn refused(api: &Api<DynamicObject>, spec: Value) -> (String, Vec<(String, String, String)>) {
        let e = api_error(api.create(&PostParams::default(), &order(spec)).await);
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"), "{e:?}");
        let d = e.details.expect("details");
        assert_eq!(
            (d.name.as_str(), d.group.as_str(), d.kind.as_str()),
            ("o", "shop.kgen.dev", "Order")
        );
        let causes = d.causes.into_iter().map(|c| (c.reason, c.field, c.message)).collect();
        (e.message, causes)
    }

    fn cause(reason: &str, field: &str, message: &str) -> (String, String, String) {
        (reason.into(), field.into(), message.into())
    }

    const SKIPPED: &str = "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

    #[tokio::test]
    async fn one_error() {
        let (_s, api) = orders();
        let (message, causes) = refused(&api, json!({"customer": "ann", "discount": 150, "priority": "High"})).await;
        assert_eq!(
            message,
            "Order.shop.kgen.dev \"o\" is invalid: spec.discount: Invalid value: 150: spec.discount in body should be less than or equal to 100"
        );
        assert_eq!(
            causes,
            [cause(
                "FieldValueInvalid",
                "spec.discount",
                "Invalid value: 150: spec.discount in body should be less than or equal to 100"
            )]
        );
    }

    #[tokio::test]
    async fn several_errors_are_bracketed_and_cel_runs_after_non_blocking_ones() {
        let (_s, api) = orders();
        let (message, causes) = refused(&api, json!({"customer": "ann", "discount": 150})).await;
        assert_eq!(
            message,
            "Order.shop.kgen.dev \"o\" is invalid: [spec.discount: Invalid value: 150: spec.discount in body should be less than or equal to 100, \
             spec: Invalid value: \"object\": big discounts need High priority]"
        );
        assert_eq!(causes.len(), 2);
        assert_eq!(
            causes[1],
            cause(
                "FieldValueInvalid",
                "spec",
                "Invalid value: \"object\": big discounts need High priority"
            )
        );
    }

    #[tokio::test]
    async fn enum_required_and_type_errors_skip_the_cel_rules() {
        let (_s, api) = orders();
        let (message, causes) = refused(&api, json!({"customer": "ann", "priority": "x"})).await;
        assert_eq!(
            message,
            format!(
                "Order.shop.kgen.dev \"o\" is invalid: [spec.priority: Unsupported value: \"x\": supported values: \"Low\", \"Normal\", \"High\", <nil>: {SKIPPED}]"
            )
        );
        assert_eq!(
            causes,
            [
                cause(
                    "FieldValueNotSupported",
                    "spec.priority",
                    "Unsupported value: \"x\": supported values: \"Low\", \"Normal\", \"High\""
                ),
                cause("FieldValueInvalid", "<nil>", SKIPPED),
            ]
        );

        let (_, causes) = refused(&api, json!({"discount": 3})).await;
        assert_eq!(
            causes,
            [
                cause("FieldValueRequired", "spec.customer", "Required value"),
                cause("FieldValueInvalid", "<nil>", SKIPPED)
            ]
        );

        let (message, causes) = refused(&api, json!({"customer": "ann", "discount": "string"})).await;
        assert!(
            message.starts_with(
                "Order.shop.kgen.dev \"o\" is invalid: [spec.discount: Invalid value: \"string\": spec.discount in body must be of type integer: \"string\", "
            ),
            "{message}"
        );
        assert_eq!(
            causes[0],
            cause(
                "FieldValueTypeInvalid",
                "spec.discount",
                "Invalid value: \"string\": spec.discount in body must be of type integer: \"string\""
            )
        );
    }

    #[tokio::test]
    async fn every_openapi_validation_in_the_api_servers_order() {
        let (_s, api) = orders();
        let (_, causes) = refused(
            &api,
            json!({
                "customer": "a-very-long-name",
                "discount": -1,
                "priority": "Low",
                "code": "abc",
                "note": "x",
                "quantity": 7,
                "price": 1000,
                "items": ["a", "b", "c", "d"],
                "labels": {"a": "1", "b": "2", "c": "3"},
                "placed": "yesterday",
                "tags": ["x", "y", "x", "x"],
                "lines": [{"sku": "s1"}, {"sku": "s1", "count": 2}]
            }),
        )
        .await;
        // Properties in key order (the API server's walk of a Go map has none), each with its
        // checks in kube-openapi's order; list-type duplicates after every OpenAPI error, each
        // repeated value once; then the CEL rules are skipped.
        assert_eq!(
            causes,
            [
                cause(
                    "FieldValueInvalid",
                    "spec.code",
                    "Invalid value: \"abc\": spec.code in body should match '^[A-Z]{3}$'"
                ),
                cause(
                    "FieldValueTooLong",
                    "spec.customer",
                    "Too long: may not be more than 8 bytes"
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.discount",
                    "Invalid value: -1: spec.discount in body should be greater than or equal to 0"
                ),
                cause(
                    "FieldValueTooMany",
                    "spec.items",
                    "Too many: 4: must have at most 3 items"
                ),
                cause(
                    "FieldValueTooMany",
                    "spec.labels",
                    "Too many: 3: must have at most 2 items"
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.note",
                    "Invalid value: \"x\": spec.note in body should be at least 2 chars long"
                ),
                cause(
                    "FieldValueTypeInvalid",
                    "spec.placed",
                    "Invalid value: \"yesterday\": spec.placed in body must be of type date-time: \"yesterday\""
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.price",
                    "Invalid value: 1000: spec.price in body should be less than 1000"
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.quantity",
                    "Invalid value: 7: spec.quantity in body should be a multiple of 5"
                ),
                cause(
                    "FieldValueDuplicate",
                    "spec.lines[1]",
                    "Duplicate value: map[string]interface {}{\"sku\":\"s1\"}"
                ),
                cause("FieldValueDuplicate", "spec.tags[2]", "Duplicate value: \"x\""),
                cause("FieldValueInvalid", "<nil>", SKIPPED),
            ]
        );
    }

    #[tokio::test]
    async fn minimum_bounds_and_small_collections() {
        let (_s, api) = orders();
        let (_, causes) = refused(
            &api,
            json!({"customer": "ann", "quantity": 0, "items": [], "labels": {}}),
        )
        .await;
        assert_eq!(
            causes,
            [
                cause(
                    "FieldValueInvalid",
                    "spec.items",
                    "Invalid value: 0: spec.items in body should have at least 1 items"
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.labels",
                    "Invalid value: 0: spec.labels in body should have at least 1 properties"
                ),
                cause(
                    "FieldValueInvalid",
                    "spec.quantity",
                    "Invalid value: 0: spec.quantity in body should be greater than 0"
                ),
            ]
        );
    }

    #[tokio::test]
    async fn an_invalid_name_is_reported_with_the_schema_errors() {
        let (_s, api) = orders();
        let mut o = order(json!({"customer": "ann", "discount": 101, "priority": "High"}));
        o.metadata.name = Some("Bad_Name".into());
        let e = api_error(api.create(&PostParams::default(), &o).await);
        let d = e.details.unwrap();
        let fields: Vec<&str> = d.causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["metadata.name", "spec.discount"]);
        assert_eq!(
            d.causes[0].message,
            "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
             '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation \
             is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
    }
}
