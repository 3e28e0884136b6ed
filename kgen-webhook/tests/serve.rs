//! Conversion and admission served over HTTPS on 127.0.0.1 with a self-signed certificate made at
//! test time, called the way the API server calls webhooks: POST, `application/json`, HTTP/1.1
//! over TLS.

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kgen_runtime::admission::{Defaulter, Denied, Operation, Validator, mutating, validating};
use kgen_runtime::conversion::{ConversionError, Converter};
use kgen_webhook::{TlsConfig, WebhookServer, Webhooks};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- the kinds served

/// `example.com` `Thing`: v1 has `spec.size`; v2, the hub, has `spec.sizeSlug`.
struct ThingConverter;

impl Converter for ThingConverter {
    fn group(&self) -> &str {
        "example.com"
    }
    fn kind(&self) -> &str {
        "Thing"
    }
    fn plural(&self) -> &str {
        "things"
    }
    fn versions(&self) -> &[&str] {
        &["v1", "v2"]
    }
    fn hub_version(&self) -> &str {
        "v2"
    }
    fn to_hub(&self, mut object: Value) -> Result<Value, ConversionError> {
        let spec = object["spec"].take();
        object["spec"] = json!({ "sizeSlug": spec["size"] });
        object["apiVersion"] = json!("example.com/v2");
        Ok(object)
    }
    fn from_hub(&self, mut hub: Value, _version: &str) -> Result<Value, ConversionError> {
        let spec = hub["spec"].take();
        hub["spec"] = json!({ "size": spec["sizeSlug"] });
        hub["apiVersion"] = json!("example.com/v1");
        Ok(hub)
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Thing {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: ThingSpec,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThingSpec {
    size_slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replicas: Option<u32>,
}

/// Refuses a `sizeSlug` of "huge" (403) and an empty one (422).
struct ThingValidator;

impl Validator<Thing> for ThingValidator {
    fn validate(&self, _: Operation, new: Option<&Thing>, _: Option<&Thing>) -> Result<(), Denied> {
        match new.map(|t| t.spec.size_slug.as_str()) {
            Some("huge") => Err(Denied::new("spec.sizeSlug: \"huge\" is not offered")),
            Some("") => Err(Denied::new("spec.sizeSlug: required").with_code(422)),
            _ => Ok(()),
        }
    }
}

/// Sets `spec.replicas` to 3 and a label.
struct ThingDefaulter;

impl Defaulter<Thing> for ThingDefaulter {
    fn default(&self, _: Operation, mut thing: Thing) -> Result<Thing, Denied> {
        thing.spec.replicas.get_or_insert(3);
        thing
            .metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("example.com/defaulted".into(), "yes".into());
        Ok(thing)
    }
}

fn webhooks() -> Webhooks {
    Webhooks::new()
        .conversion("/convert", [Arc::new(ThingConverter) as Arc<dyn Converter>])
        .validating("/validate-example-com-v2-thing", validating(ThingValidator))
        .mutating("/mutate-example-com-v2-thing", mutating(ThingDefaulter))
        // A mutating handler mounted as validating by mistake.
        .validating("/misconfigured", mutating(ThingDefaulter))
        .max_body_bytes(64 * 1024)
}

// ---------------------------------------------------------------- TLS and the client

struct Tls {
    _dir: tempfile::TempDir,
    cert_path: PathBuf,
    key_path: PathBuf,
    cert: CertificateDer<'static>,
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written to a temporary directory.
fn self_signed() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("tls.crt");
    let key_path = dir.path().join("tls.key");
    let cert = write_certificate(&cert_path, &key_path);
    Tls {
        _dir: dir,
        cert_path,
        key_path,
        cert,
    }
}

fn write_certificate(cert_path: &Path, key_path: &Path) -> CertificateDer<'static> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    std::fs::write(cert_path, made.cert.pem()).unwrap();
    std::fs::write(key_path, made.signing_key.serialize_pem()).unwrap();
    made.cert.der().clone()
}

async fn serve(tls: &Tls) -> (SocketAddr, WebhookServer) {
    let config = TlsConfig::from_pem_files(&tls.cert_path, &tls.key_path).unwrap();
    let (addr, server) = webhooks().serve_tls("127.0.0.1:0", config).await.unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    assert_eq!(server.local_addr(), addr);
    (addr, server)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        assert_eq!(self.headers[header::CONTENT_TYPE], "application/json");
        serde_json::from_slice(&self.body).unwrap()
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
}

/// One request over a new TLS connection that trusts only `trusted`, as the API server makes it.
async fn call(
    addr: SocketAddr,
    trusted: &CertificateDer<'static>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, format!("localhost:{}", addr.port()));
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    })
}

