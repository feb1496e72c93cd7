//! The core's log records through a server restart: the connect, the
//! failed attempts with their cause while the server is down, the failed
//! reconnects, the reconnect once it is back, the call that outlived the
//! restart logged as slow — and nothing secret in any of them. Over
//! plaintext, and over TLS through a terminator that stays up while the
//! server behind it restarts (as a load balancer would). Its own test binary: the log sink is per process.

mod common;

use common::pki::TestCa;
use common::tls_proxy::{Forward, TlsProxy};
use common::{none, Restartable};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporal_bridge_core::{
    set_log_sink, CallOptions, Client, ConnectOptions, CountWorkflowsRequest, LogLevel, LogRecord,
    LogSink, RetrySettings,
};

#[derive(Default)]
struct Collect(Mutex<Vec<LogRecord>>);

impl LogSink for Collect {
    fn log(&self, record: &LogRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

const SECRET: &str = "s3cr3t-header-value";

// One test for both routes: the log sink is per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_in_the_records() {
    restart_records(false).await;
    restart_records(true).await;
}

async fn restart_records(through_tls: bool) {
    let records = Arc::new(Collect::default());
    set_log_sink(Some(records.clone()), LogLevel::Info);

    let server = Restartable::new("tb-logs");
    let first = tokio::task::spawn_blocking(server.spawn(&["--no-worker"]))
        .await
        .unwrap();
    let server_target = first.info["target"].as_str().unwrap().to_owned();
    let ca = TestCa::new("temporal-bridge logs test CA");
    let proxy = match through_tls {
        true => Some(
            TlsProxy::start_for(
                server_target.clone(),
                &ca.server_cert(),
                None,
                Forward::Bytes,
            )
            .await,
        ),
        false => None,
    };
    let target = proxy.as_ref().map_or(server_target, TlsProxy::target);
    let mut options = ConnectOptions::new(target.clone());
    options.tls = through_tls.then(|| ca.trusted());
    options.headers = BTreeMap::from([("x-team-token".to_owned(), SECRET.to_owned())]);
    options.retry = RetrySettings {
        max_attempts: 3,
        ..RetrySettings::default()
    };
    let client = Client::connect(options.clone()).await.unwrap();
    // A client that retries long enough to outlive the restart.
    options.slow_call_threshold = Some(Duration::from_millis(500).into());
    options.retry = RetrySettings {
        max_attempts: 1000,
        max_elapsed: Duration::from_secs(120).into(),
        max_interval: Duration::from_millis(500).into(),
        ..RetrySettings::default()
    };
    let patient = Client::connect(options).await.unwrap();
    tokio::task::spawn_blocking(move || first.stop())
        .await
        .unwrap();
    // The server is gone: the attempts fail, and are retried.
    let down = client
        .count_workflows(
            &CountWorkflowsRequest::default(),
            &CallOptions::with_timeout(Duration::from_secs(5)),
        )
        .await;
    assert!(down.is_err());
    // This call starts while the server is down and ends once it is back.
    let outlives = tokio::spawn(async move {
        patient
            .count_workflows(
                &CountWorkflowsRequest::default(),
                &CallOptions::with_timeout(Duration::from_secs(150)),
            )
            .await
    });
    // The server comes back only once that call has failed four times, so
    // it has been waiting for at least its backoffs (100 + 200 + 400 +
    // 800 ms, less a fifth of jitter): well over the slow-call threshold,
    // however fast the server restarts. (The other client stops at three.)
    let fourth = tokio::time::Instant::now() + Duration::from_secs(60);
    while !records.0.lock().unwrap().iter().any(|r| {
        r.message
            .starts_with("CountWorkflowExecutions attempt 4 failed")
    }) {
        assert!(
            tokio::time::Instant::now() < fourth,
            "no fourth attempt of the call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = tokio::task::spawn_blocking(server.spawn(&["--no-worker"]))
        .await
        .unwrap();
    outlives
        .await
        .unwrap()
        .expect("the call outlives the restart");
    client
        .count_workflows(&CountWorkflowsRequest::default(), &none())
        .await
        .expect("the client reconnects");
    // Delivered in order by the log thread: give it a moment to catch up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let reconnected = |records: &[LogRecord]| {
        records
            .iter()
            .any(|r| r.message.starts_with("reconnected to") && r.level == LogLevel::Info)
            && records
                .iter()
                .any(|r| r.message.starts_with("slow call: CountWorkflowExecutions"))
    };
    while !reconnected(&records.0.lock().unwrap()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnect or slow-call record in {:#?}",
            records.0.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    set_log_sink(None, LogLevel::Info);
    let records = records.0.lock().unwrap().clone();
    let text: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{:?} {} {} {}",
                r.level,
                r.target,
                r.message,
                serde_json::Value::Object(r.fields.clone())
            )
        })
        .collect();
    let all = text.join("\n");
    assert!(
        records.iter().any(|r| r.level == LogLevel::Info
            && r.message.starts_with(&format!("connected to {target}"))
            && r.target == "temporal_bridge::client"),
        "{all}"
    );
    let retry = records
        .iter()
        .find(|r| {
            r.message
                .starts_with("CountWorkflowExecutions attempt 1 failed")
        })
        .unwrap_or_else(|| panic!("no retry record in\n{all}"));
    assert_eq!(retry.level, LogLevel::Warn);
    assert_eq!(retry.fields["status_code"], "UNAVAILABLE", "{all}");
    assert_eq!(retry.fields["attempt"], 1);
    assert!(
        retry.fields["cause"].as_str().unwrap().contains("connect"),
        "{all}"
    );
    // Straight to the server, the connection itself fails while it is
    // down; through TLS the terminator takes the connection and drops it,
    // which the attempts' cause says ("connection reset", "peer closed").
    assert!(
        through_tls
            || records.iter().any(|r| r.level == LogLevel::Warn
                && r.target == "temporal_bridge::transport"
                && r.message.starts_with("could not connect: ")),
        "{all}"
    );
    let slow = records
        .iter()
        .find(|r| {
            r.message
                .starts_with("slow call: CountWorkflowExecutions took")
                && r.fields["outcome"] == "ok"
        })
        .unwrap_or_else(|| panic!("no slow-call record in\n{all}"));
    assert_eq!(slow.level, LogLevel::Warn);
    assert!(slow.fields["elapsed_ms"].as_u64().unwrap() >= 500, "{all}");
    assert!(
        !all.contains(SECRET),
        "a secret reached the records:\n{all}"
    );
    tokio::task::spawn_blocking(move || second.stop())
        .await
        .unwrap();
}
