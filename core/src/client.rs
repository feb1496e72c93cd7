//! The connection to a Temporal frontend and the machinery every operation
//! shares: request metadata, per-attempt timeouts, retries with jittered
//! backoff on transient codes only, and the call scope that makes any call
//! abandonable by deadline, cancellation token or client close.

use crate::codec::CodecStage;
use crate::error::{error_chain, Error, ErrorKind, Result};
use crate::log::{log_record, LogLevel};
use crate::options::{ConnectOptions, RetrySettings};
use crate::status::from_status;
use crate::transport::{
    decode_message, encode_frame, method, Channel, Endpoint, Method, FROM_HTTP_STATUS, NOT_SENT,
};
use bytes::Bytes;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use temporalio_protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

/// Per-attempt timeout of a long poll. The server answers a long poll by its
/// own deadline (about 20 s by default) well before this.
pub(crate) const LONG_POLL_TIMEOUT: Duration = Duration::from_secs(70);

/// A long poll answered faster than this with nothing new was not held by
/// the server (which holds one for about 20 s): the next one is paced.
const QUICK_EMPTY_ANSWER: Duration = Duration::from_secs(1);

/// Paces the re-polls of one long-poll loop. A server answers a long poll
/// with nothing new at its own deadline; one that answers at once, again and
/// again (a proxy, a misbehaving server), would otherwise be polled in a
/// tight loop. Quick empty answers back off as retries do; a slow one resets
/// the pace.
pub(crate) struct Repolls {
    began: Instant,
    quick: u32,
}

impl Repolls {
    pub(crate) fn new() -> Self {
        Repolls {
            began: Instant::now(),
            quick: 0,
        }
    }

    /// Called when an answer came back with nothing new, before polling again.
    pub(crate) async fn pace(&mut self, client: &Client) {
        if self.began.elapsed() >= QUICK_EMPTY_ANSWER {
            self.quick = 0;
        } else {
            self.quick += 1;
            tokio::time::sleep(client.inner.retry.backoff(self.quick)).await;
        }
        self.began = Instant::now();
    }
}

/// How one call may be abandoned by its caller. Abandoning a call never
/// touches the workflow: it only stops waiting and releases what the call held.
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Overall deadline for the call, retries included.
    pub timeout: Option<Duration>,
    /// Cancelling this token abandons the call with a `cancelled` error.
    pub cancel: Option<CancellationToken>,
    /// Timeout of each attempt of this call's RPCs, instead of the client's
    /// `rpc_timeout` (long polls keep their own, as the server ends them).
    pub rpc_timeout: Option<Duration>,
}

impl CallOptions {
    /// Call options with a deadline.
    pub fn with_timeout(timeout: Duration) -> Self {
        CallOptions {
            timeout: Some(timeout),
            ..CallOptions::default()
        }
    }

    /// Call options with a cancellation token.
    pub fn with_cancel(token: CancellationToken) -> Self {
        CallOptions {
            cancel: Some(token),
            ..CallOptions::default()
        }
    }
}

/// What a running call knows about its own limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallScope {
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    rpc_timeout: Option<Duration>,
    /// The client's payload codec encodes requests and decodes replies
    /// (when the client has one).
    codec_requests: bool,
    codec_replies: bool,
}

impl CallScope {
    /// This scope, with replies left as stored (raw mode) when `as_stored`.
    pub(crate) fn replies_as_stored(mut self, as_stored: bool) -> Self {
        self.codec_replies &= !as_stored;
        self
    }

    /// This scope, with no payload codec either way (raw bytes in and out).
    pub(crate) fn without_codec(mut self) -> Self {
        self.codec_requests = false;
        self.codec_replies = false;
        self
    }

