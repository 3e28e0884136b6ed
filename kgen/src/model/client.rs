//! What `+genclient` asks for, per kind: scope, verbs and extra methods, checked.

use super::{Api, Kind};
use crate::diag::Diagnostics;
use crate::markers::Marker;
use crate::markers::defs::Id;
use crate::markers::defs::genclient::VERBS;
use crate::markers::registry::closest;
use std::collections::BTreeSet;

/// Methods of a generated client that are not verbs (verbs are checked by name).
const GENERATED_METHODS: &[&str] = &["new", "api", "get_opt", "patch_status"];

/// An extra client method from `+genclient:method`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    /// Method name as written (`GetScale`).
    pub name: String,
    /// The verb it uses.
    pub verb: String,
    /// Subresource, if any.
    pub subresource: Option<String>,
    /// Input type (create/update/apply).
    pub input: Option<String>,
    /// Result type.
    pub result: Option<String>,
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
        };
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
