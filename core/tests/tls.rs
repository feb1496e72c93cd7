//! End-to-end TLS, mTLS and API-key tests. The dev server speaks plaintext
//! gRPC only, so each test puts a TLS-terminating proxy of its own in front of
//! it: a throwaway CA (rcgen) signs a server certificate for
//! `localhost`/`127.0.0.1` and client certificates, and the proxy (tokio-rustls
//! on ring, ALPN `h2`) forwards the decrypted bytes to the real dev server,
//! where the real Python SDK worker runs the workflows. Handshakes,
//! certificate checks and the server behind them are all real.

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{devenv, none, result_of, scenarios, start_request};
use serde_json::json;
use std::time::{Duration, Instant};
use temporal_bridge_core::{Client, ConnectOptions, Error, ErrorKind, TlsOptions, TlsSetting};

/// How long a failing connect may take before we call it a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

// --- Helpers ---------------------------------------------------------------

fn tls_options(ca: &TestCa) -> TlsOptions {
    TlsOptions {
        server_root_ca_cert: Some(ca.cert_pem.clone()),
        ..Default::default()
    }
}

fn options(target: String, tls: TlsOptions) -> ConnectOptions {
    let mut options = ConnectOptions::new(target);
    options.namespace = devenv().namespace.clone();
    options.tls = Some(TlsSetting::Options(tls));
    options.connect_timeout = Some(CONNECT_TIMEOUT.into());
    options
}

/// Starts `MySimpleWorkflow` (run by the Python worker) and waits for its
/// result, all through `client`.
async fn round_trip(client: &Client) {
    let request = start_request("MySimpleWorkflow", vec![json!("TLS")]);
    let started = client.start_workflow(&request, &none()).await.unwrap();
    assert!(!started.run_id.is_empty());
    assert_eq!(
        result_of(client, &started.workflow_id).await.unwrap(),
        json!("Hello, TLS!")
    );
}

/// Connects, expecting a failure, and checks that it came promptly.
async fn connect_fails(options: ConnectOptions) -> Error {
    let begun = Instant::now();
    let err = Client::connect(options)
        .await
        .expect_err("connect should fail");
    assert!(
        begun.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(3),
        "a failed handshake is reported, not waited out: took {:?}: {err}",
        begun.elapsed()
    );
    err
}

/// `err` in every form a caller can see: message, JSON, Display, Debug.
fn every_rendering(err: &Error) -> String {
    format!("{}\n{}\n{err}\n{err:?}", err.message(), err.to_json())
}

/// Whether `text` shows any line of the base64 body of `pem` (the secret part
/// of a private key).
fn shows_pem_body(text: &str, pem: &str) -> bool {
    pem.lines()
        .filter(|line| !line.starts_with("-----"))
        .any(|line| text.contains(line))
}

fn assert_mentions_tls(err: &Error, expected: &[&str]) {
    let message = err.message().to_lowercase();
    assert!(
        expected.iter().any(|word| message.contains(word)),
        "{err} should say what went wrong (one of {expected:?})"
    );
}

// --- Tests -------------------------------------------------------------------

#[tokio::test]
async fn tls_with_a_custom_ca_runs_a_workflow() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;

    // By IP: the certificate's IP SAN matches, no domain needed.
    let client = Client::connect(options(proxy.target(), tls_options(&ca)))
        .await
        .unwrap();
    assert!(!client.server_version().is_empty());
    round_trip(&client).await;

    // By IP, verifying the certificate's DNS name instead.
    let mut tls = tls_options(&ca);
    tls.domain = Some("localhost".into());
    let client = Client::connect(options(proxy.target(), tls)).await.unwrap();
    round_trip(&client).await;

    // The JSON form the bindings use, with `https://` in the target.
    let request = json!({
        "target": format!("https://localhost:{}", proxy.addr.port()),
        "namespace": devenv().namespace,
        "tls": {"server_root_ca_cert": ca.cert_pem},
        "connect_timeout": CONNECT_TIMEOUT.as_secs_f64(),
    });
    let client = Client::connect_json(&request.to_string()).await.unwrap();
    round_trip(&client).await;

    assert!(
        proxy.handshake_errors().is_empty(),
        "{:?}",
        proxy.handshake_errors()
    );
}

