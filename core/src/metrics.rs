//! Client metrics with the names, labels and units of sdk-core's client, so
//! that dashboards built for the official SDKs read them unchanged:
//! `temporal_request`, `temporal_request_failure`, `temporal_request_latency`
//! and their `temporal_long_request*` twins for long polls, labelled
//! `namespace`, `operation` (the RPC's name), `service_name`, `status_code`
//! (failures only) and the configured global tags. Latencies are histograms
//! in milliseconds. Every attempt of an RPC counts, as in sdk-core.
//!
//! Activity workers add sdk-core's slot gauges,
//! `temporal_worker_task_slots_available` and `temporal_worker_task_slots_used`
//! (labels `namespace`, `task_queue`, `worker_type="ActivityWorker"`).
//!
//! Metrics are per process and off until [`configure_metrics`] is called;
//! while off, recording costs one atomic load. Once on, they are exported
//! through a Prometheus scrape endpoint the process opens (when asked), are
//! readable at any time as a snapshot ([`metrics_snapshot`]), and each
//! measurement is handed to the host's [`MetricSink`] when one is given
//! ([`configure_metrics_with_sink`]).

use crate::error::{Error, Result};
use bytes::Bytes;
use http_body_util::Full;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The `service_name` label of every series.
const SERVICE_NAME: &str = "temporal-bridge";

/// Upper bounds (ms) of the latency histograms' buckets, as sdk-core's.
const REQUEST_BUCKETS_MS: &[f64] = &[50.0, 100.0, 500.0, 1000.0, 2500.0, 10_000.0];
const LONG_REQUEST_BUCKETS_MS: &[f64] = &[50.0, 100.0, 500.0, 1000.0, 2500.0, 10_000.0, 60_000.0];

/// How metrics are exported; the JSON of `tb_metrics_configure` and
/// Python's `metrics.configure(...)`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsOptions {
    /// Address to serve Prometheus' text format on (`GET /metrics`), e.g.
    /// `"127.0.0.1:9464"`; port 0 picks a free one. None: no endpoint.
    #[serde(default)]
    pub prometheus: Option<String>,
    /// Replaces the `temporal_` prefix of every metric name.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Labels added to every series.
    #[serde(default)]
    pub global_tags: BTreeMap<String, String>,
}

/// What [`configure_metrics`] set up.
#[derive(Debug, Clone, Serialize)]
pub struct MetricsInfo {
    /// The Prometheus endpoint's address (`host:port`), if one was asked for.
    pub prometheus: Option<String>,
}

/// The kind of a metric, as a [`MetricSink`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// A count: each record adds its value.
    Counter = 1,
    /// A distribution: each record is one observation (latencies in ms).
    Histogram = 2,
    /// A level: each record is the current value.
    Gauge = 3,
}

impl MetricKind {
    fn name(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Histogram => "histogram",
            MetricKind::Gauge => "gauge",
        }
    }
}

/// One measurement, as a [`MetricSink`] receives it.
#[derive(Debug)]
pub struct MetricRecord<'a> {
    /// The metric's name, prefix included (`temporal_request`).
    pub name: &'a str,
    /// Counter, histogram or gauge.
    pub kind: MetricKind,
    /// The counter's increment, the histogram's observation or the gauge's
    /// new value.
    pub value: f64,
    /// `"ms"` for latencies, `""` otherwise.
    pub unit: &'static str,
    /// The series' labels, global tags included.
    pub labels: &'a BTreeMap<String, String>,
}

/// Receives every measurement as it is made, on the thread that made it
/// (any library thread, concurrently): it must be quick and must not
/// block. Bindings hand the records to the host's meter.
pub trait MetricSink: Send + Sync {
    /// One measurement.
    fn record(&self, record: &MetricRecord<'_>);
}

/// The metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Family {
    Request,
    RequestFailure,
    RequestLatency,
    LongRequest,
    LongRequestFailure,
    LongRequestLatency,
    SlotsAvailable,
    SlotsUsed,
}

