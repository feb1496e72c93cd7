//! Connection options: where the server is, who we are, how we authenticate
//! and how patiently we retry. Secrets (API key, private key) are kept out of
//! `Debug` output, logs and error messages.

use crate::codec::CodecOptions;
use crate::duration::JsonDuration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Options for [`crate::Client::connect`]; also the JSON form of the `connect` request.
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectOptions {
    /// `host:port` of the Temporal frontend, e.g. `127.0.0.1:7233`.
    pub target: String,
    /// Namespace for every call of this client.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Identity reported to the server; defaults to `<pid>@<hostname>`.
    #[serde(default)]
    pub identity: Option<String>,
    /// Extra gRPC metadata sent with every call.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// API key, sent as `authorization: Bearer <key>`. Implies TLS unless `tls` is `false`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// TLS: `true` for system roots, an object for custom CA / server name / mTLS.
    #[serde(default)]
    pub tls: Option<TlsSetting>,
    /// Timeout of one ordinary RPC attempt (not of long polls). Default 10 s.
    #[serde(default)]
    pub rpc_timeout: Option<JsonDuration>,
    /// How long connecting may take. Default 10 s.
    #[serde(default)]
    pub connect_timeout: Option<JsonDuration>,
    /// Retry policy for transient gRPC failures.
    #[serde(default)]
    pub retry: RetrySettings,
    /// HTTP/2 keepalive pings: `false` for none; default every 30 s, a
    /// connection whose ping is not answered in 15 s is replaced.
    #[serde(default)]
    pub keepalive: Option<KeepaliveSetting>,
    /// Reach the server through this HTTP CONNECT proxy.
    #[serde(default)]
    pub http_connect_proxy: Option<HttpConnectProxy>,
    /// Return at once without connecting: the first call connects (and
    /// reports a server that cannot be reached).
    #[serde(default)]
    pub lazy: bool,
    /// `"gzip"`: compress requests (and accept compressed replies).
    #[serde(default)]
    pub compression: Option<Compression>,
    /// A codec server (`endpoint`, `auth`, `headers`, ...) and what any
    /// payload codec covers (`include_memo`, `encode_failure_attributes`).
    #[serde(default)]
    pub codec: Option<CodecOptions>,
    /// A payload codec in process (not part of the JSON form: bindings
    /// give their own). Exclusive with `codec.endpoint`.
    #[serde(skip)]
    pub payload_codec: Option<std::sync::Arc<dyn crate::codec::PayloadCodec>>,
    /// A call (not a long poll) that takes this long or longer, retries
    /// included, is logged as slow (a warning). Default 2 s; `"0s"` logs none.
    #[serde(default)]
    pub slow_call_threshold: Option<JsonDuration>,
}

/// Request compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// No compression (the default).
    None,
    /// gzip, as gRPC's `grpc-encoding: gzip`.
    Gzip,
}

/// `"keepalive": false | true | {"interval"?, "timeout"?}`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum KeepaliveSetting {
    /// `false`: no keepalive pings; `true`: the defaults.
    Enabled(bool),
    /// Custom interval and timeout.
    Options(KeepaliveOptions),
}

/// Keepalive interval and timeout.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeepaliveOptions {
    /// Time between pings. Default 30 s.
    #[serde(default)]
    pub interval: Option<JsonDuration>,
    /// How long a ping may go unanswered. Default 15 s.
    #[serde(default)]
    pub timeout: Option<JsonDuration>,
}

/// An HTTP CONNECT proxy (`"http_connect_proxy": {"target": "host:port",
/// "basic_auth"?: {"username", "password"}}`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpConnectProxy {
    /// `host:port` of the proxy.
    pub target: String,
    /// Credentials for `Proxy-Authorization: Basic`.
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
}

