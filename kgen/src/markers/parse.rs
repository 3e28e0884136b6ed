//! Parsing one doc-comment marker line (`+name:args`) against the registry.

use super::grammar::{GrammarError, Scanner};
use super::registry::{MarkerDef, Registry, Shape};
use super::{Marker, Spelling};
use crate::diag::{Diagnostic, Location};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a `+word` doc line turned out to be.
#[derive(Debug)]
pub enum DocLine {
    /// A registered marker, parsed and type-checked.
    Marker(Marker),
    /// A `+word` outside every prefix kgen owns (e.g. `+operator-sdk:csv`): stripped from
    /// the description with a warning.
    Foreign(String),
    /// A marker under a known prefix that is misspelled or malformed.
    Invalid(Diagnostic),
}

/// Parses `text` (starting with `+`), written at `location` (the location of the `+`).
pub fn parse_doc_marker(text: &str, location: &Location) -> DocLine {
    let body = text.strip_prefix('+').unwrap_or(text).trim_end();
    let (name, rest, rest_offset) = match body.find('=') {
        Some(i) => (&body[..i], Some(&body[i + 1..]), i + 2),
        None => (body, None, 0),
    };
    let reg = Registry::global();
    if let Some(def) = reg.by_name(name) {
        return finish(def, rest.map(|r| (r.to_string(), rest_offset)), location, text);
    }
    // controller-gen's rule: the last colon segment may be the first argument's name
    // (`+kubebuilder:printcolumn:name="Age",...`).
    if let Some(colon) = name.rfind(':') {
        let head = &name[..colon];
        if let Some(def) = reg.by_name(head)
            && matches!(def.shape, Shape::Args { .. })
        {
            let arg_text = match rest {
                Some(r) => format!("{}={}", &name[colon + 1..], r),
                None => name[colon + 1..].to_string(),
            };
            return finish(def, Some((arg_text, colon + 2)), location, text);
        }
    }
    if !Registry::is_known_prefix(name) {
        return DocLine::Foreign(text.to_string());
    }
    let mut d = Diagnostic::error(location.clone(), format!("unknown marker `+{name}`"));
    if let Some(s) = reg.suggest_name(name) {
        d = d.with_help(format!("did you mean `+{s}`? (see `kgen markers`)"));
    } else {
        d = d.with_help("run `kgen markers` for the list of markers");
    }
    DocLine::Invalid(d)
}

fn finish(def: &'static MarkerDef, rest: Option<(String, usize)>, location: &Location, text: &str) -> DocLine {
    match parse_args(def, rest.as_ref().map(|(r, o)| (r.as_str(), *o))) {
        Ok(args) => DocLine::Marker(Marker {
            def,
            args,
            location: location.clone(),
            spelling: Spelling::Doc,
        }),
        Err((offset, message)) => DocLine::Invalid(
            Diagnostic::error(
                location.shifted(offset),
                format!("invalid marker `{}`: {message}", text.trim()),
            )
            .with_help(format!("expected `{}`", def.synopsis())),
        ),
    }
}