    /// This scope, with `timeout` per attempt unless the caller chose one.
    pub(crate) fn or_rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout.get_or_insert(timeout);
        self
    }

    /// The error of a call whose deadline passed.
    fn expired(&self) -> Error {
        Error::new(
            ErrorKind::DeadlineExceeded,
            format!(
                "call did not finish within its timeout of {:?}",
                self.timeout.unwrap_or_default()
            ),
        )
    }

    /// The error of a call whose deadline would pass before its next attempt:
    /// the timeout, and what kept failing until then.
    fn expired_after(&self, last: &Error) -> Error {
        let expired = self.expired();
        let message = format!(
            "{}; last attempt failed: {}",
            expired.message(),
            last.message()
        );
        Error::new(expired.kind(), message).with_detail("last_error", last.to_json_value())
    }

    fn has_expired(&self) -> bool {
        self.deadline.is_some_and(|at| Instant::now() >= at)
    }
}

/// Whether an RPC is an ordinary call or a long poll that the server may end
/// by its own deadline (and which must then simply be re-issued).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RpcKind {
    /// Bounded retries (`RetrySettings::max_attempts` / `max_elapsed`).
    Ordinary,
    /// Retries until the call's own deadline; per-attempt deadlines are re-issued.
    Patient,
    /// A call that is not safe to repeat: one attempt, made again only when
    /// its request never left (the connection could not be made), within the
    /// `Ordinary` budget.
    Once,
}

/// What a client authenticates with; replaced whole, never edited in place,
/// so a call sees the old set or the new one, never a mix.
struct Credentials {
    headers: std::collections::BTreeMap<String, String>,
    api_key: Option<String>,
    metadata: Arc<MetadataMap>,
}

/// New credentials for a live client ([`Client::update_credentials`]); the
/// JSON of `tb_client_update`. Absent fields keep their value.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsUpdate {
    /// The new API key; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub api_key: Option<Option<String>>,
    /// The new metadata for every call, replacing the old.
    #[serde(default)]
    pub headers: Option<std::collections::BTreeMap<String, String>>,
}

/// `Some(value)` for a field that is present, even when it is `null`.
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

struct Inner {
    channel: Channel,
    namespace: String,
    identity: String,
    credentials: std::sync::RwLock<Credentials>,
    rpc_timeout: Duration,
    retry: RetrySettings,
    /// Calls at least this long are logged (None: none are).
    slow_call: Option<Duration>,
    target: String,
    server_version: String,
    closed: CancellationToken,
    /// The payload codec every RPC's payloads pass through, if any.
    codec: Option<CodecStage>,
    /// The process that created the connection; after fork its sockets and
    /// runtime belong to the parent.
    pid: u32,
    /// The namespace as the metrics' label (shared, not copied per call).
    metrics_namespace: Arc<str>,
}

/// A connected client. Cloning is cheap (one `Arc`), and clones share the
/// connection; a client is safe to use from many threads and tasks at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.inner.target)
            .field("namespace", &self.inner.namespace)
            .field("identity", &self.inner.identity)
            .finish_non_exhaustive()
    }
}

fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned());
    format!("{}@{}", std::process::id(), host)
}

fn build_metadata(options: &ConnectOptions) -> Result<MetadataMap> {
    metadata_of(
        &options.headers,
        options.api_key.as_deref(),
        &options.namespace,
    )
}