async fn post(addr: SocketAddr, tls: &Tls, path: &str, review: &Value) -> Answer {
    call(
        addr,
        &tls.cert,
        Method::POST,
        path,
        Some("application/json"),
        serde_json::to_vec(review).unwrap(),
    )
    .await
    .unwrap()
}

// ---------------------------------------------------------------- reviews as the API server sends them

fn thing(api_version: &str, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": api_version, "kind": "Thing",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"), "resourceVersion": "7"},
        "spec": spec,
    })
}

fn conversion_review(desired: &str, objects: Vec<Value>) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {
            "uid": "0000-conversion-uid",
            "desiredAPIVersion": desired,
            "objects": objects,
        },
    })
}

fn admission_review(operation: &str, object: Value, old_object: Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0000-admission-uid",
            "kind": {"group": "example.com", "version": "v2", "kind": "Thing"},
            "resource": {"group": "example.com", "version": "v2", "resource": "things"},
            "requestKind": {"group": "example.com", "version": "v2", "kind": "Thing"},
            "requestResource": {"group": "example.com", "version": "v2", "resource": "things"},
            "name": "a",
            "namespace": "default",
            "operation": operation,
            "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
            "object": object,
            "oldObject": old_object,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    })
}

// ---------------------------------------------------------------- conversion

#[tokio::test]
async fn conversion_converts_every_object_and_echoes_the_uid() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let review = conversion_review(
        "example.com/v2",
        vec![
            thing("example.com/v1", "a", json!({"size": "s-1vcpu-2gb"})),
            thing("example.com/v2", "b", json!({"sizeSlug": "s-2vcpu-4gb"})),
        ],
    );
    let answer = post(addr, &tls, "/convert", &review).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = answer.json();
    assert_eq!(answer["apiVersion"], "apiextensions.k8s.io/v1");
    assert_eq!(answer["kind"], "ConversionReview");
    assert!(answer.get("request").is_none());
    let response = &answer["response"];
    assert_eq!(response["uid"], "0000-conversion-uid");
    assert_eq!(response["result"], json!({"status": "Success"}));
    let converted = response["convertedObjects"].as_array().unwrap();
    assert_eq!(converted.len(), 2, "{answer}");
    assert_eq!(converted[0]["apiVersion"], "example.com/v2");
    assert_eq!(converted[0]["kind"], "Thing");
    assert_eq!(converted[0]["spec"], json!({"sizeSlug": "s-1vcpu-2gb"}));
    assert_eq!(
        converted[0]["metadata"],
        json!({"name": "a", "namespace": "default", "uid": "uid-a", "resourceVersion": "7"}),
        "metadata is the input's"
    );
    assert_eq!(
        converted[1],
        thing("example.com/v2", "b", json!({"sizeSlug": "s-2vcpu-4gb"})),
        "already at the desired version: unchanged, in order"
    );
}

#[tokio::test]
async fn a_failed_conversion_is_a_failure_with_the_message() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;

    let review = conversion_review(
        "example.com/v3",
        vec![thing("example.com/v1", "a", json!({"size": "s"}))],
    );
    let answer = post(addr, &tls, "/convert", &review).await;
    assert_eq!(answer.status, StatusCode::OK, "a failed conversion is still a review");
    let response = &answer.json()["response"];
    assert_eq!(response["uid"], "0000-conversion-uid");
    assert_eq!(response["result"]["status"], "Failure");
    assert_eq!(
        response["result"]["message"],
        "converting Thing \"default/a\": example.com Thing has no version \"v3\" (versions: v1, v2)"
    );
    assert_eq!(response["convertedObjects"], json!([]));

    let mut other = thing("other.io/v1", "x", json!({}));
    other["kind"] = json!("Gadget");
    let answer = post(addr, &tls, "/convert", &conversion_review("other.io/v2", vec![other])).await;
    let result = &answer.json()["response"]["result"];
    assert_eq!(result["status"], "Failure");
    assert_eq!(
        result["message"],
        "converting Gadget \"default/x\": this webhook has no conversion for kind \"Gadget\" of group \"other.io\" (it converts: example.com Thing)"
    );
}