/// Parses the text after the name (and its offset from the `+`) by the definition's shape.
fn parse_args(def: &MarkerDef, rest: Option<(&str, usize)>) -> Result<BTreeMap<&'static str, Value>, (usize, String)> {
    let mut args = BTreeMap::new();
    let at = |offset: usize, e: GrammarError| (offset + e.offset, e.message);
    match def.shape {
        Shape::Opaque => {}
        Shape::Flag => match rest {
            None => {}
            Some((r, _)) if r.trim() == "true" => {}
            Some((r, o)) => {
                return Err((o, format!("`+{}` takes no value, found `={}`", def.name, r.trim())));
            }
        },
        Shape::Value(ty) => {
            let (r, o) = rest.ok_or((0, format!("`+{}` needs a value ({})", def.name, ty.describe())))?;
            let v = Scanner::new(r).whole_value(ty).map_err(|e| at(o, e))?;
            args.insert("", v);
        }
        Shape::Args { args: defs, positional } => {
            if let Some((r, o)) = rest {
                let mut s = Scanner::new(r);
                let mut first = true;
                loop {
                    s.skip_ws();
                    if s.at_end() {
                        break;
                    }
                    let start = s.offset();
                    let name = match s.ident() {
                        Ok(n) if s.eat('=') => n,
                        _ if first && positional.is_some() => {
                            // `+genclient:method=Name,verb=get`: a leading value without a name.
                            let p = defs
                                .iter()
                                .find(|a| Some(a.name) == positional)
                                .expect("positional arg exists");
                            let mut s2 = Scanner::new(r);
                            let v = s2.arg_value(p.ty).map_err(|e| at(o, e))?;
                            args.insert(p.name, v);
                            s = s2;
                            first = false;
                            if !s.eat(',') {
                                s.skip_ws();
                                if !s.at_end() {
                                    return Err((o + s.offset(), format!("expected `,`, found {}", s.found())));
                                }
                            }
                            continue;
                        }
                        Ok(n) => {
                            return Err((
                                o + s.offset(),
                                format!("expected `=` after argument `{n}`, found {}", s.found()),
                            ));
                        }
                        Err(e) => return Err(at(o, e)),
                    };
                    first = false;
                    let Some(arg) = defs.iter().find(|a| a.name == name) else {
                        let hint = super::registry::closest(&name, defs.iter().map(|a| a.name))
                            .map(|c| format!(" (did you mean `{c}`?)"))
                            .unwrap_or_default();
                        let known: Vec<&str> = defs.iter().map(|a| a.name).collect();
                        return Err((
                            o + start,
                            format!(
                                "unknown argument `{name}`{hint}; `+{}` takes {}",
                                def.name,
                                known.join(", ")
                            ),
                        ));
                    };
                    let v = s.arg_value(arg.ty).map_err(|e| {
                        let (off, msg) = at(o, e);
                        (off, format!("argument `{name}`: {msg}"))
                    })?;
                    if args.insert(arg.name, v).is_some() {
                        return Err((o + start, format!("argument `{name}` given twice")));
                    }
                    s.skip_ws();
                    if s.at_end() {
                        break;
                    }
                    if !s.eat(',') {
                        return Err((
                            o + s.offset(),
                            format!("expected `,` between arguments, found {}", s.found()),
                        ));
                    }
                }
            }
            for a in defs.iter().filter(|a| a.required) {
                if !args.contains_key(a.name) {
                    return Err((0, format!("missing required argument `{}`", a.name)));
                }
            }
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markers::defs::Id;
    use serde_json::json;

    fn loc() -> Location {
        Location::file_start(std::path::Path::new("x.rs"))
    }

    fn marker(text: &str) -> Marker {
        match parse_doc_marker(text, &loc()) {
            DocLine::Marker(m) => m,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn invalid(text: &str) -> Diagnostic {
        match parse_doc_marker(text, &loc()) {
            DocLine::Invalid(d) => d,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn printcolumn_with_first_argument_in_the_name() {
        let m = marker(r#"+kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp""#);
        assert_eq!(m.id(), Id::PrintColumn);
        assert_eq!(m.str("name"), Some("Age"));
        assert_eq!(m.str("type"), Some("date"));
        assert_eq!(m.str("JSONPath"), Some(".metadata.creationTimestamp"));
        let m = marker(r#"+kubebuilder:printcolumn:JSONPath=".spec.x",name=X,type=string,priority=1"#);
        assert_eq!(m.arg("priority"), Some(&json!(1)));
    }

    #[test]
    fn flags_values_and_lists() {
        assert_eq!(marker("+kubebuilder:subresource:status").id(), Id::SubresourceStatus);
        assert_eq!(marker("+kubebuilder:validation:Minimum=-3").value(), &json!(-3));
        assert_eq!(
            marker("+kubebuilder:validation:Enum=Pending;Running").value(),
            &json!(["Pending", "Running"])
        );
        let m = marker("+kubebuilder:resource:path=klusters,shortName=kl;klu,scope=Namespaced");
        assert_eq!(m.strings("shortName"), vec!["kl", "klu"]);
        assert_eq!(marker("+groupName=kgen.dev").str(""), Some("kgen.dev"));
        assert!(marker("+kubebuilder:validation:items:MaxLength=5").def.items);
        assert_eq!(marker("+kubebuilder:object:root=true").id(), Id::GoOnly);
    }

    #[test]
    fn go_only_markers_are_accepted_with_any_value() {
        for text in [
            "+k8s:defaulter-gen=TypeMeta",
            "+k8s:conversion-gen=false",
            "+k8s:conversion-gen=k8s.io/kubernetes/pkg/apis/apps",
            "+k8s:opaqueType=true",
            "+k8s:prerelease-lifecycle-gen:introduced=1.20",
            "+k8s:prerelease-lifecycle-gen:replacement=apps,v1,Deployment",
            "+k8s:protobuf=false",
            "+patchMergeKey=name",
            "+patchStrategy=merge,retainKeys",
            "+enum",
            "+featureGate=JobManagedBy",
        ] {
            assert_eq!(marker(text).id(), Id::GoOnly, "{text}");
        }
        // Misspellings of Go-only markers under a known prefix stay errors.
        let d = invalid("+k8s:defaulter-gen-inptu=pkg");
        assert!(d.message.contains("unknown marker"), "{d}");
        assert!(d.help.unwrap().contains("+k8s:defaulter-gen-input"));
    }

    #[test]
    fn genclient_forms() {
        assert_eq!(
            marker("+genclient:onlyVerbs=create,get").value(),
            &json!(["create", "get"])
        );
        let m = marker("+genclient:method=GetScale,verb=get,subresource=scale,result=Scale");
        assert_eq!(m.str("method"), Some("GetScale"));
        assert_eq!(m.str("subresource"), Some("scale"));
    }

    #[test]
    fn xvalidation_with_escapes() {
        let m =
            marker(r#"+kubebuilder:validation:XValidation:rule="self.a == oldSelf.a",message="a is \"immutable\"""#);
        assert_eq!(m.str("rule"), Some("self.a == oldSelf.a"));
        assert_eq!(m.str("message"), Some("a is \"immutable\""));
    }

    #[test]
    fn errors_name_the_problem() {
        let d = invalid("+kubebuilder:validation:enum=a;b");
        assert!(d.message.contains("unknown marker"), "{d}");
        assert!(d.help.unwrap().contains("+kubebuilder:validation:Enum"));
        let d = invalid(r#"+kubebuilder:printcolumn:name="A",type=date,JSONpath=".x""#);
        assert!(
            d.message
                .contains("unknown argument `JSONpath` (did you mean `JSONPath`?)"),
            "{d}"
        );
        let d = invalid(r#"+kubebuilder:printcolumn:name="A",type=date"#);
        assert!(d.message.contains("missing required argument `JSONPath`"), "{d}");
        let d = invalid("+kubebuilder:validation:MaxLength=ten");
        assert!(d.message.contains("expected an integer"), "{d}");
        assert_eq!(
            d.location.unwrap().column,
            1 + "+kubebuilder:validation:MaxLength=".len()
        );
        let d = invalid("+kubebuilder:subresource:status=yes");
        assert!(d.message.contains("takes no value"), "{d}");
        let d = invalid("+listType=Set");
        assert!(d.message.contains("did you mean `set`"), "{d}");
    }

    #[test]
    fn foreign_markers_are_not_errors() {
        assert!(matches!(
            parse_doc_marker("+operator-sdk:csv:customresourcedefinitions", &loc()),
            DocLine::Foreign(_)
        ));
    }
}
