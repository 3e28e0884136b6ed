//! What `+genclient` asks for, per kind: scope, verbs and extra methods, checked.

use super::{Api, Kind};
use crate::diag::Diagnostics;
use crate::markers::Marker;
use crate::markers::defs::Id;
use crate::markers::defs::genclient::VERBS;
use crate::markers::registry::closest;
use std::collections::BTreeSet;

/// Methods of a generated client that are not verbs (verbs are checked by name).
const GENERATED_METHODS: &[&str] = &[
    "new",
    "api",
    "get_opt",
    "patch_status",
    "apply_object",
    "apply_object_status",
];

/// An extra client method from `+genclient:method`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    /// Method name as written (`GetScale`).
    pub name: String,
    /// The verb it uses.
    pub verb: String,
    /// Subresource, if any.
    pub subresource: Option<String>,
    /// Input type (create/update/apply), as written.
    pub input: Option<String>,
    /// Result type, as written.
    pub result: Option<String>,
    /// The input type, resolved (`None`: the kind, or for apply its apply configuration).
    pub input_type: Option<MethodType>,
    /// The result type, resolved (`None`: the kind).
    pub result_type: Option<MethodType>,
}

/// A type named by `input=` or `result=` of `+genclient:method`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodType {
    /// A type of the input.
    Local(super::TypeId),
    /// A k8s-openapi type, by absolute path (`::k8s_openapi::api::autoscaling::v1::Scale`).
    External(String),
}

/// Resolves a method's `input=`/`result=`: a type of the input by name (the kind's module first)
/// or path, a k8s-openapi path, or code-generator's Go spelling of a Kubernetes type
/// (`k8s.io/api/autoscaling/v1.Scale`).
fn method_type(api: &Api, kind: &Kind, text: &str) -> Result<MethodType, String> {
    let text = text.trim();
    if text.contains('/') {
        // Go: `<package path>.<Name>`.
        let (package, name) = text
            .rsplit_once('.')
            .filter(|(p, n)| !p.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("`{text}` is not a Go type like k8s.io/api/autoscaling/v1.Scale"))?;
        if let Some(rest) = package.strip_prefix("k8s.io/") {
            let mut path = vec!["k8s_openapi".to_string()];
            path.extend(rest.split('/').map(|s| s.replace('-', "_")));
            path.push(name.to_string());
            return external(&path, text);
        }
        // Another Go package: the input's type of that name.
        return local(api, kind, &[name.to_string()], text);
    }
    let segs: Vec<String> = text.trim_start_matches("::").split("::").map(str::to_string).collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(format!("`{text}` is not a type path"));
    }
    match segs[0].as_str() {
        "k8s_openapi" | "kube" | "kube_core" => external(&segs, text),
        _ => local(api, kind, &segs, text),
    }
}

fn external(path: &[String], text: &str) -> Result<MethodType, String> {
    if crate::builtin::definition_name(path).is_none() {
        let hint = crate::builtin::suggest(path)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!("`{text}` is not a Kubernetes type k8s-openapi has{hint}"));
    }
    let rest = if path[0] == "k8s_openapi" {
        &path[1..]
    } else {
        &path[2..]
    };
    Ok(MethodType::External(format!("::k8s_openapi::{}", rest.join("::"))))
}

fn local(api: &Api, kind: &Kind, segs: &[String], text: &str) -> Result<MethodType, String> {
    let segs = if segs.first().map(String::as_str) == Some("crate") {
        &segs[1..]
    } else {
        segs
    };
    let Some((name, module)) = segs.split_last() else {
        return Err(format!("`{text}` is not a type path"));
    };
    let home = &api.ty(kind.type_id).module;
    let candidates: Vec<usize> = (0..api.types.len())
        .filter(|&i| {
            let t = &api.types[i];
            t.name == *name && (module.is_empty() || t.rust_path.ends_with(segs) || t.module.ends_with(module))
        })
        .collect();
    let pick = match candidates.as_slice() {
        [one] => Some(*one),
        many => many.iter().copied().find(|&i| &api.types[i].module == home),
    };
    pick.map(|i| MethodType::Local(super::TypeId(i))).ok_or_else(|| {
        if candidates.is_empty() {
            format!("no type `{text}` in the input")
        } else {
            format!("`{text}` names several types of the input; write its module path")
        }
    })
}