#[tokio::test]
async fn plaintext_or_system_roots_against_the_tls_proxy_fail_clearly() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;

    // System roots do not know the throwaway CA.
    let mut options = options(proxy.target(), TlsOptions::default());
    options.tls = Some(TlsSetting::Enabled(true));
    let err = connect_fails(options.clone()).await;
    match err.kind() {
        ErrorKind::Unavailable => assert_mentions_tls(&err, &["certificate", "unknownissuer"]),
        // A machine without system roots says so before connecting.
        ErrorKind::InvalidArgument => assert_mentions_tls(&err, &["certificate", "root"]),
        _ => panic!("{err}"),
    }

    // Plaintext HTTP/2 to a TLS port.
    options.tls = Some(TlsSetting::Enabled(false));
    let err = connect_fails(options).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains(&proxy.target()), "{err}");
}

#[tokio::test]
async fn mtls_with_a_client_certificate_runs_a_workflow() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), Some(&ca), Forward::Bytes).await;
    let client_cert = ca.client_cert();

    let mut tls = tls_options(&ca);
    tls.client_cert = Some(client_cert.cert_pem.clone());
    tls.client_private_key = Some(client_cert.key_pem.clone());
    let client = Client::connect(options(proxy.target(), tls)).await.unwrap();
    round_trip(&client).await;

    // The same through the JSON form the bindings use.
    let request = json!({
        "target": proxy.target(),
        "namespace": devenv().namespace,
        "tls": {
            "server_root_ca_cert": ca.cert_pem,
            "domain": "localhost",
            "client_cert": client_cert.cert_pem,
            "client_private_key": client_cert.key_pem,
        },
    });
    let client = Client::connect_json(&request.to_string()).await.unwrap();
    round_trip(&client).await;

    assert!(
        proxy.handshake_errors().is_empty(),
        "{:?}",
        proxy.handshake_errors()
    );
}

#[tokio::test]
async fn mtls_without_a_client_certificate_fails_clearly() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), Some(&ca), Forward::Bytes).await;

    let err = connect_fails(options(proxy.target(), tls_options(&ca))).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains(&proxy.target()), "{err}");
    assert_mentions_tls(&err, &["certificate"]);
    assert!(
        proxy
            .handshake_errors()
            .iter()
            .any(|e| e.to_lowercase().contains("certificate")),
        "the proxy refused the handshake: {:?}",
        proxy.handshake_errors()
    );
}

#[tokio::test]
async fn mtls_with_a_certificate_from_another_ca_fails_clearly() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), Some(&ca), Forward::Bytes).await;
    let stranger = TestCa::new("some other CA").client_cert();

    let mut tls = tls_options(&ca);
    tls.client_cert = Some(stranger.cert_pem);
    tls.client_private_key = Some(stranger.key_pem);
    let err = connect_fails(options(proxy.target(), tls)).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    // The proxy's alert (unknown CA) reaches the caller.
    assert_mentions_tls(&err, &["unknownca", "certificate"]);
    assert!(
        proxy
            .handshake_errors()
            .iter()
            .any(|e| e.to_lowercase().contains("certificate")),
        "the proxy refused the handshake: {:?}",
        proxy.handshake_errors()
    );
}

#[tokio::test]
async fn wrong_ca_fails_clearly() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;
    let other_ca = TestCa::new("some other CA");

    let err = connect_fails(options(proxy.target(), tls_options(&other_ca))).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains(&proxy.target()), "{err}");
    assert_mentions_tls(&err, &["certificate", "unknownissuer"]);
}

