// +genclient:readonly (Widget): only get, list and watch exist.
use kgen_tests::corpus::markers::v1::Widget;
use kgen_tests::generated::markers_v1::WidgetClient;

async fn update(client: &WidgetClient, widget: &Widget) {
    client.update(widget, &Default::default()).await.unwrap();
}

fn main() {}