/// The typed client of one kind.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Index into [`Api::kinds`].
    pub kind: usize,
    /// Namespaced (false for `+genclient:nonNamespaced` or cluster scope).
    pub namespaced: bool,
    /// Verbs, from [`VERBS`].
    pub verbs: BTreeSet<&'static str>,
    /// Extra methods.
    pub methods: Vec<Method>,
}

impl ClientSpec {
    /// True if the client has this verb.
    pub fn has(&self, verb: &str) -> bool {
        self.verbs.contains(verb)
    }
}

/// Reads and checks the client markers of every kind. Kinds without `+genclient` get no client.
pub fn client_specs(api: &Api, diags: &mut Diagnostics) -> Vec<ClientSpec> {
    let mut out = Vec::new();
    for (i, kind) in api.kinds.iter().enumerate() {
        if let Some(spec) = client_spec(api, i, kind, diags) {
            out.push(spec);
        }
    }
    out
}

fn client_spec(api: &Api, index: usize, kind: &Kind, diags: &mut Diagnostics) -> Option<ClientSpec> {
    let def = api.ty(kind.type_id);
    let client_markers: Vec<&Marker> = def
        .markers
        .iter()
        .filter(|m| {
            matches!(
                m.id(),
                Id::GenclientNonNamespaced
                    | Id::GenclientNoStatus
                    | Id::GenclientNoVerbs
                    | Id::GenclientReadonly
                    | Id::GenclientOnlyVerbs
                    | Id::GenclientSkipVerbs
                    | Id::GenclientMethod
            )
        })
        .collect();
    if def.marker(Id::Genclient).is_none() {
        for m in client_markers {
            diags.push(m.error(format!("{} needs +genclient on {}", m.display_name(), def.name)));
        }
        return None;
    }
    let cluster_scope = def.marker(Id::Resource).and_then(|m| m.str("scope")) == Some("Cluster");
    if let Some(m) = def.marker(Id::GenclientNonNamespaced)
        && !cluster_scope
    {
        diags.push(
            m.error(format!(
                "+genclient:nonNamespaced on {}, whose CRD is namespaced",
                def.name
            ))
            .with_help("add +kubebuilder:resource:scope=Cluster, or drop +genclient:nonNamespaced"),
        );
    }
    let has_status = def.fields().iter().any(|f| f.json_name == "status" && !f.is_skipped());
    let mut verbs: BTreeSet<&'static str> = VERBS.iter().copied().collect();
    let mut check_verbs = |m: &Marker| -> BTreeSet<&'static str> {
        let mut set = BTreeSet::new();
        for v in m.strings("") {
            match VERBS.iter().find(|k| **k == v) {
                Some(k) => {
                    set.insert(*k);
                }
                None => {
                    let hint = closest(&v, VERBS.iter().copied())
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    diags.push(
                        m.error(format!("{}: unknown verb `{v}`{hint}", m.display_name()))
                            .with_help(format!("verbs are {}", VERBS.join(", "))),
                    );
                }
            }
        }
        set
    };
    let only = def.marker(Id::GenclientOnlyVerbs).map(&mut check_verbs);
    let skip = def.marker(Id::GenclientSkipVerbs).map(&mut check_verbs);
    if let (Some(o), Some(s)) = (&only, &skip) {
        for v in o.intersection(s) {
            let m = def.marker(Id::GenclientSkipVerbs).expect("present");
            diags.push(m.error(format!(
                "verb `{v}` is both in +genclient:onlyVerbs and +genclient:skipVerbs"
            )));
        }
    }
    if def.marker(Id::GenclientReadonly).is_some() {
        verbs.retain(|v| matches!(*v, "get" | "list" | "watch"));
    }
    if let Some(o) = only {
        verbs.retain(|v| o.contains(v));
    }
    if let Some(s) = skip {
        verbs.retain(|v| !s.contains(v));
    }
    if def.marker(Id::GenclientNoVerbs).is_some() {
        verbs.clear();
    }
    if def.marker(Id::GenclientNoStatus).is_some() || !has_status {
        verbs.remove("updateStatus");
        verbs.remove("applyStatus");
    }

    let mut methods: Vec<Method> = Vec::new();
    for m in def.markers_of(Id::GenclientMethod) {
        let method = Method {
            name: m.str("method").unwrap_or_default().to_string(),
            verb: m.str("verb").unwrap_or_default().to_string(),
            subresource: m.str("subresource").map(String::from),
            input: m.str("input").map(String::from),
            result: m.str("result").map(String::from),
            input_type: None,
            result_type: None,
        };
        let mut method = method;
        let help = "name a type of the input (`KlusterStatus`, `crate::api::v1::KlusterStatus`), a k8s-openapi \
                    type (`k8s_openapi::api::autoscaling::v1::Scale`) or code-generator's Go spelling \
                    (`k8s.io/api/autoscaling/v1.Scale`)";
        for (arg, text) in [("input", method.input.clone()), ("result", method.result.clone())] {
            let Some(text) = text else { continue };
            match method_type(api, kind, &text) {
                Ok(t) if arg == "input" => method.input_type = Some(t),
                Ok(t) => method.result_type = Some(t),
                Err(e) => diags.push(
                    m.error(format!("+genclient:method {} `{arg}`: {e}", method.name))
                        .with_help(help),
                ),
            }
        }
        let snake = crate::codegen::client::to_snake(&method.name);
        if !method.name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            || !method.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            diags.push(m.error(format!("+genclient:method name `{}` is not an identifier", method.name)));
        } else if crate::codegen::ident(&snake).is_none() {
            // Keywords become raw identifiers (`Type` → `r#type`); these four cannot.
            diags.push(
                m.error(format!(
                    "+genclient:method {} would be the Rust method `{snake}`, which no identifier can name",
                    method.name
                ))
                .with_help("choose another method name"),
            );
        } else if GENERATED_METHODS.contains(&snake.as_str())
            || VERBS.iter().any(|v| crate::codegen::client::to_snake(v) == snake)
        {
            diags.push(
                m.error(format!(
                    "+genclient:method {} would be the Rust method `{snake}`, which the client already has",
                    method.name
                ))
                .with_help("choose another method name"),
            );
        } else if let Some(x) = methods
            .iter()
            .find(|x| x.name != method.name && crate::codegen::client::to_snake(&x.name) == snake)
        {
            diags.push(m.error(format!(
                "+genclient:method {} would be the Rust method `{snake}`, as +genclient:method {} is",
                method.name, x.name
            )));
        }
        if method.input.is_some() && !matches!(method.verb.as_str(), "create" | "update" | "apply") {
            diags.push(m.error(format!(
                "+genclient:method {}: `input` is only allowed with create, update or apply",
                method.name
            )));
        }
        let lower = method.name.to_ascii_lowercase();
        if VERBS.iter().any(|v| v.to_ascii_lowercase() == lower) {
            diags.push(m.error(format!(
                "+genclient:method {} has the name of a standard verb",
                method.name
            )));
        }
        if method.subresource.as_deref() == Some("scale") && method.result.is_none() && method.verb != "patch" {
            diags.push(
                crate::diag::Diagnostic::warning(
                    m.location.clone(),
                    format!(
                        "+genclient:method {}: the scale subresource answers an autoscaling/v1 Scale, not a {}",
                        method.name, def.name
                    ),
                )
                .with_help("add result=k8s.io/api/autoscaling/v1.Scale"),
            );
        }
        if methods.iter().any(|x| x.name == method.name) {
            diags.push(m.error(format!("+genclient:method {} is declared twice", method.name)));
        }
        methods.push(method);
    }
    Some(ClientSpec {
        kind: index,
        namespaced: !cluster_scope,
        verbs,
        methods,
    })
}