#[tokio::test]
async fn wrong_domain_fails_clearly() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;

    let mut tls = tls_options(&ca);
    tls.domain = Some("not-the-server.example".into());
    let err = connect_fails(options(proxy.target(), tls)).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_mentions_tls(&err, &["certificate", "notvalidforname"]);

    // `localhost` by name works, so the name (not the CA) was at fault above.
    let target = format!("localhost:{}", proxy.addr.port());
    let mut tls = tls_options(&ca);
    tls.domain = Some("localhost".into());
    let client = Client::connect(options(target, tls)).await.unwrap();
    round_trip(&client).await;
}

#[tokio::test]
async fn api_key_travels_over_tls_and_a_wrong_one_is_refused() {
    let api_key = "tb-test-api-key-5b1c8e0f";
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(
        &ca.server_cert(),
        None,
        Forward::RequireApiKey(api_key.to_owned()),
    )
    .await;

    let mut right = options(proxy.target(), tls_options(&ca));
    right.api_key = Some(api_key.into());
    let client = Client::connect(right).await.unwrap();
    round_trip(&client).await;
    assert!(
        proxy.authorized_requests() >= 3,
        "connect, start and result"
    );

    let wrong_key = "tb-wrong-api-key-77d2a9c4";
    let mut wrong = options(proxy.target(), tls_options(&ca));
    wrong.api_key = Some(wrong_key.into());
    let err = connect_fails(wrong).await;
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.message().contains("API key"), "{err}");
    assert!(!every_rendering(&err).contains(wrong_key), "{err:?}");

    let err = connect_fails(options(proxy.target(), tls_options(&ca))).await;
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_errors() {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), Some(&ca), Forward::Bytes).await;
    let client_cert = ca.client_cert();
    let api_key = "tb-secret-api-key-0c6f3a91";
    let leaks = |text: &str| text.contains(api_key) || shows_pem_body(text, &client_cert.key_pem);

    let mut tls = tls_options(&ca);
    tls.client_cert = Some(client_cert.cert_pem.clone());
    tls.client_private_key = Some(client_cert.key_pem.clone());
    let mut options = options(proxy.target(), tls.clone());
    options.api_key = Some(api_key.into());
    options
        .headers
        .insert("x-extra".into(), "header-value-secret".into());
    for rendering in [
        format!("{options:?}"),
        format!("{options:#?}"),
        format!("{tls:?}"),
    ] {
        assert!(!leaks(&rendering), "{rendering}");
        assert!(!rendering.contains("header-value-secret"), "{rendering}");
    }

    // Connected, the client shows none of them either.
    let client = Client::connect(options.clone()).await.unwrap();
    assert!(!leaks(&format!("{client:?}")));

    // Failures with the secrets set: the wrong CA ...
    let mut wrong_ca = options.clone();
    let mut tls = tls.clone();
    tls.server_root_ca_cert = Some(TestCa::new("some other CA").cert_pem);
    wrong_ca.tls = Some(TlsSetting::Options(tls.clone()));
    let err = connect_fails(wrong_ca).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!leaks(&every_rendering(&err)), "{err:?}");

    // ... a server that refuses the handshake until the connect timeout ...
    let mut no_client_cert = options.clone();
    no_client_cert.tls = Some(TlsSetting::Options(tls_options(&ca)));
    let err = connect_fails(no_client_cert).await;
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!leaks(&every_rendering(&err)), "{err:?}");

    // ... a JSON request that puts them in the wrong places ...
    let request = json!({
        "target": proxy.target(),
        "api_key": [api_key],
        "tls": {"client_private_key_pem": client_cert.key_pem},
    });
    let err = Client::connect_json(&request.to_string())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!leaks(&every_rendering(&err)), "{err:?}");

    // ... a private key that is PEM but not a key ...
    let mut bad_key = options.clone();
    let mut tls = tls_options(&ca);
    tls.client_cert = Some(client_cert.cert_pem.clone());
    let garbage = "c2VjcmV0LWJ1dC1ub3QtYS1rZXktMTIzNDU2Nzg5MA==";
    tls.client_private_key = Some(format!(
        "-----BEGIN PRIVATE KEY-----\n{garbage}\n-----END PRIVATE KEY-----\n"
    ));
    bad_key.tls = Some(TlsSetting::Options(tls));
    let err = connect_fails(bad_key).await;
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("private key"), "{err}");
    assert!(!every_rendering(&err).contains(garbage), "{err:?}");
    assert!(!leaks(&every_rendering(&err)), "{err:?}");

    // ... and a valid key that does not belong to the certificate.
    let mut mismatched = options.clone();
    let other_key = ca.client_cert().key_pem;
    let mut tls = tls_options(&ca);
    tls.client_cert = Some(client_cert.cert_pem.clone());
    tls.client_private_key = Some(other_key.clone());
    mismatched.tls = Some(TlsSetting::Options(tls));
    let err = connect_fails(mismatched).await;
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let rendered = every_rendering(&err);
    assert!(!leaks(&rendered), "{err:?}");
    assert!(!shows_pem_body(&rendered, &other_key), "{err:?}");
}

