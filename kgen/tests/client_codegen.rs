//! Generated Rust for the corpus: a snapshot, plus the shape that matters, read back with syn
//! (which verbs each `+genclient` variant gets, scoping, Serialize only where not derived).

use kgen_build::CrdOptions;
use kgen_build::codegen::CodegenOptions;
use std::collections::BTreeSet;
use std::path::Path;

fn generated(path: &str) -> String {
    let (_, source) = kgen_build::generate_rust(&CrdOptions::new([path]), &CodegenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    source
}

/// Method names of `impl <name> { ... }` blocks anywhere in the file.
fn methods_of(file: &syn::File, name: &str) -> BTreeSet<String> {
    fn walk(items: &[syn::Item], name: &str, out: &mut BTreeSet<String>) {
        for item in items {
            match item {
                syn::Item::Impl(i) if i.trait_.is_none() => {
                    if let syn::Type::Path(p) = &*i.self_ty
                        && p.path.segments.last().is_some_and(|s| s.ident == name)
                    {
                        for it in &i.items {
                            if let syn::ImplItem::Fn(f) = it {
                                out.insert(f.sig.ident.to_string());
                            }
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(items, name, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&file.items, name, &mut out);
    out
}

fn trait_impls(file: &syn::File) -> BTreeSet<String> {
    file.items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Impl(i) => {
                let tr = i.trait_.as_ref()?.0.segments.last()?.ident.to_string();
                let ty = match &*i.self_ty {
                    syn::Type::Path(p) => p.path.segments.last()?.ident.to_string(),
                    _ => return None,
                };
                Some(format!("{tr} for {ty}"))
            }
            _ => None,
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn corpus_code_snapshot_and_verbs() {
    let source = generated("tests/fixtures/corpus");
    insta::assert_snapshot!("corpus_generated_rs", source);
    let file = syn::parse_file(&source).expect("generated code parses");

    // +genclient:onlyVerbs=get,list,watch,create
    assert_eq!(
        methods_of(&file, "GadgetClient"),
        set(&["new", "api", "create", "get", "get_opt", "list", "watch"])
    );
    // +genclient:readonly
    assert_eq!(
        methods_of(&file, "WidgetClient"),
        set(&["new", "api", "get", "get_opt", "list", "watch"])
    );
    // +genclient:skipVerbs=deleteCollection and a custom get on the scale subresource
    let fleet = methods_of(&file, "FleetClient");
    assert!(
        fleet.contains("update_status") && fleet.contains("apply") && fleet.contains("get_scale"),
        "{fleet:?}"
    );
    assert!(!fleet.contains("delete_collection"));
    // Shape has no +genclient: no client at all.
    assert!(methods_of(&file, "ShapeClient").is_empty());

    // Cluster-scoped Fleet: no namespace argument, no _all variant; namespaced Gadget has both.
    let group = methods_of(&file, "Client");
    assert!(group.contains("fleets") && !group.contains("fleets_all"), "{group:?}");
    assert!(group.contains("gadgets") && group.contains("gadgets_all"));
    assert!(source.contains("pub fn fleets(&self) -> FleetClient"));
    assert!(source.contains("pub fn gadgets(&self, namespace: &str) -> GadgetClient"));

    // Every served kind gets kube::Resource and HasSpec; Serialize only where the type does not derive it.
    let impls = trait_impls(&file);
    for kind in ["Shape", "Gadget", "Widget", "Fleet"] {
        assert!(impls.contains(&format!("Resource for {kind}")), "{impls:?}");
        assert!(impls.contains(&format!("HasSpec for {kind}")));
    }
    assert!(
        impls.contains("Serialize for Fleet"),
        "Fleet does not derive Serialize: kgen writes it"
    );
    assert!(!impls.contains("Serialize for Gadget"), "Gadget derives Serialize");
    assert!(source.contains("type Scope = ::k8s_openapi::ClusterResourceScope"));
    // Shape's v1beta1 is served (unserved, in fact): still a Resource; v1alpha1 is skipped: none.
    assert_eq!(
        source
            .matches("impl ::kube::Resource for crate::corpus::shapes::")
            .count(),
        2
    );
    // Informers for kinds with list and watch.
    assert!(methods_of(&file, "GadgetLister").contains("gadgets"));
    assert!(
        methods_of(&file, "FleetLister").contains("get"),
        "cluster-scoped listers get by name"
    );
}

#[test]
fn kluster_code_is_deterministic_and_embeds_the_crd() {
    let a = generated("../examples/kluster/src/api");
    let b = generated("../examples/kluster/src/api");
    assert_eq!(a, b);
    let crd = kgen_build::generate_crds(&CrdOptions::new(["../examples/kluster/src/api"])).unwrap();
    let json = serde_json::to_string(&crd.crds[0].value).unwrap();
    let file = syn::parse_file(&a).unwrap();
    // The CRD's JSON is one constant, and crd() reads it.
    let lit = serde_json::to_string(&json).unwrap();
    let consts: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Const(c) if quote::quote!(#c).to_string().contains(&lit) => Some(c.ident.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(consts.len(), 1, "the Kluster CRD JSON is embedded exactly once");
    let mut reads = 0;
    for item in &file.items {
        if let syn::Item::Impl(i) = item {
            for it in &i.items {
                if let syn::ImplItem::Fn(f) = it
                    && f.sig.ident == "crd"
                    && quote::quote!(#f).to_string().contains(&consts[0])
                {
                    reads += 1;
                }
            }
        }
    }
    assert!(reads >= 1, "Kluster::crd() reads {}", consts[0]);
    assert_eq!(
        methods_of(&file, "KlusterClient"),
        set(&[
            "new",
            "api",
            "create",
            "update",
            "update_status",
            "delete",
            "delete_collection",
            "get",
            "get_opt",
            "list",
            "watch",
            "patch",
            "patch_status",
            "apply",
            "apply_object",
            "apply_status",
            "apply_object_status"
        ])
    );
    // Apply configurations: the kind's (made by new) and one per struct it reaches, with a
    // setter per field.
    assert_eq!(
        methods_of(&file, "KlusterApply"),
        set(&[
            "new",
            "name",
            "with_label",
            "with_annotation",
            "with_owner_reference",
            "with_finalizer",
            "spec",
            "status"
        ])
    );
    assert_eq!(methods_of(&file, "NodePoolApply"), set(&["name", "size", "count"]));
    // Both versions' KlusterSpecApply: v1alpha1's token_secret_ref, v1beta1's token.
    assert_eq!(
        methods_of(&file, "KlusterSpecApply"),
        set(&["name", "region", "version", "node_pools", "token_secret_ref", "token"])
    );
    assert_eq!(methods_of(&file, "TokenSourceApply"), set(&["secret_key_ref"]));
}

#[test]
fn builder_writes_the_same_code_formatted_or_not() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let dir = tempfile::tempdir().unwrap();
    let (formatted_dir, plain_dir) = (dir.path().join("formatted"), dir.path().join("plain"));
    let build = |out: &Path, format: bool| {
        kgen_build::Builder::new()
            .paths([&root])
            .out_dir(out)
            .emit_rerun_if_changed(false)
            .format(format)
            .generate()
            .unwrap();
        std::fs::read_to_string(kgen_build::builder::generated_file(out)).unwrap()
    };
    let formatted = build(&formatted_dir, true);
    let plain = build(&plain_dir, false);
    assert_ne!(formatted, plain);
    assert!(
        formatted.lines().count() > 2 * plain.lines().count(),
        "prettyplease spreads the code over lines"
    );
    // Both are the same Rust: formatting the plain code gives the formatted code.
    let reformat = |code: &str| prettyplease::unparse(&syn::parse_file(code).unwrap());
    assert_eq!(reformat(&plain), reformat(&formatted));
}

#[test]
fn groups_sharing_a_first_label_need_distinct_module_names() {
    let module = |group: &str, go_name: &str| {
        format!(
            "//! +groupName={group}\n//! +versionName=v1\n{go_name}\nuse k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
             /// +genclient\n#[derive(Clone, Debug, serde::Deserialize)]\npub struct Cart {{ pub metadata: ObjectMeta, pub spec: Spec }}\n\
             #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]\npub struct Spec {{ pub items: i32 }}\n"
        )
    };
    let write = |org_go_name: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mod.rs"), "pub mod org;\npub mod com;\n").unwrap();
        std::fs::write(dir.path().join("org.rs"), module("shop.example.org", org_go_name)).unwrap();
        std::fs::write(dir.path().join("com.rs"), module("shop.example.com", "")).unwrap();
        dir
    };
    let dir = write("");
    let err = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &CodegenOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("groups shop.example.com and shop.example.org both get the generated module `shop_v1`"),
        "{err}"
    );
    assert!(err.contains("+groupGoName"), "{err}");
    let dir = write("//! +groupGoName=ShopOrg");
    let (_, source) = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &CodegenOptions::default())
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(
        source.contains("pub mod shop_v1") && source.contains("pub mod shoporg_v1"),
        "{source}"
    );
}

#[test]
fn clients_document_their_verbs_and_expose_their_api() {
    let source = generated("tests/fixtures/corpus");
    // Fleet has +genclient:skipVerbs=deleteCollection.
    assert!(
        source.contains("Not generated, so calling them does not compile: deleteCollection (left out by `+genclient:readonly`, `+genclient:onlyVerbs` or `+genclient:skipVerbs` on Fleet)"),
        "the Fleet client's rustdoc names the missing verb"
    );
    assert!(source.contains("pub fn api(&self) -> &::kube::Api<"));
}

/// Writes a one-kind API with `markers` on the kind into a temporary directory.
fn one_kind_api(markers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mod.rs"),
        format!(
            "//! +groupName=example.com\n//! +versionName=v1\n\
             use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;\n\
             /// +genclient\n{markers}\n\
             #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]\n\
             pub struct Widget {{\n    pub metadata: ObjectMeta,\n    pub spec: WidgetSpec,\n}}\n\
             #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]\n\
             pub struct WidgetSpec {{\n    pub size: i32,\n}}\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn resource_name_must_be_the_crds_plural() {
    let dir = one_kind_api("/// +resourceName=widgets");
    let ok = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &CodegenOptions::default());
    assert!(ok.is_ok(), "the CRD's own plural is accepted");

    let dir = one_kind_api("/// +resourceName=gizmos");
    let err = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &CodegenOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("+resourceName=gizmos differs from the CRD's plural `widgets`"),
        "{text}"
    );
    assert!(text.contains("mod.rs:5:5"), "located at the marker: {text}");
    assert!(text.contains("+kubebuilder:resource:path=gizmos"), "{text}");
}

#[test]
fn crate_paths_are_checked() {
    let dir = one_kind_api("");
    for (path, ok) in [
        ("crate", true),
        ("crate::generated::api", true),
        ("::my_api", true),
        ("super", true),
        ("my crate", false),
        ("crate::Vec<u8>", false),
        ("api::crate", false),
        ("", false),
    ] {
        let opts = CodegenOptions {
            crate_path: path.into(),
            ..Default::default()
        };
        let result = kgen_build::generate_rust(&CrdOptions::new([dir.path()]), &opts);
        assert_eq!(result.is_ok(), ok, "{path:?}");
        if let Err(e) = result {
            let text = e.to_string();
            assert!(text.contains(&format!("the crate path `{path}`")), "{text}");
            assert!(text.contains("help:"), "{text}");
        }
    }
}

/// The ConvertFrom impls of the Kluster API: field by field for every pair of types that match,
/// none for `KlusterSpec` (`+kgen:conversion:manual`), yet one for `NodePool`, which only the
/// hand-converted spec reaches.
#[test]
fn kluster_conversions_skip_the_manual_type_but_not_what_it_reaches() {
    let file = syn::parse_file(&generated("../examples/kluster/src/api")).unwrap();
    let mut impls = BTreeSet::new();
    fn walk(items: &[syn::Item], out: &mut BTreeSet<String>) {
        for item in items {
            match item {
                syn::Item::Impl(i) => {
                    let Some((path, _)) = &i.trait_ else { continue };
                    let last = path.segments.last().unwrap();
                    if last.ident != "ConvertFrom" {
                        continue;
                    }
                    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                        continue;
                    };
                    let from = quote::quote!(#args).to_string().replace(' ', "");
                    let to = &i.self_ty;
                    out.insert(format!("{} <- {from}", quote::quote!(#to).to_string().replace(' ', "")));
                }
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        walk(items, out);
                    }
                }
                _ => {}
            }
        }
    }
    walk(&file.items, &mut impls);
    let short: BTreeSet<String> = impls
        .iter()
        .map(|s| {
            s.replace("crate::api::", "")
                .replace(['<', '>'], " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let expected: BTreeSet<String> = [
        "v1alpha1::Kluster - v1beta1::Kluster",
        "v1beta1::Kluster - v1alpha1::Kluster",
        "v1alpha1::KlusterStatus - v1beta1::KlusterStatus",
        "v1beta1::KlusterStatus - v1alpha1::KlusterStatus",
        "v1alpha1::NodePool - v1beta1::NodePool",
        "v1beta1::NodePool - v1alpha1::NodePool",
        "v1alpha1::Progress - v1beta1::Progress",
        "v1beta1::Progress - v1alpha1::Progress",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(short, expected, "{impls:#?}");
}
