//! Payload codecs against the real dev server: a codec server (served here
//! over HTTP/1.1 and HTTPS, with the protocol's JSON body) and its failures.
//! The worker-side interop (temporalio and Go SDK workers with an
//! encrypting codec) is in the Python, C and interop tests.

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use common::pki::TestCa;
use common::{devenv, none, unique_id};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use temporal_bridge_core::codec::{CodecContext, CodecFuture, Payload, PayloadCodec};
use temporal_bridge_core::{
    CallOptions, Client, ConnectOptions, DescribeWorkflowRequest, ErrorKind, FetchHistoryRequest,
    GetResultRequest, SignalWorkflowRequest, StartWorkflowRequest, TerminateWorkflowRequest,
};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

/// One request the codec server saw.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    namespace: Option<String>,
    authorization: Option<String>,
    team: Option<String>,
    payloads: usize,
}

/// A codec server whose behaviour is chosen by the endpoint's path:
/// `/reverse` reverses each payload's data (and marks it), `/fail500`,
/// `/garbage`, `/wrongcount`, `/slow` (answers after 3 s), `/flaky` (503
/// twice, then as `/reverse`).
struct CodecServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl CodecServer {
    async fn start(tls: Option<&TestCa>) -> CodecServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let flaky = Arc::new(AtomicU32::new(0));
        let acceptor = tls.map(|ca| {
            let server = ca.server_cert();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![server.cert_der.clone()], server.key_der.clone_key())
                .unwrap();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://localhost:{port}");
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (log, flaky, acceptor) = (log.clone(), flaky.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        answer(request, log.clone(), flaky.clone())
                    });
                    let builder = hyper::server::conn::http1::Builder::new();
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        });
        CodecServer { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
    flaky: Arc<AtomicU32>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = request.uri().path().to_owned();
    let (namespace, authorization, team) = (
        header("x-namespace"),
        header("authorization"),
        header("x-team"),
    );
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let mut body: Value = serde_json::from_slice(&body).unwrap();
    let payloads = body["payloads"].as_array_mut().unwrap();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        namespace,
        authorization,
        team,
        payloads: payloads.len(),
    });
    let reply = |status: u16, body: String| {
        Ok(hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap())
    };
    let mode = path.split('/').nth(1).unwrap_or_default().to_owned();
    match mode.as_str() {
        "fail500" => return reply(500, "codec exploded: bad key".to_owned()),
        "garbage" => return reply(200, "<html>hello</html>".to_owned()),
        "wrongcount" => return reply(200, r#"{"payloads": []}"#.to_owned()),
        "slow" => tokio::time::sleep(Duration::from_secs(3)).await,
        "flaky" if flaky.fetch_add(1, Ordering::SeqCst) < 2 => {
            return reply(503, "warming up".to_owned())
        }
        _ => {}
    }
    let encode = path.ends_with("/encode");
    for payload in payloads.iter_mut() {
        let marked = payload["metadata"].get("reversed").is_some();
        if encode || marked {
            let mut data = BASE64
                .decode(payload["data"].as_str().unwrap_or(""))
                .unwrap();
            data.reverse();
            payload["data"] = json!(BASE64.encode(data));
            let metadata = payload["metadata"].as_object_mut().unwrap();
            if encode {
                metadata.insert("reversed".into(), json!(BASE64.encode("1")));
            } else {
                metadata.remove("reversed");
            }
        }
    }
    reply(200, body.to_string())
}

async fn client_with(codec: Value) -> temporal_bridge_core::Result<Client> {
    let env = devenv();
    let options = json!({"target": env.target, "namespace": env.namespace, "codec": codec});
    Client::connect_json(&options.to_string()).await
}

/// A start on a queue no worker polls: what it stores is what we sent.
fn parked_start(args: Vec<Value>) -> StartWorkflowRequest {
    StartWorkflowRequest {
        workflow_type: "CodecParked".into(),
        task_queue: unique_id("codec-nobody"),
        args,
        workflow_id: Some(unique_id("codec")),
        memo: Some(serde_json::Map::from_iter([(
            "m".to_owned(),
            json!("memo value"),
        )])),
        ..Default::default()
    }
}

async fn history(client: &Client, workflow_id: &str, decode: bool) -> Value {
    let request = FetchHistoryRequest {
        workflow_id: workflow_id.to_owned(),
        decode,
        ..Default::default()
    };
    client.fetch_history(&request, &none()).await.unwrap()
}