// ---------------------------------------------------------------- admission

#[tokio::test]
async fn validating_allows_and_denies_with_code_and_message() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let path = "/validate-example-com-v2-thing";

    let ok = admission_review(
        "CREATE",
        thing("example.com/v2", "a", json!({"sizeSlug": "s"})),
        Value::Null,
    );
    let answer = post(addr, &tls, path, &ok).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = answer.json();
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(answer["kind"], "AdmissionReview");
    assert_eq!(answer["response"]["uid"], "0000-admission-uid");
    assert_eq!(answer["response"]["allowed"], true);
    assert!(answer["response"].get("patch").is_none());

    let huge = admission_review(
        "UPDATE",
        thing("example.com/v2", "a", json!({"sizeSlug": "huge"})),
        thing("example.com/v2", "a", json!({"sizeSlug": "s"})),
    );
    let response = post(addr, &tls, path, &huge).await.json()["response"].clone();
    assert_eq!(response["uid"], "0000-admission-uid");
    assert_eq!(response["allowed"], false);
    assert_eq!(
        response["status"],
        json!({"status": "Failure", "code": 403, "reason": "Forbidden", "message": "spec.sizeSlug: \"huge\" is not offered"})
    );

    let empty = admission_review(
        "CREATE",
        thing("example.com/v2", "a", json!({"sizeSlug": ""})),
        Value::Null,
    );
    let status = post(addr, &tls, path, &empty).await.json()["response"]["status"].clone();
    assert_eq!(
        (status["code"].as_u64(), status["reason"].as_str()),
        (Some(422), Some("Invalid"))
    );

    // An object that is not a Thing: a 400 denial saying why.
    let broken = admission_review("CREATE", thing("example.com/v2", "a", json!({"size": 1})), Value::Null);
    let response = post(addr, &tls, path, &broken).await.json()["response"].clone();
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 400);
    assert_eq!(
        response["status"]["message"],
        "the request's object (example.com/v2 Thing) could not be read as Thing: missing field `sizeSlug`"
    );

    // DELETE: the old object is what the validator sees.
    let delete = admission_review(
        "DELETE",
        Value::Null,
        thing("example.com/v2", "a", json!({"sizeSlug": "huge"})),
    );
    assert_eq!(
        post(addr, &tls, path, &delete).await.json()["response"]["allowed"],
        true
    );
}

#[tokio::test]
async fn mutating_answers_with_a_base64_json_patch() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let object = thing("example.com/v2", "a", json!({"sizeSlug": "s"}));
    let answer = post(
        addr,
        &tls,
        "/mutate-example-com-v2-thing",
        &admission_review("CREATE", object, Value::Null),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let response = answer.json()["response"].clone();
    assert_eq!(response["uid"], "0000-admission-uid");
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    let encoded = response["patch"]
        .as_str()
        .expect("the patch is a base64 string, as Go encodes []byte");
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    let mut ops: Vec<Value> = serde_json::from_slice(&decoded).unwrap();
    ops.sort_by_key(|op| op["path"].as_str().unwrap().to_string());
    assert_eq!(
        ops,
        [
            json!({"op": "add", "path": "/metadata/labels", "value": {"example.com/defaulted": "yes"}}),
            json!({"op": "add", "path": "/spec/replicas", "value": 3}),
        ]
    );

    // Nothing to change: no patch, no patchType.
    let mut done = thing("example.com/v2", "a", json!({"sizeSlug": "s", "replicas": 1}));
    done["metadata"]["labels"] = json!({"example.com/defaulted": "yes"});
    let review = admission_review("UPDATE", done.clone(), done);
    let response = post(addr, &tls, "/mutate-example-com-v2-thing", &review).await.json()["response"].clone();
    assert_eq!(response["allowed"], true);
    assert!(
        response.get("patch").is_none() && response.get("patchType").is_none(),
        "{response}"
    );
}

