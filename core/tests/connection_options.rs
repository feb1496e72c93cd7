//! Connection options against real parts: calls through a real HTTP CONNECT
//! proxy (tinyproxy from Debian's packages, installed by tests/setup.sh and
//! started here), with and without proxy authentication and under TLS; a
//! lazy client whose server appears after it was made; keepalive settings;
//! binary metadata; gzip. What depends on the transport runs over plaintext
//! and through a TLS terminator alike.

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{devenv, namespace_of, none, unique_id};
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use temporal_bridge_core::{
    BasicAuth, CallOptions, Client, ConnectOptions, ErrorKind, HttpConnectProxy, KeepaliveOptions,
    KeepaliveSetting, ProtoRequest, TlsOptions, TlsSetting,
};

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tinyproxy on a free loopback port, in the foreground; killed on drop.
struct Tinyproxy {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Tinyproxy {
    fn start(basic_auth: Option<(&str, &str)>) -> Tinyproxy {
        let port = free_port();
        let dir = std::env::temp_dir().join(unique_id("tb-tinyproxy"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\nLogLevel Info\nAllow 127.0.0.1\n"
        );
        if let Some((user, password)) = basic_auth {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_path = dir.join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("tinyproxy")
            .args(["-d", "-c"])
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy (Debian package) is installed by tests/setup.sh");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Tinyproxy { child, port, dir }
    }

    fn proxy(&self, auth: Option<(&str, &str)>) -> HttpConnectProxy {
        HttpConnectProxy {
            target: format!("127.0.0.1:{}", self.port),
            basic_auth: auth.map(|(username, password)| BasicAuth {
                username: username.into(),
                password: password.into(),
            }),
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn options(target: String) -> ConnectOptions {
    let mut options = ConnectOptions::new(target);
    options.namespace = devenv().namespace.clone();
    options.connect_timeout = Some(Duration::from_secs(5).into());
    options
}

/// A TLS terminator in front of `upstream`, and options that reach it.
async fn through_tls(upstream: String) -> (TlsProxy, ConnectOptions) {
    let ca = TestCa::new("connection options test CA");
    let proxy = TlsProxy::start_for(upstream, &ca.server_cert(), None, Forward::Bytes).await;
    let mut options = options(proxy.target());
    options.tls = Some(TlsSetting::Options(TlsOptions {
        server_root_ca_cert: Some(ca.cert_pem.clone()),
        ..Default::default()
    }));
    (proxy, options)
}

#[tokio::test]
async fn calls_go_through_a_real_http_connect_proxy() {
    let proxy = Tinyproxy::start(None);
    let mut plain = options(devenv().target.clone());
    plain.http_connect_proxy = Some(proxy.proxy(None));
    let client = Client::connect(plain).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    // TLS end to end, through the tunnel, to a TLS terminator.
    let ca = TestCa::new("proxy test CA");
    let terminator = TlsProxy::start(&ca.server_cert(), None, Forward::Bytes).await;
    let mut tls = options(terminator.target());
    tls.http_connect_proxy = Some(proxy.proxy(None));
    tls.tls = Some(TlsSetting::Options(TlsOptions {
        server_root_ca_cert: Some(ca.cert_pem.clone()),
        ..Default::default()
    }));
    let client = Client::connect(tls).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    // The JSON form.
    let request = serde_json::json!({
        "target": devenv().target, "namespace": devenv().namespace,
        "http_connect_proxy": {"target": format!("127.0.0.1:{}", proxy.port)},
    });
    let client = Client::connect_json(&request.to_string()).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);
}

#[tokio::test]
async fn proxy_authentication_right_and_wrong() {
    let proxy = Tinyproxy::start(Some(("alice", "wonderland")));
    let mut right = options(devenv().target.clone());
    right.http_connect_proxy = Some(proxy.proxy(Some(("alice", "wonderland"))));
    let client = Client::connect(right).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    let password = "not-the-password-81c2";
    let mut wrong = options(devenv().target.clone());
    wrong.http_connect_proxy = Some(proxy.proxy(Some(("alice", password))));
    let err = Client::connect(wrong.clone()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains("refused the credentials"), "{err}");
    assert!(!err.to_json().contains(password), "{err}");
    assert!(!format!("{wrong:?}").contains(password));

    let mut missing = options(devenv().target.clone());
    missing.http_connect_proxy = Some(proxy.proxy(None));
    let err = Client::connect(missing).await.unwrap_err();
    assert!(err.message().contains("refused the credentials"), "{err}");

    let mut bad = options(devenv().target.clone());
    bad.http_connect_proxy = Some(HttpConnectProxy {
        target: "no-port".into(),
        basic_auth: None,
    });
    let err = Client::connect(bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

/// Forwards every connection to `upstream` (a server that "starts" when this does).
async fn forward(listener: tokio::net::TcpListener, upstream: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            return;
        };
        let upstream = upstream.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[tokio::test]
async fn a_lazy_client_connects_on_its_first_call() {
    // Nothing listens yet: connecting lazily still returns at once.
    let port = free_port();
    let mut lazy = options(format!("127.0.0.1:{port}"));
    lazy.lazy = true;
    let begun = Instant::now();
    let client = Client::connect(lazy.clone()).await.unwrap();
    assert!(begun.elapsed() < Duration::from_secs(1));
    assert_eq!(client.server_version(), "");

    // A call while nothing listens reports it (within its deadline).
    let err = client
        .describe_namespace(
            &ProtoRequest::default(),
            &CallOptions::with_timeout(Duration::from_millis(800)),
        )
        .await
        .unwrap_err();
    assert!(
        err.message().contains("could not connect") || err.kind() == ErrorKind::DeadlineExceeded,
        "{err}"
    );

    // The server appears later; a waiting call gets through once it does.
    answers_once_the_server_appears(&client, port).await;
}

/// A call made while nothing listens at `port` waits, and gets through once
/// a forwarder to the dev server starts listening there.
async fn answers_once_the_server_appears(client: &Client, port: u16) {
    let call = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .describe_namespace(
                    &ProtoRequest::default(),
                    &CallOptions::with_timeout(Duration::from_secs(20)),
                )
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!call.is_finished(), "the call waits for the server");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let forwarder = tokio::spawn(forward(listener, devenv().target.clone()));
    let described = call.await.unwrap().unwrap();
    assert_eq!(
        described.0["namespaceInfo"]["name"],
        devenv().namespace.as_str()
    );
    forwarder.abort();
}

#[tokio::test]
async fn keepalive_settings_and_binary_metadata() {
    let mut quiet = options(devenv().target.clone());
    quiet.keepalive = Some(KeepaliveSetting::Enabled(false));
    let client = Client::connect(quiet).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    // Pings every 50 ms are answered: the connection stays and serves calls.
    let mut eager = options(devenv().target.clone());
    eager.keepalive = Some(KeepaliveSetting::Options(KeepaliveOptions {
        interval: Some(Duration::from_millis(50).into()),
        timeout: Some(Duration::from_secs(2).into()),
    }));
    let client = Client::connect(eager).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    let mut binary = options(devenv().target.clone());
    binary
        .headers
        .insert("x-trace-bin".into(), "AAEC/w==".into());
    let client = Client::connect(binary).await.unwrap();
    assert_eq!(namespace_of(&client).await, devenv().namespace);

    let mut bad = options(devenv().target.clone());
    bad.headers
        .insert("x-trace-bin".into(), "not base64!".into());
    let err = Client::connect(bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("x-trace-bin"), "{err}");
}

#[tokio::test]
async fn gzip_compressed_requests_reach_the_real_server() {
    let (_terminator, tls) = through_tls(devenv().target.clone()).await;
    for mut gzip in [options(devenv().target.clone()), tls] {
        gzip.compression = Some(temporal_bridge_core::Compression::Gzip);
        let client = Client::connect(gzip).await.unwrap();
        assert_eq!(namespace_of(&client).await, devenv().namespace);
        // A large, compressible argument goes out compressed and comes back whole.
        let big = "temporal ".repeat(200_000);
        let request = common::start_request("EchoWorkflow", vec![serde_json::json!(big)]);
        let started = client.start_workflow(&request, &none()).await.unwrap();
        assert_eq!(
            common::result_of(&client, &started.workflow_id)
                .await
                .unwrap(),
            serde_json::json!(big)
        );
    }
    let err = Client::connect_json(
        &serde_json::json!({"target": devenv().target, "compression": "brotli"}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("compression"), "{err}");
}

/// A server that completes the HTTP/2 handshake and then goes silent: it
/// never answers a call, nor a PING.
async fn silent_http2_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                // Our SETTINGS (empty), and an ACK of the client's.
                let _ = tcp
                    .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0])
                    .await;
                let mut sink = [0u8; 4096];
                while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    addr
}

/// A connection whose keepalive ping goes unanswered is dropped, and the
/// call on it fails then, long before its own timeout; without keepalive
/// the same call waits out its timeout.
#[tokio::test]
async fn an_unanswered_keepalive_ping_drops_the_connection() {
    let silent = silent_http2_server().await;
    let (_terminator, tls) = through_tls(silent.clone()).await;
    for base in [options(silent), tls] {
        let call = |keepalive: KeepaliveSetting| {
            let mut options = base.clone();
            async move {
                options.lazy = true;
                options.keepalive = Some(keepalive);
                options.rpc_timeout = Some(Duration::from_secs(4).into());
                options.retry.max_attempts = 1;
                let client = Client::connect(options).await.unwrap();
                let begun = Instant::now();
                let err = client
                    .describe_namespace(&ProtoRequest::default(), &none())
                    .await
                    .unwrap_err();
                (err, begun.elapsed())
            }
        };
        let (err, took) = call(KeepaliveSetting::Options(KeepaliveOptions {
            interval: Some(Duration::from_millis(100).into()),
            timeout: Some(Duration::from_millis(300).into()),
        }))
        .await;
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        assert!(took < Duration::from_secs(2), "took {took:?}: {err}");

        let (err, took) = call(KeepaliveSetting::Enabled(false)).await;
        assert_eq!(err.kind(), ErrorKind::DeadlineExceeded, "{err}");
        assert!(took >= Duration::from_secs(4), "took {took:?}: {err}");
    }
}

/// The same over TLS: a lazy client to a TLS terminator whose server is not
/// there yet gets through once it is.
#[tokio::test]
async fn a_lazy_tls_client_connects_on_its_first_call() {
    let port = free_port();
    let (_terminator, mut lazy) = through_tls(format!("127.0.0.1:{port}")).await;
    lazy.lazy = true;
    let client = Client::connect(lazy).await.unwrap();
    answers_once_the_server_appears(&client, port).await;
}