async fn describe(
    client: &Client,
    workflow_id: String,
) -> temporal_bridge_core::Result<temporal_bridge_core::WorkflowDescription> {
    let request = DescribeWorkflowRequest {
        workflow_id,
        ..Default::default()
    };
    client.describe_workflow(&request, &none()).await
}

fn decoded(payload: &Value) -> (Value, Vec<u8>) {
    let data = BASE64
        .decode(payload["data"].as_str().unwrap_or(""))
        .unwrap();
    (payload["metadata"].clone(), data)
}

async fn round_trip_through(server: &CodecServer, codec: Value) {
    let client = client_with(codec).await.unwrap();
    let start = parked_start(vec![json!("top secret"), json!({"n": 1})]);
    let workflow_id = start.workflow_id.clone().unwrap();
    client.start_workflow(&start, &none()).await.unwrap();
    let signal = SignalWorkflowRequest {
        workflow_id: workflow_id.clone(),
        signal_name: "note".into(),
        args: vec![json!("signal secret")],
        ..Default::default()
    };
    client.signal_workflow(&signal, &none()).await.unwrap();

    // As stored: every argument reversed and marked, one request for both.
    let stored = history(&client, &workflow_id, false).await;
    let started = &stored["events"][0]["workflowExecutionStartedEventAttributes"];
    let (metadata, data) = decoded(&started["input"]["payloads"][0]);
    assert!(metadata.get("reversed").is_some(), "{metadata}");
    assert_eq!(data, b"\"terces pot\"");
    // Memos are not encoded unless asked.
    let (memo_metadata, memo) = decoded(&started["memo"]["fields"]["m"]);
    assert!(memo_metadata.get("reversed").is_none());
    assert_eq!(memo, b"\"memo value\"");
    let signalled = stored["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.get("workflowExecutionSignaledEventAttributes"))
        .expect("the signal is in the history");
    assert!(decoded(&signalled["input"]["payloads"][0])
        .0
        .get("reversed")
        .is_some());

    // Decoded through the codec server.
    let plain = history(&client, &workflow_id, true).await;
    let input = &plain["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"];
    assert_eq!(decoded(&input[0]).1, b"\"top secret\"");
    assert_eq!(decoded(&input[1]).1, br#"{"n":1}"#);

    // Terminated with details: the result call reports them decoded.
    let terminate = TerminateWorkflowRequest {
        workflow_id: workflow_id.clone(),
        reason: Some("done".into()),
        details: vec![json!({"why": "test over"})],
        ..Default::default()
    };
    client
        .terminate_workflow(&terminate, &none())
        .await
        .unwrap();
    let error = client
        .get_workflow_result(&GetResultRequest::new(&workflow_id), &none())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WorkflowTerminated);
    assert_eq!(error.details()["details"], json!([{"why": "test over"}]));

    let seen = server.seen();
    let start_encode = seen
        .iter()
        .find(|s| s.path.ends_with("/encode") && s.payloads == 2)
        .expect("the start's two arguments went in one request");
    assert_eq!(
        start_encode.namespace.as_deref(),
        Some(devenv().namespace.as_str())
    );
    assert_eq!(
        start_encode.authorization.as_deref(),
        Some("Bearer codec-token")
    );
    assert_eq!(start_encode.team.as_deref(), Some("payments"));
    assert!(seen.iter().any(|s| s.path.ends_with("/decode")));
}

#[tokio::test]
async fn a_codec_server_encodes_what_is_sent_and_decodes_what_comes_back() {
    let server = CodecServer::start(None).await;
    let codec = json!({
        "endpoint": format!("{}/reverse", server.url),
        "auth": "Bearer codec-token",
        "headers": {"x-team": "payments"},
    });
    round_trip_through(&server, codec).await;
}

#[tokio::test]
async fn a_codec_server_over_tls_with_its_own_ca() {
    let ca = TestCa::new("codec server CA");
    let server = CodecServer::start(Some(&ca)).await;
    let codec = json!({
        "endpoint": format!("{}/reverse/", server.url),
        "auth": "Bearer codec-token",
        "headers": {"x-team": "payments"},
        "tls": {"server_root_ca_cert": ca.cert_pem},
    });
    round_trip_through(&server, codec).await;

    // Without the CA the handshake fails, and the error says so.
    let untrusted = client_with(json!({"endpoint": format!("{}/reverse", server.url)}))
        .await
        .unwrap();
    let error = untrusted
        .start_workflow(&parked_start(vec![json!(1)]), &none())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Codec);
    assert!(
        error.message().contains("TLS handshake failed"),
        "{}",
        error.message()
    );
}

