//! Transport conformance: how the client copes with an HTTP/2 server that
//! misbehaves. A fake server inside the test (the `h2` crate's server side, on
//! plaintext TCP or behind tokio-rustls with a throwaway CA) answers
//! `GetSystemInfo` properly, so the client connects, and then misbehaves on
//! the next call(s) in one chosen way: GOAWAY, RST_STREAM, statuses missing,
//! garbled or only in the HTTP status, bodies that are not protobuf, too big,
//! dripping or cut off, or no answer at all. Every such call must end in a
//! typed error within its deadline (never a hang, never a success or a panic),
//! and the client must still work for the call after it. Each scenario runs
//! over plaintext and over TLS: one transport serves both, so both must pass.

#[path = "../common/mod.rs"]
mod common;
mod fake_server;

use fake_server::*;

use bytes::Bytes;
use h2::Reason;
use serde_json::Value;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};
use temporal_bridge_core::{
    CallOptions, CallRpcRequest, Client, DescribeWorkflowRequest, Error, ErrorKind,
    GetResultRequest,
};

/// The per-attempt timeout of every test client: the deadline of a call
/// made without one of its own.
const RPC_TIMEOUT: Duration = Duration::from_millis(1500);
/// A caller's deadline, shorter than `RPC_TIMEOUT`.
const CALL_DEADLINE: Duration = Duration::from_millis(1000);
/// Slack past a deadline before an outcome counts as late (scheduling, TLS).
const MARGIN: Duration = Duration::from_secs(1);
/// A call without an outcome after this long has hung: the test fails then.
const HANG_LIMIT: Duration = Duration::from_secs(8);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A message size well past the client's limit (128 MiB).
const OVERSIZED: u32 = 200 * 1024 * 1024;
/// How much resident memory a call refusing an oversized message may add: a
/// client that buffers the body up to the limit first adds 128 MiB or more.
const MEMORY_GROWTH_LIMIT: u64 = 100 * 1024 * 1024;
const GET_SYSTEM_INFO: &str = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo";
const DEADLINE_WORDS: &[&str] = &["deadline", "timeout", "timed out"];

/// Body bytes streamed by `Oversized`: static, so the server's side of the
/// test allocates nothing that could pass for the client's memory.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

// --- Calls and checks --------------------------------------------------------

/// One `DescribeWorkflowExecution`, in a task of its own so that a panic in
/// the client fails the test with its message; a call that outlives
/// `HANG_LIMIT` fails it too. Returns the outcome and how long it took.
async fn describe(client: &Client, call: CallOptions) -> (Result<Value, Error>, Duration) {
    let client = client.clone();
    let begun = Instant::now();
    let request = DescribeWorkflowRequest {
        workflow_id: "conformance".into(),
        ..Default::default()
    };
    let task = tokio::spawn(async move {
        let described = client.describe_workflow(&request, &call).await;
        described.map(|d| serde_json::to_value(d).unwrap())
    });
    match tokio::time::timeout(HANG_LIMIT, task).await {
        Err(_) => panic!("the call hung: no outcome after {HANG_LIMIT:?}"),
        Ok(Err(join)) => panic!("the client panicked: {join}"),
        Ok(Ok(outcome)) => (outcome, begun.elapsed()),
    }
}

/// A call that must fail, within `deadline` (plus a margin).
async fn call_fails(client: &Client, call: CallOptions, deadline: Duration) -> Error {
    let (outcome, took) = describe(client, call).await;
    let err = match outcome {
        Ok(value) => panic!("a misbehaving reply was taken for a success: {value}"),
        Err(err) => err,
    };
    assert!(
        took < deadline + MARGIN,
        "failed only after {took:?} (deadline {deadline:?}): {err}"
    );
    err
}

/// The next call, to a server that now behaves, succeeds: the client recovered.
async fn call_succeeds(client: &Client) {
    if let (Err(err), _) = describe(client, CallOptions::default()).await {
        panic!("the call after the misbehaviour should succeed: {err}");
    }
}