/// User name and password (the password never shows in `Debug`).
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The JSON of the `connect` request: [`ConnectOptions`] with every field
/// optional, and where to find a configuration profile. Without a `target`
/// (or with `profile` / `config_file`), the profile is loaded (file, then
/// `TEMPORAL_*` variables; see [`crate::load_client_config`]) and the fields
/// given here override it.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// As [`ConnectOptions::target`]; the profile's address when absent.
    #[serde(default)]
    pub target: Option<String>,
    /// As [`ConnectOptions::namespace`].
    #[serde(default)]
    pub namespace: Option<String>,
    /// As [`ConnectOptions::identity`].
    #[serde(default)]
    pub identity: Option<String>,
    /// Extra gRPC metadata sent with every call, merged over the profile's
    /// `grpc_meta`.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    /// As [`ConnectOptions::api_key`].
    #[serde(default)]
    pub api_key: Option<String>,
    /// Replaces the profile's TLS settings.
    #[serde(default)]
    pub tls: Option<TlsSetting>,
    /// As [`ConnectOptions::rpc_timeout`].
    #[serde(default)]
    pub rpc_timeout: Option<JsonDuration>,
    /// As [`ConnectOptions::connect_timeout`].
    #[serde(default)]
    pub connect_timeout: Option<JsonDuration>,
    /// As [`ConnectOptions::retry`].
    #[serde(default)]
    pub retry: Option<RetrySettings>,
    /// The configuration profile (else `TEMPORAL_PROFILE`, else `default`).
    #[serde(default)]
    pub profile: Option<String>,
    /// The configuration file (else `TEMPORAL_CONFIG_FILE`, else the user's).
    #[serde(default)]
    pub config_file: Option<String>,
    /// Reject unknown keys in the configuration file.
    #[serde(default)]
    pub config_strict: bool,
    /// As [`ConnectOptions::keepalive`].
    #[serde(default)]
    pub keepalive: Option<KeepaliveSetting>,
    /// As [`ConnectOptions::http_connect_proxy`].
    #[serde(default)]
    pub http_connect_proxy: Option<HttpConnectProxy>,
    /// As [`ConnectOptions::lazy`].
    #[serde(default)]
    pub lazy: bool,
    /// As [`ConnectOptions::compression`].
    #[serde(default)]
    pub compression: Option<Compression>,
    /// Replaces the profile's codec settings.
    #[serde(default)]
    pub codec: Option<CodecOptions>,
    /// As [`ConnectOptions::slow_call_threshold`].
    #[serde(default)]
    pub slow_call_threshold: Option<JsonDuration>,
    /// The ABI version (`"major.minor"`) the binding was written against:
    /// the connect is refused, saying why, unless this library serves it
    /// (the same major, a minor no newer than its own).
    #[serde(default)]
    pub abi_version: Option<String>,
}

impl ConnectRequest {
    /// The options to connect with: the profile's when one applies, then
    /// every field given here.
    pub fn resolve(self) -> crate::Result<ConnectOptions> {
        if let Some(wanted) = &self.abi_version {
            crate::contract::check_abi_version(wanted)?;
        }
        let from_profile =
            self.target.is_none() || self.profile.is_some() || self.config_file.is_some();
        let mut options = if from_profile {
            crate::load_client_config(&crate::LoadConfigOptions {
                profile: self.profile,
                config_file: self.config_file,
                config_strict: self.config_strict,
                ..Default::default()
            })?
            .to_connect_options()?
        } else {
            ConnectOptions::new(String::new())
        };
        if let Some(target) = self.target {
            options.target = target;
        }
        if let Some(namespace) = self.namespace {
            options.namespace = namespace;
        }
        if self.identity.is_some() {
            options.identity = self.identity;
        }
        if let Some(headers) = self.headers {
            options.headers.extend(headers);
        }
        if self.api_key.is_some() {
            options.api_key = self.api_key;
        }
        if self.tls.is_some() {
            options.tls = self.tls;
        }
        if self.rpc_timeout.is_some() {
            options.rpc_timeout = self.rpc_timeout;
        }
        if self.connect_timeout.is_some() {
            options.connect_timeout = self.connect_timeout;
        }
        if let Some(retry) = self.retry {
            options.retry = retry;
        }
        if self.keepalive.is_some() {
            options.keepalive = self.keepalive;
        }
        if self.http_connect_proxy.is_some() {
            options.http_connect_proxy = self.http_connect_proxy;
        }
        options.lazy |= self.lazy;
        if self.compression.is_some() {
            options.compression = self.compression;
        }
        if self.codec.is_some() {
            options.codec = self.codec;
        }
        if self.slow_call_threshold.is_some() {
            options.slow_call_threshold = self.slow_call_threshold;
        }
        Ok(options)
    }
}

fn default_namespace() -> String {
    "default".to_owned()
}

impl ConnectOptions {
    /// Options for `target` with every default.
    pub fn new(target: impl Into<String>) -> Self {
        ConnectOptions {
            target: target.into(),
            namespace: default_namespace(),
            identity: None,
            headers: BTreeMap::new(),
            api_key: None,
            tls: None,
            rpc_timeout: None,
            connect_timeout: None,
            retry: RetrySettings::default(),
            keepalive: None,
            http_connect_proxy: None,
            lazy: false,
            compression: None,
            codec: None,
            payload_codec: None,
            slow_call_threshold: None,
        }
    }

    /// Keepalive interval and timeout, or `None` for no pings.
    pub(crate) fn keepalive(&self) -> Option<(Duration, Duration)> {
        const INTERVAL: Duration = Duration::from_secs(30);
        const TIMEOUT: Duration = Duration::from_secs(15);
        match &self.keepalive {
            Some(KeepaliveSetting::Enabled(false)) => None,
            None | Some(KeepaliveSetting::Enabled(true)) => Some((INTERVAL, TIMEOUT)),
            Some(KeepaliveSetting::Options(o)) => Some((
                o.interval.map_or(INTERVAL, |d| d.0),
                o.timeout.map_or(TIMEOUT, |d| d.0),
            )),
        }
    }