impl Family {
    const ALL: [Family; 8] = [
        Family::Request,
        Family::RequestFailure,
        Family::RequestLatency,
        Family::LongRequest,
        Family::LongRequestFailure,
        Family::LongRequestLatency,
        Family::SlotsAvailable,
        Family::SlotsUsed,
    ];

    fn kind(self) -> MetricKind {
        match self {
            Family::RequestLatency | Family::LongRequestLatency => MetricKind::Histogram,
            Family::SlotsAvailable | Family::SlotsUsed => MetricKind::Gauge,
            _ => MetricKind::Counter,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Family::Request => "request",
            Family::RequestFailure => "request_failure",
            Family::RequestLatency => "request_latency",
            Family::LongRequest => "long_request",
            Family::LongRequestFailure => "long_request_failure",
            Family::LongRequestLatency => "long_request_latency",
            Family::SlotsAvailable => "worker_task_slots_available",
            Family::SlotsUsed => "worker_task_slots_used",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Family::Request => "Count of client requests by rpc name",
            Family::RequestFailure => "Count of client request failures by rpc name",
            Family::RequestLatency => "Histogram of client request latencies",
            Family::LongRequest => "Count of long-poll requests by rpc name",
            Family::LongRequestFailure => "Count of long-poll request failures by rpc name",
            Family::LongRequestLatency => "Histogram of client long-poll request latencies",
            Family::SlotsAvailable => "Task slots available to run tasks",
            Family::SlotsUsed => "Task slots used by running tasks",
        }
    }

    fn buckets(self) -> Option<&'static [f64]> {
        match self {
            Family::RequestLatency => Some(REQUEST_BUCKETS_MS),
            Family::LongRequestLatency => Some(LONG_REQUEST_BUCKETS_MS),
            _ => None,
        }
    }
}

/// One series: a family and its labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct SeriesKey {
    family: Family,
    namespace: Arc<str>,
    /// The RPC (request metrics).
    operation: Option<&'static str>,
    status_code: Option<&'static str>,
    /// The worker's task queue (worker metrics).
    task_queue: Option<Arc<str>>,
}

#[derive(Debug, Clone)]
enum Value {
    Counter(u64),
    Gauge(u64),
    Histogram {
        /// Counts per bucket (not cumulative), then the overflow.
        buckets: Vec<u64>,
        sum_ms: f64,
        count: u64,
    },
}

/// The process's metrics.
struct Registry {
    prefix: String,
    global_tags: BTreeMap<String, String>,
    series: Mutex<HashMap<SeriesKey, Value>>,
    prometheus: Option<String>,
    sink: Option<Arc<dyn MetricSink>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Turns metrics on for this process (once), and opens the Prometheus
/// endpoint when asked. A second call is an error: metrics are configured
/// once per process, as sdk-core's runtime is.
pub fn configure_metrics(options: MetricsOptions) -> Result<MetricsInfo> {
    configure_metrics_with_sink(options, None)
}

/// [`configure_metrics`], with every measurement also handed to `sink`.
pub fn configure_metrics_with_sink(
    options: MetricsOptions,
    sink: Option<Arc<dyn MetricSink>>,
) -> Result<MetricsInfo> {
    for name in options.global_tags.keys() {
        check_label_name(name)?;
    }
    if let Some(prefix) = &options.prefix {
        if !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            || prefix.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(Error::invalid_argument(format!(
                "metric prefix {prefix:?} may only hold letters, digits, '_' and ':', and not start with a digit"
            ))
            .with_detail("field", "prefix"));
        }
    }
    static CONFIGURING: Mutex<()> = Mutex::new(());
    let _once = CONFIGURING.lock().unwrap_or_else(|p| p.into_inner());
    if REGISTRY.get().is_some() {
        return Err(Error::invalid_argument(
            "metrics are already configured in this process",
        ));
    }
    let prometheus = match &options.prometheus {
        Some(address) => Some(serve_prometheus(address)?),
        None => None,
    };
    let registry = Registry {
        prefix: options.prefix.unwrap_or_else(|| "temporal_".to_owned()),
        global_tags: options.global_tags,
        series: Mutex::new(HashMap::new()),
        prometheus: prometheus.clone(),
        sink,
    };
    let _ = REGISTRY.set(registry);
    Ok(MetricsInfo { prometheus })
}