/// Checks an error's kind, its gRPC code (when given) and that its message
/// says what happened (one of `words`, lowercase).
#[track_caller]
fn assert_error(err: &Error, kind: ErrorKind, grpc_code: Option<&str>, words: &[&str]) {
    assert_eq!(err.kind(), kind, "{err}");
    if let Some(code) = grpc_code {
        let actual = err.detail("grpc_code").and_then(Value::as_str);
        assert_eq!(actual, Some(code), "{err}");
    }
    let message = err.message().to_lowercase();
    assert!(
        words.iter().any(|word| message.contains(word)),
        "{err}: the message should mention one of {words:?}"
    );
}

/// Misbehaves once, on a client that does not retry: the call fails as
/// `check` expects, and the next one succeeds.
async fn fails_once_then_recovers(mode: Mode, misbehaviour: Misbehaviour, check: fn(&Error)) {
    let server = FakeServer::start(mode, misbehaviour, 1).await;
    let client = server.client(1).await;
    check(&call_fails(&client, CallOptions::default(), RPC_TIMEOUT).await);
    call_succeeds(&client).await;
}

/// This process's resident memory, from `/proc/self/status`.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|value| value.trim().parse::<u64>().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// Runs `work` while a thread samples resident memory; returns its outcome
/// and the peak growth over what was resident before.
async fn with_peak_memory_growth<T>(work: impl Future<Output = T>) -> (T, u64) {
    let before = resident_bytes();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let done = done.clone();
        move || {
            let mut peak = 0;
            while !done.load(SeqCst) {
                peak = peak.max(resident_bytes());
                std::thread::sleep(Duration::from_millis(5));
            }
            peak.max(resident_bytes())
        }
    });
    let outcome = work.await;
    done.store(true, SeqCst);
    let peak = sampler.join().unwrap();
    (outcome, peak.saturating_sub(before))
}

// --- Scenarios -----------------------------------------------------------------

/// The usual way a server restarts or sheds a connection: GOAWAY between
/// calls. The next call goes out on a new connection, without an error.
async fn goaway_between_calls_reconnects(mode: Mode) {
    let server = FakeServer::start(mode, Misbehaviour::AnswerThenGoAway(Reason::NO_ERROR), 1).await;
    let client = server.client(1).await;
    call_succeeds(&client).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    call_succeeds(&client).await;
    assert_eq!(server.connections(), 2);
}

/// A GOAWAY (then close) while a call waits: the call is retried on a new
/// connection or fails as `unavailable`; the next call reconnects.
async fn goaway_during_a_call(mode: Mode, reason: Reason) {
    let server = FakeServer::start(mode, Misbehaviour::GoAway(reason), 1).await;
    let client = server.client(1).await;
    let (outcome, took) = describe(&client, CallOptions::default()).await;
    assert!(took < RPC_TIMEOUT + MARGIN, "took {took:?}");
    if let Err(err) = outcome {
        let words = ["goaway", "go away", "going away", "connection", "closed"];
        assert_error(&err, ErrorKind::Unavailable, None, &words);
    }
    call_succeeds(&client).await;
    assert!(server.connections() >= 2, "the client reconnected");
}

async fn goaway_no_error_during_a_call(mode: Mode) {
    goaway_during_a_call(mode, Reason::NO_ERROR).await;
}

async fn goaway_enhance_your_calm_during_a_call(mode: Mode) {
    goaway_during_a_call(mode, Reason::ENHANCE_YOUR_CALM).await;
}

/// REFUSED_STREAM means the server did not touch the call: `unavailable`,
/// and a client that retries gets through.
async fn refused_stream_is_unavailable_and_retried(mode: Mode) {
    let server =
        FakeServer::start(mode, Misbehaviour::ResetStream(Reason::REFUSED_STREAM), 2).await;
    let err = call_fails(&server.client(1).await, CallOptions::default(), RPC_TIMEOUT).await;
    assert_error(&err, ErrorKind::Unavailable, None, &["refused", "reset"]);
    call_succeeds(&server.client(3).await).await;
    assert_eq!(server.calls(), 3);
}

