//! Client metrics against a real server, scraped from the Prometheus
//! endpoint the process opens: every count and label after a known mix of
//! calls, failures and long polls. Its own test binary: metrics are
//! configured once per process.

mod common;

use common::{client, none, start_request, unique_id};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use temporal_bridge_core::{
    configure_metrics, configure_metrics_with_sink, metrics_snapshot, ActivityAnswer,
    ActivityHandler, ActivityWorker, ActivityWorkerOptions, CountWorkflowsRequest,
    DescribeWorkflowRequest, ErrorKind, MetricKind, MetricRecord, MetricSink, MetricsOptions,
};

/// One record a host's meter was handed: name, kind, value, unit, labels.
type Record = (
    String,
    MetricKind,
    f64,
    &'static str,
    BTreeMap<String, String>,
);

/// A host's meter: every record it was handed.
#[derive(Default)]
struct Collected(Mutex<Vec<Record>>);

impl MetricSink for Collected {
    fn record(&self, record: &MetricRecord<'_>) {
        self.0.lock().unwrap().push((
            record.name.to_owned(),
            record.kind,
            record.value,
            record.unit,
            record.labels.clone(),
        ));
    }
}

impl Collected {
    /// The records of `name` whose labels include `label=value`.
    fn of(&self, name: &str, label: &str, value: &str) -> Vec<(MetricKind, f64, &'static str)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == name && r.4.get(label).map(String::as_str) == Some(value))
            .map(|r| (r.1, r.2, r.3))
            .collect()
    }
}

/// `GET /metrics` over plain HTTP/1.0; the body.
fn scrape(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_owned()
}

/// The value of the sample `name{labels}` whose labels include all of `want`.
fn value(text: &str, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, labels) = series.split_once('{')?;
            (series_name == name).then_some((labels, value))
        })
        .find(|(labels, _)| {
            want.iter()
                .all(|(k, v)| labels.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.parse().unwrap())
}

#[tokio::test]
async fn counts_and_labels_after_a_known_mix_of_calls() {
    let meter = Arc::new(Collected::default());
    let info = configure_metrics_with_sink(
        MetricsOptions {
            prometheus: Some("127.0.0.1:0".into()),
            global_tags: BTreeMap::from([("app".into(), "metrics-test".into())]),
            ..Default::default()
        },
        Some(meter.clone()),
    )
    .unwrap();
    let address = info.prometheus.unwrap();
    let again = configure_metrics(MetricsOptions::default()).unwrap_err();
    assert!(again.message().contains("already configured"), "{again}");

    let client = client().await;
    for _ in 0..3 {
        client
            .count_workflows(&CountWorkflowsRequest::default(), &none())
            .await
            .unwrap();
    }
    // Through a TLS terminator as well, as production runs: the same series.
    let ca = common::pki::TestCa::new("metrics TLS test CA");
    let (options, _proxy) = common::through_tls_terminator(&ca).await;
    let over_tls = temporal_bridge_core::Client::connect(options)
        .await
        .unwrap();
    for _ in 0..2 {
        over_tls
            .count_workflows(&CountWorkflowsRequest::default(), &none())
            .await
            .unwrap();
    }
    let missing = client
        .describe_workflow(
            &DescribeWorkflowRequest {
                workflow_id: "no-such-workflow".into(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    // A result wait is a long poll of the history.
    let started = client
        .start_workflow(&start_request("EchoWorkflow", vec![json!(1)]), &none())
        .await
        .unwrap();
    common::result_of(&client, &started.workflow_id)
        .await
        .unwrap();

    let text = scrape(&address);
    let ns = common::devenv().namespace.as_str();
    let base = [
        ("namespace", ns),
        ("service_name", "temporal-bridge"),
        ("app", "metrics-test"),
    ];
    let with = |operation: &'static str| {
        let mut labels = base.to_vec();
        labels.push(("operation", operation));
        labels
    };
    assert_eq!(
        value(&text, "temporal_request", &with("CountWorkflowExecutions")),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "temporal_request_latency_count",
            &with("CountWorkflowExecutions")
        ),
        Some(5.0)
    );
    let mut count_inf = with("CountWorkflowExecutions");
    count_inf.push(("le", "+Inf"));
    assert_eq!(
        value(&text, "temporal_request_latency_bucket", &count_inf),
        Some(5.0)
    );
    assert_eq!(
        value(
            &text,
            "temporal_request",
            &with("DescribeWorkflowExecution")
        ),
        Some(1.0)
    );
    let mut not_found = with("DescribeWorkflowExecution");
    not_found.push(("status_code", "NOT_FOUND"));
    assert_eq!(
        value(&text, "temporal_request_failure", &not_found),
        Some(1.0),
        "{text}"
    );
    // No failure series for calls that did not fail.
    assert_eq!(
        value(
            &text,
            "temporal_request_failure",
            &with("CountWorkflowExecutions")
        ),
        None
    );
    assert_eq!(
        value(&text, "temporal_request", &with("StartWorkflowExecution")),
        Some(1.0)
    );
    let long_polls = value(
        &text,
        "temporal_long_request",
        &with("GetWorkflowExecutionHistory"),
    )
    .expect("the result wait counted as a long poll");
    assert!(long_polls >= 1.0, "{text}");
    assert_eq!(
        value(
            &text,
            "temporal_request",
            &with("GetWorkflowExecutionHistory")
        ),
        None,
        "a long poll is not an ordinary request"
    );
    for family in [
        "temporal_request",
        "temporal_request_failure",
        "temporal_long_request_latency",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family} in {text}"
        );
    }

    // The snapshot says the same.
    let snapshot = metrics_snapshot();
    let counts = snapshot
        .iter()
        .find(|s| {
            s.name == "temporal_request"
                && s.labels.get("operation").map(String::as_str) == Some("CountWorkflowExecutions")
        })
        .unwrap();
    assert_eq!(counts.value, Some(5));
    assert_eq!(counts.labels["app"], "metrics-test");

    // The host's meter was handed each measurement as it was made.
    let operation = "CountWorkflowExecutions";
    let counted = meter.of("temporal_request", "operation", operation);
    assert_eq!(counted, vec![(MetricKind::Counter, 1.0, ""); 5]);
    let latencies = meter.of("temporal_request_latency", "operation", operation);
    assert_eq!(latencies.len(), 5);
    assert!(latencies
        .iter()
        .all(|(kind, ms, unit)| *kind == MetricKind::Histogram && *ms > 0.0 && *unit == "ms"));
    let failed = meter.of("temporal_request_failure", "status_code", "NOT_FOUND");
    assert_eq!(failed, vec![(MetricKind::Counter, 1.0, "")]);
    assert!(meter
        .0
        .lock()
        .unwrap()
        .iter()
        .all(|r| r.4["app"] == "metrics-test"));

    an_activity_worker_reports_its_slots(&meter).await;
}

