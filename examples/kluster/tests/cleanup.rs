//! Issue 12 §1: deleting Klusters in every order Kubernetes can delete them, on kgen's fake API
//! server (whose namespace controller and garbage collector act asynchronously, as in a cluster)
//! and the DigitalOcean stand-in: no cluster is left running, nothing hangs.

mod common;

use std::time::Duration;

use common::{Env, eventually, is_running, kluster, post};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kluster::operator::{TOKEN_FINALIZER, status};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, PropagationPolicy};

const WAIT: Duration = Duration::from_secs(20);

fn protected(secret: &Secret) -> bool {
    secret.finalizers().iter().any(|f| f == TOKEN_FINALIZER)
}

fn deletes_of(env: &Env, id: &str) -> Vec<u16> {
    env.standin
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.path == format!("/v2/kubernetes/clusters/{id}"))
        .map(|r| r.status)
        .collect()
}

/// The ordering of a real namespace deletion: the Namespace object is deleted and the namespace
/// controller deletes the token Secret and the Klusters in the same pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_namespace_deletes_every_cluster_and_the_namespace_goes() {
    let env = Env::new(Duration::from_millis(200)).await;
    let team = "team-a";
    env.create_namespace(team).await;
    env.create_token_secret_in(team, "do-token").await;
    let operator = env.start_operator();
    env.create_kluster_in(team, "one", 1).await;
    env.create_kluster_in(team, "two", 1).await;
    let mut ids = Vec::new();
    for name in ["one", "two"] {
        let running = env.wait_for_in(team, name, WAIT, is_running).await;
        ids.push(status::current(&running).cluster_id.unwrap());
    }
    let token = env.secrets_in(team).get("do-token").await.unwrap();
    assert!(
        protected(&token),
        "the token Secret carries {TOKEN_FINALIZER}: {:?}",
        token.finalizers()
    );
    let events = Api::<k8s_openapi::api::events::v1::Event>::namespaced(env.client.clone(), team);
    let recorded_before = events.list(&Default::default()).await.unwrap().items.len();
    assert!(recorded_before >= 8, "events are recorded before the deletion");
    env.api.clear_actions();

    Api::<Namespace>::all(env.client.clone())
        .delete(team, &DeleteParams::default())
        .await
        .unwrap();
    // While a Kluster is left, its token is there to clean up with.
    let namespaces = Api::<Namespace>::all(env.client.clone());
    eventually("the namespace is gone", Duration::from_secs(30), || async {
        let klusters_left = !env
            .klusters_in(team)
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty();
        let token_left = env.secrets_in(team).get_opt("do-token").await.unwrap().is_some();
        assert!(
            token_left || !klusters_left,
            "the token Secret went before the Klusters"
        );
        namespaces.get_opt(team).await.unwrap().is_none()
    })
    .await;

    for id in &ids {
        assert_eq!(deletes_of(&env, id), [204], "DigitalOcean got the DELETE of {id}");
    }
    assert!(
        env.standin.clusters().is_empty(),
        "no cluster is left: {:?}",
        env.standin.clusters()
    );
    // Events in the terminating namespace are refused (403): at most one try per worker that
    // raced to it, then skipped.
    let refused = env
        .api
        .actions()
        .iter()
        .filter(|a| a.verb == "create" && a.resource == "events" && a.namespace.as_deref() == Some(team))
        .count();
    assert!(refused <= 2, "{refused} event creates in the terminating namespace");
    operator.stop().await.unwrap();
}

/// A Kluster that never created anything needs no token to go: it is deleted at once, even
/// though its token Secret never existed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kluster_whose_token_secret_never_existed_is_deleted_at_once() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    let mut k = kluster("orphan-token", 1);
    k.spec.token.secret_key_ref.name = "never-made".into();
    env.klusters().create(&post(), &k).await.unwrap();
    env.wait_for("orphan-token", WAIT, |k| {
        status::ready_condition(&status::current(k)).is_some_and(|c| c.reason == "TokenSecretMissing")
    })
    .await;
    env.klusters()
        .delete("orphan-token", &DeleteParams::default())
        .await
        .unwrap();
    env.wait_gone("orphan-token", Duration::from_secs(1)).await;
    assert_eq!(env.standin.request_count(), 0);
    operator.stop().await.unwrap();
}

