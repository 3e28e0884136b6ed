//! Issue 12 §6: log lines name the Kluster's namespace and name, and WARN lines carry the API's
//! message (and DigitalOcean's request id), not a dump of kube's `Status` struct.
//!
//! A test binary of its own: it installs the process-wide tracing subscriber.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Env, is_running};
use kluster::standin::{Fault, FaultKind};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_name_the_kluster_and_carry_the_api_message() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .init();

    let env = Env::new(Duration::from_millis(100)).await;
    // Four conflicts on the first status writes, then four refusals of the create.
    env.api.fail_next("patch", "klusters/status", 4, 409);
    env.standin.inject(Fault {
        operation: Some("create_cluster".into()),
        times: 4,
        kind: FaultKind::Error {
            status: 422,
            id: "unprocessable_entity".into(),
            message: "region nyc1 is full".into(),
        },
    });
    let operator = env.start_operator();
    env.create_kluster("logged", 1).await;
    env.wait_for("logged", Duration::from_secs(30), is_running).await;
    operator.stop().await.unwrap();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains(" WARN ")).collect();
    let kube = warnings
        .iter()
        .find(|l| l.contains("409 Conflict: injected failure for patch klusters/status"))
        .unwrap_or_else(|| panic!("no WARN line for the conflicts:\n{text}"));
    let request_ids: Vec<String> = env
        .standin
        .requests()
        .iter()
        .filter(|r| r.status == 422)
        .map(|r| r.request_id.clone())
        .collect();
    let digitalocean = warnings
        .iter()
        .find(|l| l.contains("region nyc1 is full"))
        .unwrap_or_else(|| panic!("no WARN line for the DigitalOcean refusals:\n{text}"));
    assert!(
        request_ids.iter().any(|id| digitalocean.contains(id.as_str())),
        "the request id is in {digitalocean}"
    );
    for line in [kube, digitalocean] {
        assert!(line.contains("namespace=default"), "{line}");
        assert!(line.contains("name=logged"), "{line}");
    }
    for line in &warnings {
        assert!(
            !line.contains("Status {") && !line.contains("ErrorResponse"),
            "a struct dump: {line}"
        );
        assert!(line.len() < 600, "{} bytes: {line}", line.len());
    }
    // Info lines about a Kluster name it too.
    assert!(
        text.lines()
            .filter(|l| l.contains(" INFO ") && l.contains("protecting the token Secret"))
            .all(|l| l.contains("namespace=") && l.contains("secret=do-token")),
        "{text}"
    );
}