/// An in-process codec in Rust: reverses each payload's data (and marks it).
struct Reverse;

fn reversed(payloads: Vec<Payload>, encode: bool) -> Vec<Payload> {
    payloads
        .into_iter()
        .map(|mut p| {
            if encode || p.metadata.remove("reversed").is_some() {
                p.data.reverse();
                if encode {
                    p.metadata.insert("reversed".into(), b"1".to_vec());
                }
            }
            p
        })
        .collect()
}

impl PayloadCodec for Reverse {
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        assert_eq!(&*context.namespace, devenv().namespace);
        Box::pin(async move { Ok(reversed(payloads, true)) })
    }

    fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        Box::pin(async move { Ok(reversed(payloads, false)) })
    }
}

#[tokio::test]
async fn an_in_process_codec_in_rust() {
    let env = devenv();
    let mut options = ConnectOptions::new(env.target.clone());
    options.namespace = env.namespace.clone();
    in_process_round_trip(options).await;
}

#[tokio::test]
async fn an_in_process_codec_in_rust_through_a_tls_terminator() {
    let ca = TestCa::new("codec TLS test CA");
    let (options, _proxy) = common::through_tls_terminator(&ca).await;
    in_process_round_trip(options).await;
}

/// Start, stored and decoded history, raw results as stored or decoded,
/// with the Rust codec in process, over `options`' connection.
async fn in_process_round_trip(mut options: ConnectOptions) {
    options.payload_codec = Some(Arc::new(Reverse));
    let client = Client::connect(options).await.unwrap();
    let start = parked_start(vec![json!("rust secret")]);
    let workflow_id = start.workflow_id.clone().unwrap();
    client.start_workflow(&start, &none()).await.unwrap();
    let stored = history(&client, &workflow_id, false).await;
    let input =
        &stored["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0];
    assert_eq!(decoded(input).1, b"\"terces tsur\"");
    let plain = history(&client, &workflow_id, true).await;
    let input =
        &plain["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0];
    assert_eq!(decoded(input).1, b"\"rust secret\"");
    // Raw results as stored, or decoded on request.
    client
        .terminate_workflow(
            &TerminateWorkflowRequest {
                workflow_id: workflow_id.clone(),
                details: vec![json!("bye")],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let mut raw = GetResultRequest::new(&workflow_id);
    raw.raw = true;
    let error = client.get_workflow_result(&raw, &none()).await.unwrap_err();
    let stored_details = &error.details()["details"][0];
    assert!(
        stored_details["metadata"].get("reversed").is_some(),
        "{stored_details}"
    );
    raw.decode = true;
    let error = client.get_workflow_result(&raw, &none()).await.unwrap_err();
    assert!(error.details()["details"][0]["metadata"]
        .get("reversed")
        .is_none());
}

#[tokio::test]
async fn memos_are_encoded_when_asked() {
    let server = CodecServer::start(None).await;
    let client =
        client_with(json!({"endpoint": format!("{}/reverse", server.url), "include_memo": true}))
            .await
            .unwrap();
    let start = parked_start(vec![]);
    let workflow_id = start.workflow_id.clone().unwrap();
    client.start_workflow(&start, &none()).await.unwrap();
    let stored = history(&client, &workflow_id, false).await;
    let memo =
        &stored["events"][0]["workflowExecutionStartedEventAttributes"]["memo"]["fields"]["m"];
    assert!(decoded(memo).0.get("reversed").is_some());
    let described = describe(&client, workflow_id).await.unwrap();
    assert_eq!(
        described.summary.memo,
        serde_json::Map::from_iter([("m".to_owned(), json!("memo value"))])
    );
}

/// A start through a failing codec server: a `codec` error naming the
/// direction and the call, never the payload, and nothing started.
async fn failed_start(codec: Value, call: CallOptions) -> temporal_bridge_core::Error {
    let client = client_with(codec).await.unwrap();
    let start = parked_start(vec![json!("top-secret-value")]);
    let workflow_id = start.workflow_id.clone().unwrap();
    let error = client.start_workflow(&start, &call).await.unwrap_err();
    let text = error.to_json();
    assert!(!text.contains("top-secret-value"), "{text}");
    assert!(
        !text.contains(&BASE64.encode("\"top-secret-value\"")),
        "{text}"
    );
    let described = describe(&client, workflow_id).await.unwrap_err();
    assert_eq!(described.kind(), ErrorKind::NotFound, "nothing was started");
    error
}

#[tokio::test]
async fn codec_server_failures_are_codec_errors_and_nothing_is_sent() {
    let server = CodecServer::start(None).await;
    let down = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    };
    for (endpoint, says) in [
        (
            format!("{}/fail500", server.url),
            "answered HTTP 500 Internal Server Error: codec exploded: bad key",
        ),
        (format!("{}/garbage", server.url), "is not JSON"),
        (
            format!("{}/wrongcount", server.url),
            "returned 0 payloads for 1",
        ),
        (down, "could not connect"),
    ] {
        let error = failed_start(json!({ "endpoint": endpoint }), none()).await;
        assert_eq!(error.kind(), ErrorKind::Codec, "{error}");
        assert!(
            error.message().contains(says),
            "{endpoint}: {}",
            error.message()
        );
        assert!(
            error
                .message()
                .contains("could not encode the 1 payload of StartWorkflowExecution"),
            "{}",
            error.message()
        );
        assert_eq!(error.details()["direction"], "encode");
        assert_eq!(error.details()["call"], "StartWorkflowExecution");
    }
}

#[tokio::test]
async fn a_server_that_is_down_is_tried_three_times_and_a_flaky_one_recovers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let error = failed_start(
        json!({"endpoint": format!("http://127.0.0.1:{port}")}),
        none(),
    )
    .await;
    assert!(
        error.message().contains("after 3 attempts"),
        "{}",
        error.message()
    );

    let server = CodecServer::start(None).await;
    let client = client_with(json!({"endpoint": format!("{}/flaky", server.url)}))
        .await
        .unwrap();
    let start = parked_start(vec![json!("x")]);
    client.start_workflow(&start, &none()).await.unwrap();
    assert_eq!(server.seen().len(), 3, "two 503s, then the answer");
}

#[tokio::test]
async fn a_slow_codec_server_ends_at_the_call_deadline_or_the_codec_timeout() {
    let server = CodecServer::start(None).await;
    let began = Instant::now();
    let error = failed_start(
        json!({"endpoint": format!("{}/slow", server.url)}),
        CallOptions::with_timeout(Duration::from_millis(500)),
    )
    .await;
    assert_eq!(error.kind(), ErrorKind::DeadlineExceeded, "{error}");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );

    let error = failed_start(
        json!({"endpoint": format!("{}/slow", server.url), "timeout": 0.3}),
        none(),
    )
    .await;
    assert_eq!(error.kind(), ErrorKind::Codec, "{error}");
    assert!(
        error.message().contains("no answer within 300ms"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn bad_codec_options_are_named() {
    for (codec, says) in [
        (json!({"endpoint": "ftp://x"}), "codec.endpoint"),
        (json!({"endpoint": "not a url at all"}), "codec.endpoint"),
        (
            json!({"endpoint": "http://u:p@host:1"}),
            "without credentials",
        ),
        (
            json!({"endpoint": "http://h:1", "tls": true}),
            "is http:// but codec.tls is set",
        ),
        (
            json!({"endpoint": "http://h:1", "headers": {"bad header": "x"}}),
            "codec.headers",
        ),
        (json!({"endpoint": "http://h:1", "colour": "red"}), "colour"),
    ] {
        let error = client_with(codec.clone()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{codec}");
        assert!(
            error.message().contains(says),
            "{codec}: {}",
            error.message()
        );
    }
    // A connect option the options type carries too.
    let mut options = ConnectOptions::new(devenv().target.clone());
    options.codec = Some(temporal_bridge_core::codec::CodecOptions {
        endpoint: Some("http://127.0.0.1:1".into()),
        ..Default::default()
    });
    assert!(
        Client::connect(options).await.is_ok(),
        "the codec server is only reached on use"
    );
}