/// [`configure_metrics`] from the JSON form of the options.
pub fn configure_metrics_json(options: &str) -> Result<MetricsInfo> {
    configure_metrics(crate::json_text::parse_strict(options, "metrics options")?)
}

/// What metrics are on: `None` while off.
pub fn metrics_info() -> Option<MetricsInfo> {
    REGISTRY.get().map(|r| MetricsInfo {
        prometheus: r.prometheus.clone(),
    })
}

fn check_label_name(name: &str) -> Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__");
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "global tag {name:?} is not a valid label name (letters, digits and '_', not starting with a digit or \"__\")"
        ))
        .with_detail("field", "global_tags"))
    }
}

/// Records one attempt of an RPC: `code` is `None` on success, else the
/// gRPC status's name (`NOT_FOUND`, ...). Nothing when metrics are off.
pub(crate) fn record_request(
    namespace: &Arc<str>,
    path: &'static str,
    long: bool,
    latency: Duration,
    code: Option<&'static str>,
) {
    let Some(registry) = REGISTRY.get() else {
        return;
    };
    let operation = path.rsplit('/').next().unwrap_or(path);
    let (count, failure, latency_family) = if long {
        (
            Family::LongRequest,
            Family::LongRequestFailure,
            Family::LongRequestLatency,
        )
    } else {
        (
            Family::Request,
            Family::RequestFailure,
            Family::RequestLatency,
        )
    };
    let key = |family, status_code| SeriesKey {
        family,
        namespace: Arc::clone(namespace),
        operation: Some(operation),
        status_code,
        task_queue: None,
    };
    let ms = latency.as_secs_f64() * 1000.0;
    if let Some(sink) = &registry.sink {
        registry.hand_over(sink.as_ref(), &key(count, None), 1.0);
        if let Some(code) = code {
            registry.hand_over(sink.as_ref(), &key(failure, Some(code)), 1.0);
        }
        registry.hand_over(sink.as_ref(), &key(latency_family, None), ms);
    }
    let mut series = registry.series.lock().unwrap_or_else(|p| p.into_inner());
    bump(&mut series, key(count, None));
    if let Some(code) = code {
        bump(&mut series, key(failure, Some(code)));
    }
    let buckets = latency_family.buckets().unwrap_or_default();
    let value = series
        .entry(key(latency_family, None))
        .or_insert_with(|| Value::Histogram {
            buckets: vec![0; buckets.len() + 1],
            sum_ms: 0.0,
            count: 0,
        });
    if let Value::Histogram {
        buckets: counts,
        sum_ms,
        count,
    } = value
    {
        let slot = buckets
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(buckets.len());
        counts[slot] += 1;
        *sum_ms += ms;
        *count += 1;
    }
}

/// Records an activity worker's slots: `used` by running tasks of
/// `capacity`. Nothing when metrics are off.
pub(crate) fn record_slots(namespace: &str, task_queue: &str, used: u64, capacity: u64) {
    let Some(registry) = REGISTRY.get() else {
        return;
    };
    let key = |family| SeriesKey {
        family,
        namespace: Arc::from(namespace),
        operation: None,
        status_code: None,
        task_queue: Some(Arc::from(task_queue)),
    };
    let available = capacity.saturating_sub(used);
    let gauges = [
        (key(Family::SlotsAvailable), available),
        (key(Family::SlotsUsed), used),
    ];
    if let Some(sink) = &registry.sink {
        for (key, value) in &gauges {
            registry.hand_over(sink.as_ref(), key, *value as f64);
        }
    }
    let mut series = registry.series.lock().unwrap_or_else(|p| p.into_inner());
    for (key, value) in gauges {
        series.insert(key, Value::Gauge(value));
    }
}

