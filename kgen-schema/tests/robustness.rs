//! Values from user input never panic the validator.

use kgen_schema::Schema;
use kgen_schema::validate::validate_value;
use serde_json::json;

#[test]
fn non_ascii_date_times_are_invalid_not_a_panic() {
    let schema: Schema = serde_json::from_value(json!({"type": "string", "format": "date-time"})).unwrap();
    for bad in [
        "2024-01-01T00:00:0é",
        "2024-01-01T00:00:00é",
        "2024-01-01T00:0é:00Z",
        "2024-01-01T00:00:00+0é:00",
        "2024-01-01T00:00:00.1é",
        "2024-01-01T日本語",
        "2024-01-01TZZZZZZZZ€",
        "é",
    ] {
        let errors = validate_value(&schema, &json!(bad));
        assert_eq!(errors.len(), 1, "{bad}: {errors:?}");
        assert!(
            errors[0].message.starts_with("must be a date-time"),
            "{bad}: {}",
            errors[0].message
        );
    }
    assert!(validate_value(&schema, &json!("2024-01-01T00:00:00Z")).is_empty());
}
