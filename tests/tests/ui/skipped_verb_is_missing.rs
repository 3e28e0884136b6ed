// +genclient:skipVerbs=deleteCollection (Fleet), and +genclient:onlyVerbs=get,list,watch,create (Gadget).
use kgen_tests::generated::markers_v1::{FleetClient, GadgetClient};

async fn calls(fleets: &FleetClient, gadgets: &GadgetClient) {
    fleets.delete_collection(&Default::default(), &Default::default()).await.unwrap();
    gadgets.delete("g", &Default::default()).await.unwrap();
}

fn main() {}