/// The metadata every call sends: `headers`, the API key, the namespace and
/// who we are.
fn metadata_of(
    headers: &std::collections::BTreeMap<String, String>,
    api_key: Option<&str>,
    namespace: &str,
) -> Result<MetadataMap> {
    let mut metadata = MetadataMap::new();
    for (name, value) in headers {
        insert_header(&mut metadata, name, value)?;
    }
    if let Some(api_key) = api_key {
        let mut value =
            AsciiMetadataValue::try_from(format!("Bearer {api_key}")).map_err(|_| {
                Error::invalid_argument("api_key is not printable ASCII")
                    .with_detail("field", "api_key")
            })?;
        value.set_sensitive(true);
        metadata.insert("authorization", value);
    }
    let namespace = AsciiMetadataValue::try_from(namespace)
        .map_err(|_| Error::invalid_argument("namespace is not printable ASCII"))?;
    metadata.insert("temporal-namespace", namespace);
    metadata.insert(
        "client-name",
        AsciiMetadataValue::from_static("temporal-bridge"),
    );
    metadata.insert(
        "client-version",
        AsciiMetadataValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    Ok(metadata)
}

/// Adds one header to `metadata`: ASCII text, or for a name ending in
/// `-bin` (binary metadata) base64 of its bytes. Errors name the header,
/// never its value (headers often carry credentials).
pub(crate) fn insert_header(metadata: &mut MetadataMap, name: &str, value: &str) -> Result<()> {
    use tonic::metadata::{BinaryMetadataKey, BinaryMetadataValue};
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("-bin") {
        let key = BinaryMetadataKey::from_bytes(lower.as_bytes()).map_err(|_| {
            Error::invalid_argument(format!(
                "header name {name:?} is not a valid gRPC metadata key"
            ))
            .with_detail("field", "headers")
        })?;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim_end_matches('='))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(value.trim_end_matches('='))
            })
            .map_err(|_| {
                Error::invalid_argument(format!(
                    "the value of binary header {name:?} must be base64 (its name ends in -bin)"
                ))
                .with_detail("field", "headers")
            })?;
        metadata.insert_bin(key, BinaryMetadataValue::from_bytes(&bytes));
        return Ok(());
    }
    let key = AsciiMetadataKey::from_bytes(lower.as_bytes()).map_err(|_| {
        Error::invalid_argument(format!(
            "header name {name:?} is not a valid gRPC metadata key"
        ))
        .with_detail("field", "headers")
    })?;
    let value = AsciiMetadataValue::try_from(value).map_err(|_| {
        Error::invalid_argument(format!("value of header {name:?} is not printable ASCII"))
            .with_detail("field", "headers")
    })?;
    metadata.insert(key, value);
    Ok(())
}

/// Whether a failed attempt is worth another: the server (or the network)
/// may answer differently next time. A proxy's HTTP error page is retried
/// only when it says "unavailable" (502, 503, 504, 429); a request over the
/// server's size limit is refused the same way every time.
fn is_transient(status: &tonic::Status) -> bool {
    use tonic::Code::*;
    let code = status.code();
    if status.metadata().get(FROM_HTTP_STATUS).is_some() {
        return code == Unavailable;
    }
    if code == ResourceExhausted && status.message().contains("larger than max") {
        return false;
    }
    matches!(
        code,
        Unavailable | ResourceExhausted | Aborted | Internal | Unknown | DataLoss
    )
}