#[tokio::test]
async fn a_patch_from_a_validating_webhook_is_refused() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let review = admission_review(
        "CREATE",
        thing("example.com/v2", "a", json!({"sizeSlug": "s"})),
        Value::Null,
    );
    let response = post(addr, &tls, "/misconfigured", &review).await.json()["response"].clone();
    assert_eq!(response["uid"], "0000-admission-uid");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 500);
    assert!(response.get("patch").is_none());
}

// ---------------------------------------------------------------- what is not a review

#[tokio::test]
async fn paths_methods_content_types_and_bodies_that_are_not_reviews() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let review = serde_json::to_vec(&conversion_review("example.com/v2", vec![])).unwrap();
    let json = Some("application/json");

    let a = call(addr, &tls.cert, Method::POST, "/nowhere", json, review.clone())
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.text(), "no webhook at /nowhere\n");

    let a = call(addr, &tls.cert, Method::GET, "/convert", None, vec![])
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.headers[header::ALLOW], "POST");
    assert_eq!(a.text(), "/convert takes POST, not GET\n");

    let a = call(
        addr,
        &tls.cert,
        Method::POST,
        "/convert",
        Some("application/yaml"),
        review.clone(),
    )
    .await
    .unwrap();
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        a.text(),
        "expected Content-Type: application/json, got \"application/yaml\"\n"
    );
    let a = call(addr, &tls.cert, Method::POST, "/convert", None, review.clone())
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Parameters are fine.
    let a = call(
        addr,
        &tls.cert,
        Method::POST,
        "/convert",
        Some("application/json; charset=utf-8"),
        review,
    )
    .await
    .unwrap();
    assert_eq!(a.status, StatusCode::OK);

    let a = call(addr, &tls.cert, Method::POST, "/convert", json, b"{not json".to_vec())
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().starts_with("the body is not JSON: "), "{}", a.text());

    let admission = serde_json::to_vec(&admission_review("CREATE", Value::Null, Value::Null)).unwrap();
    let a = call(addr, &tls.cert, Method::POST, "/convert", json, admission)
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.text(), "expected a ConversionReview, got kind \"AdmissionReview\"\n");

    let no_request = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"});
    let a = post(addr, &tls, "/validate-example-com-v2-thing", &no_request).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.text(), "the AdmissionReview has no request\n");

    let malformed = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": 5}});
    let a = post(addr, &tls, "/validate-example-com-v2-thing", &malformed).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.text().starts_with("the body is not a valid AdmissionReview: "),
        "{}",
        a.text()
    );

    let v2 = json!({"apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview", "request": {}});
    let a = post(addr, &tls, "/validate-example-com-v2-thing", &v2).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.text(),
        "expected an AdmissionReview of apiVersion admission.k8s.io/v1 or admission.k8s.io/v1beta1, got \"admission.k8s.io/v2\"\n"
    );

    let big = conversion_review("example.com/v2", vec![json!({"pad": "x".repeat(70 * 1024)})]);
    let a = post(addr, &tls, "/convert", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
}

// ---------------------------------------------------------------- TLS and the server's life

#[tokio::test]
async fn an_untrusted_certificate_fails_the_handshake() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let other = self_signed();
    let err = call(addr, &other.cert, Method::POST, "/convert", None, vec![])
        .await
        .err()
        .expect("the handshake fails");
    assert!(err.starts_with("TLS: "), "{err}");
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let tls = self_signed();
    let (addr, _server) = serve(&tls).await;
    let review = conversion_review("example.com/v2", vec![]);
    assert_eq!(post(addr, &tls, "/convert", &review).await.status, StatusCode::OK);

    // What cert-manager does: new files in place.
    let renewed = write_certificate(&tls.cert_path, &tls.key_path);
    tokio::time::sleep(kgen_webhook::RELOAD_CHECK_INTERVAL + Duration::from_millis(200)).await;
    let body = serde_json::to_vec(&review).unwrap();
    let a = call(
        addr,
        &renewed,
        Method::POST,
        "/convert",
        Some("application/json"),
        body.clone(),
    )
    .await
    .unwrap();
    assert_eq!(a.status, StatusCode::OK);
    let old = call(
        addr,
        &tls.cert,
        Method::POST,
        "/convert",
        Some("application/json"),
        body.clone(),
    )
    .await;
    assert!(old.is_err(), "the old certificate is no longer served");

    // A broken renewal keeps the current certificate.
    std::fs::write(&tls.key_path, "not a key").unwrap();
    tokio::time::sleep(kgen_webhook::RELOAD_CHECK_INTERVAL + Duration::from_millis(200)).await;
    let a = call(addr, &renewed, Method::POST, "/convert", Some("application/json"), body)
        .await
        .unwrap();
    assert_eq!(a.status, StatusCode::OK);
}

