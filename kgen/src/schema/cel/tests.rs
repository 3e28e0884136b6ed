//! Rules checked against small schemas: what compiles, the API server's messages for what does
//! not, and costs against the limits.

use super::*;
use crate::schema::Schema;

fn string(max_length: Option<i64>) -> Schema {
    Schema {
        max_length,
        ..Schema::typed("string")
    }
}

fn list(items: Schema, max_items: Option<i64>) -> Schema {
    Schema {
        items: Some(Box::new(items)),
        max_items,
        ..Schema::typed("array")
    }
}

fn object(props: Vec<(&str, Schema)>) -> Schema {
    Schema {
        properties: props.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Schema::typed("object")
    }
}

/// A spec with a bounded name, an unbounded note, replicas, a bounded list of bounded strings, an
/// unbounded list of unbounded strings, a map, a quantity-like int-or-string and a timestamp.
fn spec() -> Schema {
    let mut labels = Schema::typed("object");
    labels.additional_properties = Some(Box::new(string(Some(63))));
    labels.max_properties = Some(10);
    let mut qty = Schema::int_or_string();
    qty.int_or_string = Some(true);
    let mut s = object(vec![
        ("name", string(Some(63))),
        ("note", string(None)),
        ("replicas", Schema::typed("integer")),
        ("ratio", Schema::typed("number")),
        ("tags", list(string(Some(10)), Some(20))),
        ("hosts", list(string(None), None)),
        ("labels", labels),
        ("size", qty),
        (
            "when",
            Schema {
                format: Some("date-time".into()),
                ..Schema::typed("string")
            },
        ),
        ("my-field", Schema::typed("boolean")),
    ]);
    s.required = vec!["name".into()];
    s
}

fn compile_at(rule: &str, node: &Schema, minor: u32) -> Compiled {
    let r = Rule {
        rule: rule.into(),
        ..Default::default()
    };
    compile(
        &r,
        &Site {
            node,
            resource_root: false,
            cardinality: Some(1),
            minor,
        },
    )
}

fn errors(rule: &str) -> Vec<String> {
    compile_at(rule, &spec(), 37).errors
}

#[test]
fn well_typed_rules_compile() {
    for ok in [
        "self.replicas >= 0",
        "has(self.note) || self.name.startsWith('a')",
        "self.tags.all(t, t.size() < 5)",
        "self.tags.exists(t, t == self.name)",
        "self.labels.all(k, self.labels[k].size() > 0)",
        "'app' in self.labels",
        "type(self.size) == string ? self.size.endsWith('%') : self.size < 100",
        "self.when < timestamp('2030-01-01T00:00:00Z')",
        "self.name.matches('^[a-z]+$') && self.name.lowerAscii() == self.name",
        "self.tags.map(t, t.size()).all(n, n > 0)",
        "self.tags.filter(t, t.startsWith('x')).size() <= 3",
        "self.my__dash__field == true",
        "self.replicas > 1.5",
        "self.?note.orValue('') == ''",
        "quantity('1Gi').isGreaterThan(quantity('1Mi'))",
        "isURL('https://x') && url('https://x').getHost() == 'x'",
        "[1, 2, 3].sum() == 6 && ['a'].join(',') == 'a'",
        "self.name.split('-').size() < 4",
        "sets.contains(self.tags, ['a'])",
        "self.replicas == oldSelf.replicas",
        "size(self.tags) == self.tags.size()",
        "int(self.ratio) == self.replicas && string(self.replicas) != ''",
        "dyn(self.replicas) == 1",
    ] {
        let e = errors(ok);
        assert!(e.is_empty(), "{ok}: {e:?}");
    }
}

#[test]
fn unknown_fields_and_identifiers_fail_as_the_api_server_reports_them() {
    assert_eq!(
        errors("self.nope == 1"),
        ["compilation failed: ERROR: <input>:1:5: undefined field 'nope'"]
    );
    assert_eq!(
        errors("has(self.nope)"),
        ["compilation failed: ERROR: <input>:1:9: undefined field 'nope'"]
    );
    assert!(errors("nope > 1")[0].contains("undeclared reference to 'nope' (in container '')"));
    assert!(errors("self.name.nofunc()")[0].contains("undeclared reference to 'nofunc'"));
}