impl Client {
    /// Connects and checks that a Temporal server answers (`GetSystemInfo`).
    pub async fn connect(options: ConnectOptions) -> Result<Client> {
        let target = options.target.trim();
        if target.is_empty() {
            return Err(Error::invalid_argument(
                "target must be \"host:port\", got an empty string",
            ));
        }
        options.retry.validate().map_err(Error::invalid_argument)?;
        let endpoint = Endpoint::new(target, options.effective_tls(), options.connect_timeout())?
            .with_keepalive(options.keepalive())
            .with_proxy(options.http_connect_proxy.as_ref())?
            .with_gzip(options.compression == Some(crate::options::Compression::Gzip));
        let metadata = build_metadata(&options)?;
        let codec = CodecStage::new(
            options.payload_codec.clone(),
            options.codec.as_ref(),
            &options.namespace,
        )?;
        let unreachable = |detail: String| {
            Error::new(
                ErrorKind::Unavailable,
                format!("could not connect to Temporal server at {target}: {detail}"),
            )
            .with_detail("target", target)
        };
        // The endpoint bounds the connection by the connect timeout; a lazy
        // client connects on its first call.
        let channel = if options.lazy {
            Channel::lazy(endpoint)
        } else {
            Channel::connect(endpoint)
                .await
                .map_err(|e| unreachable(error_chain(&*e)))?
        };
        let mut client = Client {
            inner: Arc::new(Inner {
                channel,
                namespace: options.namespace.clone(),
                identity: options.identity.clone().unwrap_or_else(default_identity),
                credentials: std::sync::RwLock::new(Credentials {
                    headers: options.headers.clone(),
                    api_key: options.api_key.clone(),
                    metadata: Arc::new(metadata),
                }),
                rpc_timeout: options.rpc_timeout(),
                retry: options.retry.clone(),
                slow_call: options.slow_call_threshold(),
                target: target.to_owned(),
                server_version: String::new(),
                closed: CancellationToken::new(),
                codec,
                pid: std::process::id(),
                metrics_namespace: Arc::from(options.namespace.as_str()),
            }),
        };
        if options.lazy {
            return Ok(client);
        }
        let call = CallOptions::with_timeout(options.connect_timeout());
        let info = client
            .scoped(&call, |scope| {
                // No payloads either way: connecting never waits for the
                // codec's first use (which loads the descriptor set).
                client.rpc(
                    scope.without_codec(),
                    RpcKind::Ordinary,
                    GetSystemInfoRequest {},
                    method::get_system_info,
                )
            })
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::PermissionDenied => e.context(format!("connecting to {target}")),
                _ => unreachable(e.message().to_owned()),
            })?;
        log_record!(
            LogLevel::Info,
            "temporal_bridge::client",
            {
                "target" => target,
                "namespace" => options.namespace.as_str(),
                "server_version" => info.server_version.as_str(),
            },
            "connected to {target} (server {})",
            info.server_version
        );
        if let Some(inner) = Arc::get_mut(&mut client.inner) {
            inner.server_version = info.server_version;
        }
        Ok(client)
    }

    /// Connects from the JSON form of [`ConnectOptions`].
    pub async fn connect_json(options_json: &str) -> Result<Client> {
        Client::connect_json_with(options_json, None).await
    }

    /// [`Client::connect_json`] with a payload codec in process (which the
    /// JSON cannot carry).
    pub async fn connect_json_with(
        options_json: &str,
        payload_codec: Option<Arc<dyn crate::codec::PayloadCodec>>,
    ) -> Result<Client> {
        let request: crate::options::ConnectRequest =
            crate::json_text::parse_strict(options_json, "connect options")?;
        let mut options = request.resolve()?;
        options.payload_codec = payload_codec;
        Client::connect(options).await
    }

    /// The namespace every call uses.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The identity reported to the server.
    pub fn identity(&self) -> &str {
        &self.inner.identity
    }

    /// The server's version, as reported when connecting.
    pub fn server_version(&self) -> &str {
        &self.inner.server_version
    }

    /// Closes the client: every in-flight call of it and its clones ends with a
    /// `cancelled` error, and later calls fail the same way. Idempotent.
    pub fn close(&self) {
        self.inner.closed.cancel();
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Runs one call under its deadline and cancellation token and the client's
    /// close token. Whichever ends first wins; the losing future is dropped,
    /// which cancels any RPC it had in flight.
    pub(crate) async fn scoped<'a, T, F, Fut>(&'a self, call: &CallOptions, op: F) -> Result<T>
    where
        F: FnOnce(CallScope) -> Fut,
        Fut: Future<Output = Result<T>> + 'a,
    {
        if self.is_closed() {
            return Err(Error::new(ErrorKind::Cancelled, "client is closed"));
        }
        if self.inner.pid != std::process::id() {
            return Err(Error::invalid_argument(
                "this client was created in the parent process before fork(); connect a new client in the child",
            ));
        }
        if let Some(token) = &call.cancel {
            if token.is_cancelled() {
                return Err(Error::new(
                    ErrorKind::Cancelled,
                    "call was cancelled by the caller",
                ));
            }
        }
        let deadline = call.timeout.map(|t| Instant::now() + t);
        let caller_token = call.cancel.clone().unwrap_or_default();
        let scope = CallScope {
            deadline,
            timeout: call.timeout,
            rpc_timeout: call.rpc_timeout,
            codec_requests: true,
            codec_replies: true,
        };
        let work = op(scope);
        let expire = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = self.inner.closed.cancelled() => Err(Error::new(ErrorKind::Cancelled, "client was closed during the call")),
            _ = caller_token.cancelled() => Err(Error::new(ErrorKind::Cancelled, "call was cancelled by the caller")),
            _ = expire => Err(scope.expired()),
            result = work => result,
        }
    }

    /// Issues one RPC with metadata and per-attempt timeout, retrying transient
    /// failures with jittered exponential backoff.
    pub(crate) async fn rpc<Req, Resp>(
        &self,
        scope: CallScope,
        kind: RpcKind,
        message: Req,
        method: Method<Req, Resp>,
    ) -> Result<Resp>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + 'static,
    {
        let frame = encode_frame(&message).map_err(|s| from_status(&s))?;
        drop(message);
        let reply = self
            .rpc_frame(scope, kind, method.path(), frame, None, |_, error| error)
            .await?;
        decode_message(reply).map_err(|s| from_status(&s))
    }

    /// The metadata every call of this client sends, as of now.
    pub(crate) fn metadata(&self) -> Arc<MetadataMap> {
        self.credentials().metadata.clone()
    }

    fn credentials(&self) -> std::sync::RwLockReadGuard<'_, Credentials> {
        self.inner
            .credentials
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The API key calls send now.
    pub fn api_key(&self) -> Option<String> {
        self.credentials().api_key.clone()
    }

    /// The metadata (headers) calls send now, besides the API key.
    pub fn headers(&self) -> std::collections::BTreeMap<String, String> {
        self.credentials().headers.clone()
    }

    /// Replaces the API key and/or the metadata of this client and its
    /// clones. Calls in flight keep what they started with; their next
    /// attempts and every later call use the new set. Invalid values leave
    /// the old set in place.
    pub fn update_credentials(&self, update: &CredentialsUpdate) -> Result<()> {
        let mut credentials = self
            .inner
            .credentials
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let headers = update
            .headers
            .clone()
            .unwrap_or_else(|| credentials.headers.clone());
        let api_key = match &update.api_key {
            Some(key) => key.clone(),
            None => credentials.api_key.clone(),
        };
        let metadata = metadata_of(&headers, api_key.as_deref(), &self.inner.namespace)?;
        *credentials = Credentials {
            headers,
            api_key,
            metadata: Arc::new(metadata),
        };
        Ok(())
    }

    /// [`Client::rpc`] for a request already encoded as a gRPC frame, to any
    /// `path`; the reply's message as bytes. `describe` adds what a failed
    /// attempt's status says beyond [`from_status`] (its details, say).
    pub(crate) async fn rpc_frame(
        &self,
        scope: CallScope,
        kind: RpcKind,
        path: &'static str,
        frame: Bytes,
        metadata: Option<&MetadataMap>,
        describe: fn(&tonic::Status, Error) -> Error,
    ) -> Result<Bytes> {
        let started = Instant::now();
        let outcome = self
            .attempts(scope, kind, path, frame, metadata, describe)
            .await;
        // Long polls are slow by design; any other call this slow is worth a
        // line in the operator's log.
        let took = started.elapsed();
        if kind != RpcKind::Patient && self.inner.slow_call.is_some_and(|at| took >= at) {
            let operation = path.rsplit('/').next().unwrap_or(path);
            let how = match &outcome {
                Ok(_) => "ok".to_owned(),
                Err(error) => error.kind().to_string(),
            };
            log_record!(
                LogLevel::Warn,
                "temporal_bridge::client",
                {
                    "operation" => operation,
                    "elapsed_ms" => u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                    "outcome" => how.as_str(),
                },
                "slow call: {operation} took {took:.1?} ({how})"
            );
        }
        outcome
    }

    /// The attempts of [`Client::rpc_frame`]'s call.
    async fn attempts(
        &self,
        scope: CallScope,
        kind: RpcKind,
        path: &'static str,
        frame: Bytes,
        metadata: Option<&MetadataMap>,
        describe: fn(&tonic::Status, Error) -> Error,
    ) -> Result<Bytes> {
        // Payloads are encoded once, before the first attempt: every
        // attempt sends the same bytes.
        let codec = self.inner.codec.as_ref();
        let frame = match codec {
            Some(codec) if scope.codec_requests => codec.encode_request_frame(path, frame).await?,
            _ => frame,
        };
        let retry = &self.inner.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut last: Option<Error> = None;
        loop {
            attempt += 1;
            let mut per_attempt = match kind {
                RpcKind::Ordinary | RpcKind::Once => {
                    scope.rpc_timeout.unwrap_or(self.inner.rpc_timeout)
                }
                RpcKind::Patient => LONG_POLL_TIMEOUT,
            };
            if let Some(deadline) = scope.deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                per_attempt = per_attempt.min(left.max(Duration::from_millis(1)));
            }
            // The client's metadata is read at each attempt: credentials
            // replaced meanwhile apply to the retries and re-polls.
            let current;
            let metadata = match metadata {
                Some(metadata) => metadata,
                None => {
                    current = self.metadata();
                    &*current
                }
            };
            let attempt_outcome =
                self.inner
                    .channel
                    .unary(path, frame.clone(), metadata, per_attempt);
            let sent_at = Instant::now();
            let attempt_outcome = attempt_outcome.await;
            crate::metrics::record_request(
                &self.inner.metrics_namespace,
                path,
                kind == RpcKind::Patient,
                sent_at.elapsed(),
                attempt_outcome
                    .as_ref()
                    .err()
                    .map(|status| crate::status::grpc_code_name(status.code())),
            );
            let status = match attempt_outcome {
                Ok(response) => {
                    return match codec {
                        Some(codec) if scope.codec_replies => {
                            codec.decode_reply(path, response).await
                        }
                        _ => Ok(response),
                    }
                }
                Err(status) => status,
            };
            // An attempt that ends at the call's deadline ends because of it,
            // whatever status it carries (a server cut short may say
            // anything): report the deadline, and what the attempts before
            // it failed with.
            if scope.has_expired() {
                return Err(match &last {
                    Some(last) => scope.expired_after(last).with_detail("attempts", attempt),
                    None => scope.expired(),
                });
            }
            let code = status.code();
            // A long poll that ends by a deadline (the server's, or the
            // attempt's own) is simply re-issued.
            let repoll = kind == RpcKind::Patient && code == tonic::Code::DeadlineExceeded;
            let retryable = match kind {
                // Only an attempt that never reached the server may be made again.
                RpcKind::Once => status.metadata().get(NOT_SENT).is_some(),
                _ => repoll || is_transient(&status),
            };
            let error = describe(&status, from_status(&status));
            let backoff = if repoll {
                Duration::ZERO
            } else {
                retry.backoff(attempt)
            };
            let out_of_budget = kind != RpcKind::Patient
                && (attempt >= retry.max_attempts
                    || started.elapsed() + backoff > retry.max_elapsed.0);
            if !retryable || out_of_budget {
                return Err(if retryable {
                    error.with_detail("attempts", attempt)
                } else {
                    error
                });
            }
            // A call whose next attempt would start past its deadline ends
            // now and says what kept failing (e.g. a TLS alert, a server that
            // is down), instead of sleeping into a bare timeout.
            if scope
                .deadline
                .is_some_and(|at| Instant::now() + backoff >= at)
            {
                return Err(scope.expired_after(&error).with_detail("attempts", attempt));
            }
            if !repoll {
                log_record!(
                    LogLevel::Warn,
                    "temporal_bridge::client",
                    {
                        "operation" => path.rsplit('/').next().unwrap_or(path),
                        "attempt" => attempt,
                        "status_code" => crate::status::grpc_code_name(code),
                        "cause" => error.message(),
                        "backoff_ms" => u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    },
                    "{} attempt {attempt} failed ({}: {}); retrying in {backoff:?}",
                    path.rsplit('/').next().unwrap_or(path),
                    crate::status::grpc_code_name(code),
                    error.message()
                );
                last = Some(error);
            }
            tokio::time::sleep(backoff).await;
        }
    }
}