/// The gRPC spec maps RST_STREAM codes to statuses: CANCEL is CANCELLED (an
/// `rpc` error: `cancelled` is for calls the caller abandoned).
async fn cancel_stream_reset_is_a_cancelled_rpc(mode: Mode) {
    fails_once_then_recovers(mode, Misbehaviour::ResetStream(Reason::CANCEL), |err| {
        // h2 words CANCEL as "stream no longer needed".
        let words = ["cancel", "reset", "no longer needed"];
        assert_error(err, ErrorKind::Rpc, Some("CANCELLED"), &words);
    })
    .await;
}

async fn internal_error_stream_reset_is_an_internal_rpc(mode: Mode) {
    let reset = Misbehaviour::ResetStream(Reason::INTERNAL_ERROR);
    fails_once_then_recovers(mode, reset, |err| {
        assert_error(
            err,
            ErrorKind::Rpc,
            Some("INTERNAL"),
            &["internal", "reset"],
        );
    })
    .await;
}

async fn trailers_only_not_found(mode: Mode) {
    let status = vec![
        ("grpc-status", "5"),
        ("grpc-message", "no%20such%20workflow"),
    ];
    let reply = Misbehaviour::Reply(Reply::trailers_only(status));
    fails_once_then_recovers(mode, reply, |err| {
        assert_error(err, ErrorKind::NotFound, None, &["no such workflow"]);
    })
    .await;
}

/// A body that ends without trailers (a proxy cut it short, say) is no success.
async fn missing_grpc_status(mode: Mode) {
    let reply = Misbehaviour::Reply(Reply::grpc(grpc_frame(&[]), None));
    fails_once_then_recovers(mode, reply, |err| {
        assert_error(err, ErrorKind::Rpc, None, &["status", "trailers"]);
    })
    .await;
}

/// A status that is no number is malformed, and the message says so (not
/// "status UNKNOWN", as if the server had sent that).
async fn non_numeric_grpc_status(mode: Mode) {
    let trailers = vec![("grpc-status", "abc")];
    let reply = Misbehaviour::Reply(Reply::grpc(grpc_frame(&[]), Some(trailers)));
    fails_once_then_recovers(mode, reply, |err| {
        assert_error(err, ErrorKind::Rpc, None, &["grpc-status", "abc"]);
    })
    .await;
}

/// Without a gRPC status, the HTTP status decides: 404 is UNIMPLEMENTED,
/// which is not retried, so a retrying client reports it at once.
async fn http_404_is_unimplemented_and_not_retried(mode: Mode) {
    let page = Reply::http(404, "text/html", html_page(), None);
    let server = FakeServer::start(mode, Misbehaviour::Reply(page), 1).await;
    let client = server.client(5).await;
    let (outcome, took) = describe(&client, CallOptions::default()).await;
    // Checked first: a retry would get a good answer and hide the 404.
    assert_eq!(server.calls(), 1, "retried: {outcome:?}");
    let err = outcome.expect_err("a 404 is no success");
    assert!(took < MARGIN, "took {took:?}: {err}");
    assert_error(&err, ErrorKind::Rpc, Some("UNIMPLEMENTED"), &["404"]);
    call_succeeds(&client).await;
}

async fn http_500_is_unknown(mode: Mode) {
    let page = Reply::http(500, "text/html", html_page(), None);
    fails_once_then_recovers(mode, Misbehaviour::Reply(page), |err| {
        assert_error(err, ErrorKind::Rpc, Some("UNKNOWN"), &["500"]);
    })
    .await;
}