#[test]
fn type_mismatches_find_no_overload() {
    assert!(
        errors("self.name + 1 == 'x'")[0].contains("found no matching overload for '_+_' applied to '(string, int)'")
    );
    assert!(errors("self.name.all(c, c == 'a')")[0].contains("cannot be range of a comprehension"));
    assert!(errors("self.name == 1")[0].contains("found no matching overload for '_==_' applied to '(string, int)'"));
    assert!(errors("self.replicas.startsWith('a')")[0].contains("applied to 'int.(string)'"));
    assert!(errors("[1, 'a'].size() == 2")[0].contains("expected type 'int' but found 'string'"));
}

#[test]
fn rules_must_be_bool_and_message_expressions_string() {
    assert_eq!(
        errors("self.replicas"),
        ["cel expression must evaluate to a bool, but it is int"]
    );
    assert_eq!(
        errors("self.size"),
        ["cel expression must evaluate to a bool, but it is dyn"]
    );
    let r = Rule {
        rule: "true".into(),
        message_expression: Some("self.replicas".into()),
        ..Default::default()
    };
    let node = spec();
    let c = compile(
        &r,
        &Site {
            node: &node,
            resource_root: false,
            cardinality: Some(1),
            minor: 37,
        },
    );
    assert_eq!(
        c.errors,
        ["messageExpression messageExpression must evaluate to a string, but it is int"]
    );
}

#[test]
fn libraries_follow_the_target_version() {
    let node = spec();
    assert!(compile_at("isIP('1.2.3.4')", &node, 31).errors.is_empty());
    let old = compile_at("isIP('1.2.3.4')", &node, 30).errors;
    assert!(old[0].contains("needs 1.31 or later"), "{old:?}");
    assert!(compile_at("isSemver('1.0.0')", &node, 33).errors[0].contains("needs 1.34"));
    assert!(compile_at("self.replicas > 1.5", &node, 28).errors[0].contains("needs 1.29"));
}

#[test]
fn resource_roots_see_type_and_object_meta() {
    let mut root = object(vec![("spec", spec())]);
    root.properties.insert("metadata".into(), Schema::typed("object"));
    let r = Rule {
        rule: "self.metadata.name.size() < 20 && self.kind == 'X' && self.spec.replicas > 0".into(),
        ..Default::default()
    };
    let c = compile(
        &r,
        &Site {
            node: &root,
            resource_root: true,
            cardinality: Some(1),
            minor: 37,
        },
    );
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let r = Rule {
        rule: "self.metadata.labels.size() > 0".into(),
        ..Default::default()
    };
    let c = compile(
        &r,
        &Site {
            node: &root,
            resource_root: true,
            cardinality: Some(1),
            minor: 37,
        },
    );
    assert!(c.errors[0].contains("undefined field 'labels'"), "{:?}", c.errors);
}

#[test]
fn costs_follow_cel_go_and_the_schema_bounds() {
    let node = spec();
    let cost = |rule: &str| compile_at(rule, &node, 37).rule_cost.unwrap();
    // ident 1 + select 1, literal 0, comparison 1.
    assert_eq!(cost("self.replicas >= 0"), 3);
    // 20 bounded tags: range (2) + 20 × (loop condition 2 + step ((size 3) + 1 compare + 1 or))...
    let bounded = cost("self.tags.all(t, t.size() < 5)");
    assert!(bounded < 200, "{bounded}");
    // An unbounded list of unbounded strings compared to each other is far over the limit.
    let unbounded = cost("self.hosts.all(a, self.hosts.all(b, a == b))");
    assert!(unbounded > PER_RULE_LIMIT, "{unbounded}");
    // matches() on an unbounded string costs its length × the pattern's.
    let m = cost("self.note.matches('^[a-z]+$')");
    assert_eq!(
        m,
        by_hand_matches((decl::MAX_REQUEST_SIZE - 2) as u64, "^[a-z]+$".len() as u64)
    );
}