fn bump(series: &mut HashMap<SeriesKey, Value>, key: SeriesKey) {
    if let Value::Counter(n) = series.entry(key).or_insert(Value::Counter(0)) {
        *n += 1;
    }
}

/// One series of the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSample {
    /// The metric's name, prefix included (`temporal_request`).
    pub name: String,
    /// `counter`, `histogram` or `gauge`.
    pub kind: &'static str,
    /// Its labels, global tags included.
    pub labels: BTreeMap<String, String>,
    /// A counter's or a gauge's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// A histogram's cumulative bucket counts by upper bound (ms), `+Inf` last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<(String, u64)>>,
    /// A histogram's sum (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
    /// A histogram's count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// Every series recorded so far, sorted by name and labels; empty while
/// metrics are off.
pub fn metrics_snapshot() -> Vec<MetricSample> {
    let Some(registry) = REGISTRY.get() else {
        return Vec::new();
    };
    let mut series: Vec<(SeriesKey, Value)> = registry
        .series
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    series
        .into_iter()
        .map(|(key, value)| registry.sample(&key, value))
        .collect()
}

impl Registry {
    fn labels(&self, key: &SeriesKey) -> BTreeMap<String, String> {
        let mut labels = self.global_tags.clone();
        labels.insert("namespace".into(), key.namespace.to_string());
        if let Some(operation) = key.operation {
            labels.insert("operation".into(), operation.into());
        }
        labels.insert("service_name".into(), SERVICE_NAME.into());
        if let Some(code) = key.status_code {
            labels.insert("status_code".into(), code.into());
        }
        if let Some(queue) = &key.task_queue {
            labels.insert("task_queue".into(), queue.to_string());
            labels.insert("worker_type".into(), "ActivityWorker".into());
        }
        labels
    }

    fn name(&self, family: Family) -> String {
        format!("{}{}", self.prefix, family.name())
    }

    /// Hands one measurement of `key`'s series to the sink.
    fn hand_over(&self, sink: &dyn MetricSink, key: &SeriesKey, value: f64) {
        let kind = key.family.kind();
        sink.record(&MetricRecord {
            name: &self.name(key.family),
            kind,
            value,
            unit: if kind == MetricKind::Histogram {
                "ms"
            } else {
                ""
            },
            labels: &self.labels(key),
        });
    }

    fn sample(&self, key: &SeriesKey, value: Value) -> MetricSample {
        let name = self.name(key.family);
        let labels = self.labels(key);
        match value {
            Value::Counter(n) | Value::Gauge(n) => MetricSample {
                name,
                kind: key.family.kind().name(),
                labels,
                value: Some(n),
                buckets: None,
                sum: None,
                count: None,
            },
            Value::Histogram {
                buckets,
                sum_ms,
                count,
            } => {
                let bounds = key.family.buckets().unwrap_or_default();
                let mut cumulative = 0;
                let buckets = buckets
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        cumulative += n;
                        let bound = bounds
                            .get(i)
                            .map_or_else(|| "+Inf".to_owned(), |b| format!("{b}"));
                        (bound, cumulative)
                    })
                    .collect();
                MetricSample {
                    name,
                    kind: "histogram",
                    labels,
                    value: None,
                    buckets: Some(buckets),
                    sum: Some(sum_ms),
                    count: Some(count),
                }
            }
        }
    }
}

