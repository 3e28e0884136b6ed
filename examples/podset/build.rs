//! Generates the PodSet API's Resource impl, clientset, listers, informers and CRD into OUT_DIR,
//! and keeps the CRD under config/ in step with the types. Descriptions are left out of the CRD
//! file: with a full pod template's they would make it 310 KiB, over the 256 KiB that client-side
//! `kubectl apply` can store (kgen warns about it), as kubebuilder projects do with `maxDescLen=0`.

fn main() {
    if let Err(e) = kgen_build::Builder::new()
        .paths(["src/api"])
        .crd_out_dir("config/crd/bases")
        .max_desc_len(0)
        .generate()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
