//! `kgen markers`: the registry as text for people and as JSON for machines.

use super::registry::{MarkerDef, Registry, Shape};
use serde::Serialize;

#[derive(Serialize)]
struct MarkerHelp<'a> {
    name: String,
    attribute: Option<String>,
    targets: Vec<&'static str>,
    repeatable: bool,
    value: Option<String>,
    arguments: Vec<ArgHelp<'a>>,
    help: &'a str,
}

#[derive(Serialize)]
struct ArgHelp<'a> {
    name: &'a str,
    attribute: &'a str,
    #[serde(rename = "type")]
    ty: String,
    required: bool,
}

fn entry(def: &'static MarkerDef) -> MarkerHelp<'static> {
    MarkerHelp {
        name: format!("+{}", def.name),
        attribute: def.attr.map(|a| {
            if def.items {
                format!("items({a})")
            } else {
                a.to_string()
            }
        }),
        targets: def.targets.iter().map(|t| t.name()).collect(),
        repeatable: def.repeatable,
        value: match def.shape {
            Shape::Value(ty) => Some(ty.describe()),
            _ => None,
        },
        arguments: def
            .args()
            .iter()
            .map(|a| ArgHelp {
                name: a.name,
                attribute: a.attr,
                ty: a.ty.describe(),
                required: a.required,
            })
            .collect(),
        help: def.help,
    }
}

/// The registry as pretty JSON (`kgen markers --json`).
pub fn json() -> String {
    let all: Vec<MarkerHelp> = Registry::global().defs().iter().map(entry).collect();
    serde_json::to_string_pretty(&all).expect("help serialises")
}

/// The registry as text (`kgen markers`), optionally only markers whose name contains `filter`.
pub fn text(filter: Option<&str>) -> String {
    let mut out = String::new();
    for def in Registry::global().defs() {
        if let Some(f) = filter
            && !def.name.to_ascii_lowercase().contains(&f.to_ascii_lowercase())
        {
            continue;
        }
        let targets: Vec<&str> = def.targets.iter().map(|t| t.name()).collect();
        out.push_str(&def.synopsis());
        out.push('\n');
        out.push_str(&format!("    {}\n", def.help));
        let mut on = format!("    on: {}", targets.join(", "));
        if def.repeatable {
            on.push_str("; repeatable");
        }
        out.push_str(&on);
        out.push('\n');
        if let Some(attr) = def.attr {
            let form = match def.shape {
                Shape::Flag | Shape::Opaque => attr.to_string(),
                Shape::Value(_) => format!("{attr} = …"),
                Shape::Args { args, .. } => {
                    format!(
                        "{attr}({})",
                        args.iter()
                            .map(|a| format!("{} = …", a.attr))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            };
            let form = if def.items { format!("items({form})") } else { form };
            out.push_str(&format!("    attribute: #[kgen({form})]\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn help_lists_every_marker() {
        let text = super::text(None);
        assert!(text.contains("+kubebuilder:printcolumn:name=<string>"));
        assert!(text.contains("attribute: #[kgen(printcolumn(name = …, type = …, json_path = …"));
        let json: serde_json::Value = serde_json::from_str(&super::json()).unwrap();
        let names: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"+kubebuilder:validation:items:MaxItems"));
        assert!(names.contains(&"+genclient:onlyVerbs"));
        assert!(super::text(Some("printcolumn")).lines().count() < 6);
    }
}