    pub(crate) fn rpc_timeout(&self) -> Duration {
        self.rpc_timeout.map_or(Duration::from_secs(10), |d| d.0)
    }

    /// The slow-call threshold; `None`: slow calls are not logged.
    pub(crate) fn slow_call_threshold(&self) -> Option<Duration> {
        let threshold = self
            .slow_call_threshold
            .map_or(Duration::from_secs(2), |d| d.0);
        (!threshold.is_zero()).then_some(threshold)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
            .map_or(Duration::from_secs(10), |d| d.0)
    }

    /// The TLS config to use, if any: explicit setting first, API keys imply TLS.
    pub(crate) fn effective_tls(&self) -> Option<TlsOptions> {
        match &self.tls {
            Some(TlsSetting::Enabled(true)) => Some(TlsOptions::default()),
            Some(TlsSetting::Enabled(false)) => None,
            Some(TlsSetting::Options(options)) => Some(options.clone()),
            None if self.api_key.is_some() => Some(TlsOptions::default()),
            None => None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may carry credentials too, so only their names are shown.
        f.debug_struct("ConnectOptions")
            .field("target", &self.target)
            .field("namespace", &self.namespace)
            .field("identity", &self.identity)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls)
            .field("rpc_timeout", &self.rpc_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("keepalive", &self.keepalive)
            .field("http_connect_proxy", &self.http_connect_proxy)
            .field("lazy", &self.lazy)
            .field("compression", &self.compression)
            .field("codec", &self.codec)
            .field(
                "payload_codec",
                &self.payload_codec.as_ref().map(|_| "<in process>"),
            )
            .finish()
    }
}

/// `"tls": true | false | {...}`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TlsSetting {
    /// `true`: TLS with the system's root certificates; `false`: plaintext.
    Enabled(bool),
    /// TLS with explicit settings.
    Options(TlsOptions),
}

/// TLS and mTLS settings. PEM text, not file paths, so that every binding
/// behaves the same and no file access happens inside the library.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsOptions {
    /// PEM CA certificate(s) to trust instead of the system roots.
    #[serde(default)]
    pub server_root_ca_cert: Option<String>,
    /// Server name to verify (SNI), when it differs from the target host.
    #[serde(default)]
    pub domain: Option<String>,
    /// PEM client certificate chain for mTLS.
    #[serde(default)]
    pub client_cert: Option<String>,
    /// PEM client private key for mTLS.
    #[serde(default)]
    pub client_private_key: Option<String>,
    /// Check the server's certificate chain but not that it names the host.
    #[serde(default)]
    pub disable_host_verification: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("server_root_ca_cert", &self.server_root_ca_cert.is_some())
            .field("domain", &self.domain)
            .field("client_cert", &self.client_cert.is_some())
            .field(
                "client_private_key",
                &self.client_private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("disable_host_verification", &self.disable_host_verification)
            .finish()
    }
}

/// Jittered exponential backoff for transient failures (`UNAVAILABLE`,
/// `RESOURCE_EXHAUSTED`, `ABORTED`, `INTERNAL`, `UNKNOWN`). Ordinary calls give
/// up after `max_attempts` or `max_elapsed`; result waits retry for as long as
/// the caller's own deadline allows.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// First backoff. Default 100 ms.
    pub initial_interval: JsonDuration,
    /// Backoff cap. Default 5 s.
    pub max_interval: JsonDuration,
    /// Growth factor per attempt. Default 2.0.
    pub multiplier: f64,
    /// Random spread, as a fraction of the backoff (0.0–1.0). Default 0.2.
    pub jitter: f64,
    /// Attempts for ordinary calls, first one included. Default 10; 1 disables retries.
    pub max_attempts: u32,
    /// Total time budget of an ordinary call's retries. Default 30 s.
    pub max_elapsed: JsonDuration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            initial_interval: Duration::from_millis(100).into(),
            max_interval: Duration::from_secs(5).into(),
            multiplier: 2.0,
            jitter: 0.2,
            max_attempts: 10,
            max_elapsed: Duration::from_secs(30).into(),
        }
    }
}

impl RetrySettings {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(self.multiplier.is_finite() && self.multiplier >= 1.0) {
            return Err(format!(
                "retry.multiplier must be >= 1.0, got {}",
                self.multiplier
            ));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!(
                "retry.jitter must be within 0.0..=1.0, got {}",
                self.jitter
            ));
        }
        if self.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1".to_owned());
        }
        Ok(())
    }

    /// The backoff before retry number `attempt` (1-based), jittered.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let base = self.initial_interval.0.as_secs_f64()
            * self
                .multiplier
                .powi(attempt.saturating_sub(1).min(64) as i32);
        let capped = base.min(self.max_interval.0.as_secs_f64());
        let spread = capped * self.jitter;
        let jittered = capped + rand::random_range(-spread..=spread);
        Duration::from_secs_f64(jittered.max(0.0))
    }
}