#[test]
fn unusable_files_are_errors() {
    let tls = self_signed();
    let missing = TlsConfig::from_pem_files(tls.cert_path.with_file_name("missing.crt"), &tls.key_path).unwrap_err();
    assert!(
        missing.to_string().starts_with("reading certificates from "),
        "{missing}"
    );
    let swapped = TlsConfig::from_pem_files(&tls.key_path, &tls.key_path).unwrap_err();
    assert!(swapped.to_string().ends_with("holds no certificate"), "{swapped}");
    let other = self_signed();
    let mismatch = TlsConfig::from_pem_files(&tls.cert_path, &other.key_path).unwrap_err();
    assert!(mismatch.to_string().contains("cannot be used together"), "{mismatch}");
}

#[tokio::test]
async fn shutdown_stops_the_server_and_drop_does_too() {
    let tls = self_signed();
    let (addr, server) = serve(&tls).await;
    let review = conversion_review("example.com/v2", vec![]);
    assert_eq!(post(addr, &tls, "/convert", &review).await.status, StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown ends");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens any more"
    );

    let (addr, server) = serve(&tls).await;
    drop(server);
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "a dropped handle stops the server");

    let (addr, server) = serve(&tls).await;
    server.abort();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "abort stops it at once"
    );
}

// ---------------------------------------------------------------- mounted in a server of one's own

#[tokio::test]
async fn mounts_in_hyper_and_as_a_tower_service() {
    // hyper: plain HTTP/1.1 on 127.0.0.1, the service handed to serve_connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = webhooks();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service)
            .await
            .unwrap();
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(connection);
    let body = serde_json::to_vec(&conversion_review(
        "example.com/v1",
        vec![thing("example.com/v2", "a", json!({"sizeSlug": "m"}))],
    ))
    .unwrap();
    let request = Request::post("/convert")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.clone())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(answer["response"]["convertedObjects"][0]["spec"], json!({"size": "m"}));
    drop(sender);
    server.await.unwrap();

    // tower: what axum's route_service calls.
    let mut service = webhooks();
    let request = Request::post("/convert")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = tower_service::Service::call(&mut service, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn the_review_functions_work_without_a_server() {
    let review: kube::core::conversion::ConversionReview = serde_json::from_value(conversion_review(
        "example.com/v1",
        vec![thing("example.com/v2", "a", json!({"sizeSlug": "m"}))],
    ))
    .unwrap();
    let converters: Vec<Arc<dyn Converter>> = vec![Arc::new(ThingConverter)];
    let answer = kgen_webhook::review_conversion(&converters, review);
    let response = answer.response.unwrap();
    assert_eq!(response.uid, "0000-conversion-uid");
    assert!(response.result.is_success());
    assert_eq!(response.converted_objects[0]["apiVersion"], "example.com/v1");

    let review = serde_json::from_value(admission_review(
        "CREATE",
        thing("example.com/v2", "a", json!({"sizeSlug": "huge"})),
        Value::Null,
    ))
    .unwrap();
    let answer = kgen_webhook::review_admission(validating(ThingValidator).as_ref(), review);
    assert_eq!(answer.types.api_version, "admission.k8s.io/v1");
    let response = answer.response.unwrap();
    assert_eq!(response.uid, "0000-admission-uid");
    assert!(!response.allowed);
}