/// 503 is UNAVAILABLE: reported as such, and retried by a client that retries.
async fn http_503_is_unavailable_and_retried(mode: Mode) {
    let page = Reply::http(503, "text/html", html_page(), None);
    let server = FakeServer::start(mode, Misbehaviour::Reply(page), 2).await;
    let err = call_fails(&server.client(1).await, CallOptions::default(), RPC_TIMEOUT).await;
    assert_error(&err, ErrorKind::Unavailable, Some("UNAVAILABLE"), &["503"]);
    call_succeeds(&server.client(3).await).await;
    assert_eq!(server.calls(), 3);
}

/// A result wait whose attempts keep failing (a proxy answering 503) rides
/// them out until its deadline, then says what the last attempt failed with.
async fn a_result_wait_past_its_deadline_says_what_kept_failing(mode: Mode) {
    let page = Reply::http(503, "text/html", html_page(), None);
    let server = FakeServer::start(mode, Misbehaviour::Reply(page), 1000).await;
    let client = server.client(3).await;
    let begun = Instant::now();
    let err = client
        .get_workflow_result(
            &GetResultRequest::new("conformance"),
            &CallOptions::with_timeout(CALL_DEADLINE),
        )
        .await
        .unwrap_err();
    assert!(
        begun.elapsed() < CALL_DEADLINE + MARGIN,
        "{:?}",
        begun.elapsed()
    );
    assert_error(&err, ErrorKind::DeadlineExceeded, None, &["last attempt"]);
    assert!(err.message().contains("503"), "{err}");
    let last = err.detail("last_error").expect("the last attempt's error");
    assert_eq!(last["kind"], "unavailable", "{last}");
    assert!(server.calls() > 1, "the wait gave up without retrying");
}

/// A server that answers the result's long poll at once with nothing new
/// (an empty history page) is polled again with backoff, not in a tight loop.
async fn empty_long_poll_answers_are_paced(mode: Mode) {
    let server = FakeServer::start(mode, Misbehaviour::Silence, 0).await;
    let client = server.client(1).await;
    let wait = Duration::from_secs(2);
    let err = client
        .get_workflow_result(
            &GetResultRequest::new("conformance"),
            &CallOptions::with_timeout(wait),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeadlineExceeded, "{err}");
    // Unpaced, this is thousands of polls; paced, a handful.
    let polls = server.calls();
    assert!((2..=20).contains(&polls), "{polls} polls in {wait:?}");
}

/// A web page with 200 (a captive portal, a misrouted proxy) is no gRPC reply.
async fn html_with_http_200_is_refused(mode: Mode) {
    let page = Reply::http(200, "text/html", html_page(), None);
    fails_once_then_recovers(mode, Misbehaviour::Reply(page), |err| {
        let words = ["content-type", "text/html", "grpc-status"];
        assert_error(err, ErrorKind::Rpc, None, &words);
    })
    .await;
}

async fn malformed_protobuf(mode: Mode) {
    let ok = vec![("grpc-status", "0")];
    let garbage = Reply::grpc(grpc_frame(&[0xff; 16]), Some(ok));
    fails_once_then_recovers(mode, Misbehaviour::Reply(garbage), |err| {
        assert_error(
            err,
            ErrorKind::Rpc,
            Some("INTERNAL"),
            &["decode", "invalid"],
        );
    })
    .await;
}

/// A message claimed past the size limit fails as soon as its header is
/// read: the client does not buffer the body up to the limit first.
async fn oversized_message_stops_at_its_header(mode: Mode) {
    // One such test at a time, so each measures only its own client.
    static MEMORY_HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _alone = MEMORY_HEAVY.lock().await;
    let streaming = Misbehaviour::Oversized { then_stream: true };
    let server = FakeServer::start(mode, streaming, 1).await;
    let client = server.client(1).await;
    let call = call_fails(&client, CallOptions::default(), RPC_TIMEOUT);
    let (err, growth) = with_peak_memory_growth(call).await;
    assert_error(&err, ErrorKind::Rpc, None, &["limit", "large", "size"]);
    assert!(
        growth < MEMORY_GROWTH_LIMIT,
        "resident memory grew by {} MiB: the body was buffered",
        growth >> 20
    );
    call_succeeds(&client).await;
}

