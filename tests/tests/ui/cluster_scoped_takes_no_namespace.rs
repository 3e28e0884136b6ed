// Fleet is cluster-scoped (+kubebuilder:resource:scope=Cluster): its getter takes no namespace.
use kgen_tests::generated::Clientset;

fn fleets(clients: &Clientset) {
    let _ = clients.markers_v1().fleets("default");
}

fn main() {}