/// `kubectl delete secret do-token` first, then the Kluster: the Secret stays (Terminating) until
/// the cluster is deleted with its token, and no new cluster is created with a Secret that is
/// going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_secret_deleted_first_stays_until_its_cluster_is_gone() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    env.create_kluster("first", 1).await;
    let running = env.wait_for("first", WAIT, is_running).await;
    let id = status::current(&running).cluster_id.unwrap();
    env.secrets()
        .delete("do-token", &DeleteParams::default())
        .await
        .unwrap();
    let terminating = env.secrets().get("do-token").await.unwrap();
    assert!(terminating.metadata.deletion_timestamp.is_some() && protected(&terminating));

    // A new Kluster does not start a cluster with a token that is going away.
    env.create_kluster("late", 1).await;
    let refused = env
        .wait_for("late", WAIT, |k| {
            status::ready_condition(&status::current(k)).is_some_and(|c| c.reason == "TokenSecretMissing")
        })
        .await;
    let message = status::ready_condition(&status::current(&refused))
        .unwrap()
        .message
        .clone();
    assert!(message.contains("is being deleted"), "{message}");
    assert_eq!(env.standin.count("create_cluster"), 1);

    for name in ["first", "late"] {
        env.klusters().delete(name, &DeleteParams::default()).await.unwrap();
    }
    env.wait_gone("first", WAIT).await;
    env.wait_gone("late", WAIT).await;
    assert_eq!(deletes_of(&env, &id), [204]);
    assert!(env.standin.clusters().is_empty());
    eventually("the token Secret goes once no cleanup needs it", WAIT, || async {
        env.secrets().get_opt("do-token").await.unwrap().is_none()
    })
    .await;
    operator.stop().await.unwrap();
}

/// Two Klusters on one token: the Secret is released after the last cleanup, not the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_token_is_released_after_the_last_cleanup() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    env.create_kluster("a", 1).await;
    env.create_kluster("b", 1).await;
    env.wait_for("a", WAIT, is_running).await;
    env.wait_for("b", WAIT, is_running).await;
    env.klusters().delete("a", &DeleteParams::default()).await.unwrap();
    env.wait_gone("a", WAIT).await;
    // Give a wrong release every chance to happen.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        protected(&env.secrets().get("do-token").await.unwrap()),
        "b still needs it"
    );
    env.klusters().delete("b", &DeleteParams::default()).await.unwrap();
    env.wait_gone("b", WAIT).await;
    eventually("the token Secret is released", WAIT, || async {
        !protected(&env.secrets().get("do-token").await.unwrap())
    })
    .await;
    assert!(env.standin.clusters().is_empty());
    operator.stop().await.unwrap();
}

/// `kubectl delete kluster x --cascade=orphan` still deletes the DigitalOcean cluster (orphaning
/// concerns Kubernetes dependents only) and leaves the kubeconfig Secret behind, without its
/// owner reference; the token Secret is released as with any deletion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascade_orphan_leaves_the_kubeconfig_secret_behind() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    env.create_kluster("kept", 1).await;
    let running = env.wait_for("kept", WAIT, is_running).await;
    let id = status::current(&running).cluster_id.unwrap();
    let orphan = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Orphan),
        ..Default::default()
    };
    env.klusters().delete("kept", &orphan).await.unwrap();
    env.wait_gone("kept", WAIT).await;
    assert_eq!(deletes_of(&env, &id), [204], "the cluster is deleted all the same");
    assert!(env.standin.clusters().is_empty());
    // The garbage collector keeps the dependent and drops its owner reference.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let left = env.secrets().get("kept-kubeconfig").await.unwrap();
    assert!(left.owner_references().is_empty(), "{:?}", left.owner_references());
    eventually("the token Secret is released", WAIT, || async {
        !protected(&env.secrets().get("do-token").await.unwrap())
    })
    .await;
    operator.stop().await.unwrap();
}
