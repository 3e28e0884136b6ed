//! One snapshot per error message: every fixture under `tests/fixtures/errors/` must fail with
//! located, readable errors, and `kgen crd` must write nothing for it.

use kgen_build::CrdOptions;
use std::path::Path;

/// Runs `kgen crd` on one fixture and returns the rendered diagnostics.
fn errors_of(name: &str) -> String {
    let path = Path::new("tests/fixtures/errors").join(format!("{name}.rs"));
    let failed = match kgen_build::generate_crds(&CrdOptions::new([&path])) {
        Ok(out) => panic!("{name}: expected errors, got {} CRD(s)", out.crds.len()),
        Err(f) => f,
    };
    let shown = path.display().to_string();
    let errors: Vec<_> = failed.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(!errors.is_empty(), "{name}: no error diagnostics");
    for e in &errors {
        let loc = e
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: error without a location: {e}"));
        assert_eq!(
            loc.file.display().to_string(),
            shown,
            "{name}: error points at another file"
        );
        assert!(loc.line >= 1 && loc.column >= 1);
    }
    failed.to_string()
}

/// Runs `kgen client` on one fixture whose CRDs are fine and whose generated code cannot be made.
fn codegen_errors_of(name: &str) -> String {
    let path = Path::new("tests/fixtures/errors").join(format!("{name}.rs"));
    if let Err(f) = kgen_build::generate_crds(&CrdOptions::new([&path])) {
        panic!("{name}: the CRDs should build: {f}");
    }
    match kgen_build::generate_rust(&CrdOptions::new([&path]), &Default::default()) {
        Ok(_) => panic!("{name}: expected errors from code generation"),
        Err(f) => {
            assert!(
                f.diagnostics.iter().all(|d| d.location.is_some()),
                "{name}: unlocated error"
            );
            f.to_string()
        }
    }
}

#[test]
fn conversion_fields_differ() {
    insta::assert_snapshot!(
        "conversion_fields_differ",
        codegen_errors_of("conversion_fields_differ")
    );
}

macro_rules! error_case {
    ($name:ident) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), errors_of(stringify!($name)));
        }
    };
}

error_case!(attr_unknown);
error_case!(bad_cel);
error_case!(bad_enum_word);
error_case!(bad_pattern);
error_case!(conversion_webhook_bad_args);
error_case!(default_not_in_enum);
error_case!(default_out_of_range);
error_case!(duplicate_json_name);
error_case!(fractional_integer_bound);
error_case!(genclient_bad_method);
error_case!(genclient_bad_verbs);
error_case!(genclient_scope_mismatch);
error_case!(genclient_without_genclient);
error_case!(generic_type);
error_case!(invalid_group);
error_case!(invalid_version_name);
error_case!(items_on_non_array);
error_case!(list_map_key_missing);
error_case!(list_map_key_optional);
error_case!(map_key_not_string);
error_case!(marker_type_mismatch);
error_case!(missing_argument);
error_case!(mixed_enum);
error_case!(no_storage_version);
error_case!(not_a_kind);
error_case!(parse_error);
error_case!(plain_comment_marker);
error_case!(printcolumn_bad_path);
error_case!(recursive_type);
error_case!(repeated_marker);
error_case!(scale_bad_path);
error_case!(selectable_not_scalar);
error_case!(tagged_enum_conflict);
error_case!(transition_rule_under_list);
error_case!(two_storage_versions);
error_case!(union_required_member);
error_case!(unique_items);
error_case!(unknown_argument);
error_case!(unknown_external_type);
error_case!(unknown_local_type);
error_case!(unknown_marker);
error_case!(untagged_enum);
error_case!(wrong_target);
error_case!(wrong_value_type);
error_case!(tuple_field_marker);
error_case!(date_time_non_ascii);
error_case!(genclient_method_name);
error_case!(invalid_group_go_name);
error_case!(misspelled_package_marker);
error_case!(type_nested_too_deep);
error_case!(marker_value_too_deep);
error_case!(cel_unknown_field);
error_case!(cel_type_mismatch);
error_case!(cel_cost_over_budget);
error_case!(cel_regex_literal);
error_case!(cel_parser_stack);
error_case!(pattern_repeat_count);
error_case!(default_fails_rule);