fn by_hand_matches(len: u64, pattern_len: u64) -> u64 {
    let str_cost = ((len + 1) as f64 * 0.1).ceil() as u64;
    let re_cost = (pattern_len as f64 * 0.25).ceil() as u64;
    // + ident and select of self.note, + 0 for the literal.
    str_cost * re_cost + 2
}

#[test]
fn unbounded_cardinality_multiplies() {
    let node = spec();
    let r = Rule {
        rule: "self.replicas >= 0".into(),
        ..Default::default()
    };
    let c = compile(
        &r,
        &Site {
            node: &node,
            resource_root: false,
            cardinality: None,
            minor: 37,
        },
    );
    let root = decl::decl(&node, false).unwrap();
    assert_eq!(c.rule_cost, Some(3 * max_cardinality(root.min_size)));
}

#[test]
fn over_budget_wording() {
    assert!(over_budget("estimated rule cost", 12_000_000, PER_RULE_LIMIT).contains("factor of 1.200000x"));
    assert!(over_budget("estimated rule cost", 30_000_000, PER_RULE_LIMIT).contains("factor of 3.0x"));
    assert!(over_budget("estimated rule cost", u64::MAX, PER_RULE_LIMIT).contains("more than 100x"));
}

#[test]
fn malformed_rules_do_not_exhaust_the_stack() {
    // Found by tests/mutation_fuzz.rs: the cel crate's parser overflowed a 2 MiB stack on this.
    let src = "'got %d'.formrmat([st([elf.remat([st([elf.repIicasat([st([elfpIicasat([st([elf.repIicas])";
    let r = Rule {
        rule: src.into(),
        message_expression: Some(src.into()),
        ..Default::default()
    };
    let node = spec();
    let c = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            compile(
                &r,
                &Site {
                    node: &node,
                    resource_root: false,
                    cardinality: Some(1),
                    minor: 37,
                },
            )
        })
        .unwrap()
        .join()
        .unwrap();
    // It does not parse; the structural checker reports that, compile reports nothing more.
    assert!(c.errors.is_empty() && c.rule_cost.is_none(), "{c:?}");
}

#[test]
fn regex_literals_are_checked_in_gos_dialect() {
    let bad = errors("self.name.matches('a{1001}')");
    assert!(
        bad[0].contains("invalid matches argument: error parsing regexp: invalid repeat count"),
        "{bad:?}"
    );
    assert!(errors("self.name.matches('^[a-z]+$')").is_empty());
    // Before the validator (new rules of a 1.29 server get the 1.28 environment) it is not checked.
    assert!(
        compile_at("self.name.matches('a{1001}')", &spec(), 28)
            .errors
            .is_empty()
    );
}

#[test]
fn fields_select_through_an_optional_old_self() {
    let r = |rule: &str| Rule {
        rule: rule.into(),
        optional_old_self: Some(true),
        ..Default::default()
    };
    let site = Site {
        node: &spec(),
        resource_root: false,
        cardinality: Some(1),
        minor: 37,
    };
    for ok in [
        "oldSelf.name.orValue(self.name) == self.name",
        "!has(oldSelf.note) || oldSelf.note.hasValue()",
        "!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas",
        "oldSelf.?name.orValue('') != 'x'",
        "oldSelf.tags.orValue([]).size() <= self.tags.size()",
    ] {
        let e = compile(&r(ok), &site).errors;
        assert!(e.is_empty(), "{ok}: {e:?}");
    }
    let e = compile(&r("self.name == oldSelf.name"), &site).errors;
    assert!(
        e[0].contains("found no matching overload for '_==_' applied to '(string, optional_type(string))'"),
        "{e:?}"
    );
    let e = compile(&r("oldSelf.nope.hasValue()"), &site).errors;
    assert!(e[0].contains("undefined field 'nope'"), "{e:?}");
}