/// A connected client through a TLS proxy of its own (kept alive by the
/// returned proxy).
async fn tls_client() -> (Client, TlsProxy) {
    let ca = TestCa::new("temporal-bridge test CA");
    let proxy = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;
    let client = Client::connect(options(proxy.target(), tls_options(&ca)))
        .await
        .unwrap();
    (client, proxy)
}

#[tokio::test]
async fn a_request_over_the_servers_size_limit_is_refused_once_over_tls() {
    let (client, _proxy) = tls_client().await;
    scenarios::oversized_request_is_refused_once(&client).await;
}

#[tokio::test]
async fn reset_runs_a_failed_workflow_again_over_tls() {
    let (client, _proxy) = tls_client().await;
    scenarios::reset_runs_a_failed_workflow_again(&client).await;
}

/// An API key rotated while result waits are pending: the proxy that checks
/// the key is replaced by one that accepts only the new key (dropping every
/// connection), the client gets the new key, and the waits — re-polling on
/// new connections — complete. A bad update leaves the key in force.
#[tokio::test]
async fn an_api_key_rotated_during_result_waits() {
    let ca = TestCa::new("rotation test CA");
    let cert = ca.server_cert();
    let old = TlsProxy::start(&cert, None, Forward::RequireApiKey("key-one".into())).await;
    let addr = old.addr;
    let mut options = options(old.target(), tls_options(&ca));
    options.api_key = Some("key-one".into());
    let client = Client::connect(options).await.unwrap();

    let mut ids = Vec::new();
    for _ in 0..3 {
        let request = start_request("SignalQueryWorkflow", vec![]);
        ids.push(
            client
                .start_workflow(&request, &none())
                .await
                .unwrap()
                .workflow_id,
        );
    }
    let before = old.authorized_requests();
    let waits: Vec<_> = ids
        .iter()
        .map(|id| {
            let client = client.clone();
            let id = id.clone();
            tokio::spawn(async move { common::result_of(&client, &id).await })
        })
        .collect();
    // Every wait has its long poll at the proxy.
    let deadline = Instant::now() + Duration::from_secs(20);
    while old.authorized_requests() < before + 3 {
        assert!(Instant::now() < deadline, "the waits never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let refused = temporal_bridge_core::CredentialsUpdate {
        api_key: Some(Some("line\nbreak".into())),
        headers: None,
    };
    assert_eq!(
        client.update_credentials(&refused).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(client.api_key().as_deref(), Some("key-one"));

    client
        .update_credentials(&temporal_bridge_core::CredentialsUpdate {
            api_key: Some(Some("key-two".into())),
            headers: Some([("x-rotation".to_owned(), "2".to_owned())].into()),
        })
        .unwrap();
    drop(old);
    let new = TlsProxy::start_at(addr, &cert, None, Forward::RequireApiKey("key-two".into())).await;
    for id in &ids {
        client
            .workflow_handle(id, None)
            .signal("finish", vec![], &none())
            .await
            .unwrap();
    }
    for wait in waits {
        assert_eq!(wait.await.unwrap().unwrap(), json!([]));
    }
    assert!(
        new.authorized_requests() >= 6,
        "signals and re-polls with the new key"
    );
    assert_eq!(client.headers()["x-rotation"], "2");
}