/// The slot gauges of an activity worker: one slot used while our handler
/// runs, none after; the snapshot and the host's meter agree.
async fn an_activity_worker_reports_its_slots(meter: &Collected) {
    let client = client().await;
    let queue = unique_id("metrics-slots");
    let worker = ActivityWorker::new(
        &client,
        ActivityWorkerOptions {
            max_concurrent: 4,
            ..ActivityWorkerOptions::new(queue.clone())
        },
    )
    .unwrap();
    let gauge = |name: &str, queue: &str| {
        metrics_snapshot()
            .into_iter()
            .find(|s| {
                s.name == name && s.labels.get("task_queue").map(String::as_str) == Some(queue)
            })
            .map(|s| (s.kind, s.value, s.labels["worker_type"].clone()))
    };
    let seen_inside = Arc::new(Mutex::new(None));
    let inside = seen_inside.clone();
    let inside_queue = queue.clone();
    worker
        .register(
            "Slots",
            ActivityHandler::from_async(move |_task| {
                let inside = inside.clone();
                let queue = inside_queue.clone();
                async move {
                    *inside.lock().unwrap() = Some((
                        gauge("temporal_worker_task_slots_used", &queue),
                        gauge("temporal_worker_task_slots_available", &queue),
                    ));
                    ActivityAnswer::Completed(Some(json!("done")))
                }
            }),
        )
        .unwrap();
    let run = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run().await }
    });
    let mut input = json!({"activity": "Slots", "args": []});
    input["task_queue"] = json!(queue);
    let started = client
        .start_workflow(&start_request("CallActivityWorkflow", vec![input]), &none())
        .await
        .unwrap();
    assert_eq!(
        common::result_of(&client, &started.workflow_id)
            .await
            .unwrap(),
        json!("done")
    );
    worker.shutdown();
    run.await.unwrap().unwrap();

    let worker_type = "ActivityWorker".to_owned();
    let inside = seen_inside
        .lock()
        .unwrap()
        .clone()
        .expect("the handler ran");
    assert_eq!(inside.0, Some(("gauge", Some(1), worker_type.clone())));
    assert_eq!(inside.1, Some(("gauge", Some(3), worker_type.clone())));
    assert_eq!(
        gauge("temporal_worker_task_slots_used", &queue),
        Some(("gauge", Some(0), worker_type))
    );
    let used = meter.of("temporal_worker_task_slots_used", "task_queue", &queue);
    assert_eq!(
        used,
        [0.0, 1.0, 0.0].map(|v| (MetricKind::Gauge, v, "")).to_vec()
    );
}