/// The snapshot in Prometheus' text exposition format (version 0.0.4).
pub fn prometheus_text() -> String {
    let Some(registry) = REGISTRY.get() else {
        return String::new();
    };
    let samples = metrics_snapshot();
    let mut out = String::new();
    for family in Family::ALL {
        let name = registry.name(family);
        let kind = family.kind().name();
        let _ = writeln!(out, "# HELP {name} {}", family.help());
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for sample in samples.iter().filter(|s| s.name == name) {
            let labels = render_labels(&sample.labels, None);
            match (&sample.value, &sample.buckets) {
                (Some(value), _) => {
                    let _ = writeln!(out, "{name}{labels} {value}");
                }
                (None, Some(buckets)) => {
                    for (bound, count) in buckets {
                        let labels = render_labels(&sample.labels, Some(bound));
                        let _ = writeln!(out, "{name}_bucket{labels} {count}");
                    }
                    let _ = writeln!(out, "{name}_sum{labels} {}", sample.sum.unwrap_or(0.0));
                    let _ = writeln!(out, "{name}_count{labels} {}", sample.count.unwrap_or(0));
                }
                (None, None) => {}
            }
        }
    }
    out
}

fn render_labels(labels: &BTreeMap<String, String>, le: Option<&str>) -> String {
    let mut out = String::from("{");
    let mut first = true;
    let pairs = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(le.map(|le| ("le", le)));
    for (key, value) in pairs {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "{key}=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// Binds `address` and serves the text format there; returns the bound
/// address.
fn serve_prometheus(address: &str) -> Result<String> {
    let refuse = |why: String| {
        Error::invalid_argument(format!(
            "cannot serve Prometheus metrics on {address:?}: {why}"
        ))
        .with_detail("field", "prometheus")
    };
    let listener = std::net::TcpListener::bind(address).map_err(|e| refuse(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| refuse(e.to_string()))?;
    let bound = listener
        .local_addr()
        .map_err(|e| refuse(e.to_string()))?
        .to_string();
    // The endpoint runs on a thread and runtime of its own: a task on the
    // shared runtime would keep that runtime's background thread driving
    // it all the time, which makes every blocking call hand its work across
    // threads (measured: +20-70 % CPU per call).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| refuse(e.to_string()))?;
    let listener = {
        let _inside = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(|e| refuse(e.to_string()))?
    };
    std::thread::Builder::new()
        .name("temporal-bridge-metrics".into())
        .spawn(move || runtime.block_on(serve(listener)))
        .map_err(|e| refuse(e.to_string()))?;
    Ok(bound)
}

/// Answers scrapes on `listener`, one connection at a time per task.
async fn serve(listener: tokio::net::TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|request: http::Request<_>| async move {
                let _: &hyper::body::Incoming = request.body();
                let response = if request.uri().path() == "/metrics" {
                    http::Response::builder()
                        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .body(Full::new(Bytes::from(prometheus_text())))
                } else {
                    http::Response::builder()
                        .status(404)
                        .body(Full::new(Bytes::from_static(b"metrics are at /metrics\n")))
                };
                Ok::<_, std::convert::Infallible>(response.unwrap_or_default())
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_le_comes_last() {
        let labels = BTreeMap::from([
            ("a".to_owned(), "x\"y\\z\nw".to_owned()),
            ("b".to_owned(), "plain".to_owned()),
        ]);
        assert_eq!(
            render_labels(&labels, Some("50")),
            r#"{a="x\"y\\z\nw",b="plain",le="50"}"#
        );
    }

    #[test]
    fn bad_tags_and_prefixes_are_refused_before_anything_is_configured() {
        let tags = |name: &str| MetricsOptions {
            global_tags: BTreeMap::from([(name.to_owned(), "v".to_owned())]),
            ..Default::default()
        };
        for name in ["", "1a", "a-b", "__x"] {
            let err = configure_metrics(tags(name)).unwrap_err();
            assert!(err.message().contains("label name"), "{name}: {err}");
        }
        let err = configure_metrics(MetricsOptions {
            prefix: Some("my-app_".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "prefix");
        assert!(REGISTRY.get().is_none());
    }
}