/// A size claim past the limit, then silence: the error comes at once, not
/// when the deadline passes.
async fn oversized_claim_then_silence_fails_at_once(mode: Mode) {
    let silent = Misbehaviour::Oversized { then_stream: false };
    let server = FakeServer::start(mode, silent, 1).await;
    let client = server.client(1).await;
    let (outcome, took) = describe(&client, CallOptions::default()).await;
    let err = outcome.expect_err("an oversized message is no success");
    assert!(took < RPC_TIMEOUT / 2, "failed only after {took:?}: {err}");
    assert_error(&err, ErrorKind::Rpc, None, &["limit", "large", "size"]);
    call_succeeds(&client).await;
}

/// A call that the server stalls (`misbehaviour`) ends at the client's
/// per-attempt timeout, or at the caller's shorter deadline, as
/// `deadline_exceeded`; then the client still works.
async fn stalled_call_meets_its_deadline(mode: Mode, misbehaviour: Misbehaviour) -> FakeServer {
    let server = FakeServer::start(mode, misbehaviour, 2).await;
    let client = server.client(1).await;
    let err = call_fails(&client, CallOptions::default(), RPC_TIMEOUT).await;
    assert_error(&err, ErrorKind::DeadlineExceeded, None, DEADLINE_WORDS);
    let call = CallOptions::with_timeout(CALL_DEADLINE);
    let err = call_fails(&client, call, CALL_DEADLINE).await;
    assert_error(&err, ErrorKind::DeadlineExceeded, None, DEADLINE_WORDS);
    call_succeeds(&client).await;
    server
}

/// A body dripping in slower than the deadline allows: the deadline covers
/// the whole reply, not only its headers.
async fn dripping_body_meets_the_deadline(mode: Mode) {
    stalled_call_meets_its_deadline(mode, Misbehaviour::Drip).await;
}

