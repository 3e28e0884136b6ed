//! Generates the Kluster API's Resource impls, clientset, listers, informers and fake server into
//! OUT_DIR, and keeps the CRD under config/ in step with the types.

fn main() {
    if let Err(e) = kgen_build::Builder::new()
        .paths(["src/api"])
        .crd_out_dir("config/crd/bases")
        .generate()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