/// A server that never answers: the deadline ends the call, and the client
/// resets the stream (the server learns the call was given up).
async fn silent_server_meets_the_deadline(mode: Mode) {
    let server = stalled_call_meets_its_deadline(mode, Misbehaviour::Silence).await;
    let resets = || server.state.client_resets.load(SeqCst);
    // Up to 5 s: this file's 48 tests run two at a time, some streaming
    // hundreds of MiB; in one run of the whole suite a 1 s wait saw only the
    // first reset (alone, the second always arrives well within it).
    for _ in 0..100 {
        if resets() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(resets(), 2, "both abandoned calls were reset");
}

/// A call's own `rpc_timeout` bounds each of its attempts instead of the
/// client's, from the typed API and from the JSON contract alike.
async fn a_calls_rpc_timeout_bounds_its_attempts(mode: Mode) {
    const SHORT: Duration = Duration::from_millis(300);
    let server = FakeServer::start(mode, Misbehaviour::Silence, 2).await;
    let client = server.client(1).await;
    let call = CallOptions {
        rpc_timeout: Some(SHORT),
        ..CallOptions::default()
    };
    let begun = Instant::now();
    let err = call_fails(&client, call, SHORT).await;
    assert_error(&err, ErrorKind::DeadlineExceeded, None, DEADLINE_WORDS);
    assert!(begun.elapsed() < RPC_TIMEOUT, "{:?}", begun.elapsed());
    let begun = Instant::now();
    let request = r#"{"workflow_id": "w", "rpc_timeout": 0.3}"#;
    let err = client
        .call_json("describe_workflow", request, &CallOptions::default())
        .await
        .unwrap_err();
    assert_error(&err, ErrorKind::DeadlineExceeded, None, DEADLINE_WORDS);
    assert!(begun.elapsed() < SHORT + MARGIN, "{:?}", begun.elapsed());
    call_succeeds(&client).await;
}

/// The TCP connection dies mid-reply: `unavailable`, and the next call
/// reconnects.
async fn connection_reset_mid_response(mode: Mode) {
    let server = FakeServer::start(mode, Misbehaviour::ResetConnection, 1).await;
    let client = server.client(1).await;
    let err = call_fails(&client, CallOptions::default(), RPC_TIMEOUT).await;
    let words = ["reset", "connection", "closed", "broken"];
    assert_error(&err, ErrorKind::Unavailable, None, &words);
    call_succeeds(&client).await;
    assert_eq!(server.connections(), 2);
}

/// Status details that are not base64 are dropped; the status stands.
async fn undecodable_status_details_keep_the_status(mode: Mode) {
    let trailers = vec![
        ("grpc-status", "5"),
        ("grpc-message", "no%20such%20workflow"),
        ("grpc-status-details-bin", "*** not base64 ***"),
    ];
    let reply = Reply::grpc(Bytes::new(), Some(trailers));
    fails_once_then_recovers(mode, Misbehaviour::Reply(reply), |err| {
        assert_error(err, ErrorKind::NotFound, None, &["no such workflow"]);
    })
    .await;
}

/// `call_rpc` repeats a failed attempt only where that is safe: read-only
/// methods, and methods whose request carries a request ID (generated for a
/// JSON request; a raw request without one is sent once). Anything else
/// goes out once.
async fn call_rpc_repeats_only_what_is_safe(mode: Mode) {
    let page = Reply::http(503, "text/html", html_page(), None);
    let server = FakeServer::start(mode, Misbehaviour::Reply(page), 1000).await;
    let client = server.client(3).await;
    let attempts = |method: &'static str| {
        let client = client.clone();
        let server = &server;
        async move {
            let before = server.calls();
            let request = CallRpcRequest {
                service: "workflow".into(),
                method: method.into(),
                request: Some(serde_json::json!({})),
                ..Default::default()
            };
            let err = client
                .call_rpc(&request, &CallOptions::default())
                .await
                .unwrap_err();
            assert_error(&err, ErrorKind::Unavailable, Some("UNAVAILABLE"), &["503"]);
            server.calls() - before
        }
    };
    assert_eq!(attempts("DescribeTaskQueue").await, 3);
    assert_eq!(attempts("SignalWorkflowExecution").await, 3);
    assert_eq!(attempts("RespondActivityTaskCompleted").await, 1);
    let before = server.calls();
    let err = client
        .call_rpc_bytes(
            "workflow",
            "SignalWorkflowExecution",
            Bytes::new(),
            &Default::default(),
            &CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(server.calls() - before, 1);
}

/// Each scenario, once over plaintext and once over TLS.
macro_rules! in_both_modes {
    ($($scenario:ident),* $(,)?) => {
        mod plaintext {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Mode::Plaintext).await;
                }
            )*
        }
        mod tls {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Mode::Tls).await;
                }
            )*
        }
    };
}

in_both_modes!(
    goaway_between_calls_reconnects,
    goaway_no_error_during_a_call,
    goaway_enhance_your_calm_during_a_call,
    refused_stream_is_unavailable_and_retried,
    cancel_stream_reset_is_a_cancelled_rpc,
    internal_error_stream_reset_is_an_internal_rpc,
    trailers_only_not_found,
    missing_grpc_status,
    non_numeric_grpc_status,
    http_404_is_unimplemented_and_not_retried,
    http_500_is_unknown,
    http_503_is_unavailable_and_retried,
    a_result_wait_past_its_deadline_says_what_kept_failing,
    empty_long_poll_answers_are_paced,
    html_with_http_200_is_refused,
    malformed_protobuf,
    oversized_message_stops_at_its_header,
    oversized_claim_then_silence_fails_at_once,
    dripping_body_meets_the_deadline,
    silent_server_meets_the_deadline,
    a_calls_rpc_timeout_bounds_its_attempts,
    connection_reset_mid_response,
    undecodable_status_details_keep_the_status,
    call_rpc_repeats_only_what_is_safe,
);
