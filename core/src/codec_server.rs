//! A codec server as a [`PayloadCodec`]: the payloads of one message go in
//! one HTTP/1.1 `POST {endpoint}/encode` (or `/decode`) with the body
//! `{"payloads": [...]}` (protobuf JSON), the header `X-Namespace`, and the
//! configured `Authorization` and other headers — the protocol the Temporal
//! CLI and web UI speak. Connections are kept and reused; a server that
//! cannot be reached, or answers 429/502/503/504, is tried again (three
//! attempts in all, quickly); any other answer is final.

use crate::codec::{payloads_from_json, payloads_to_json, CodecContext, CodecFuture, CodecOptions};
use crate::codec::{CodecResult, PayloadCodec};
use crate::error::{Error, Result};
use crate::transport::endpoint::Endpoint;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporalio_protos::temporal::api::common::v1::Payload;

/// Default timeout of one request to the codec server.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts of one request when the server is unreachable or unavailable.
const ATTEMPTS: u32 = 3;
/// Largest answer read from a codec server.
const MAX_ANSWER: usize = 128 * 1024 * 1024;
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

pub(crate) struct CodecServer {
    shared: Arc<Shared>,
}

struct Shared {
    endpoint: Endpoint,
    /// `scheme://authority` plus the endpoint's path, for messages.
    shown: String,
    /// The endpoint's path, without a trailing `/`.
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Duration,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl CodecServer {
    pub(crate) fn new(endpoint: &str, options: &CodecOptions) -> Result<CodecServer> {
        let invalid = |why: &str| {
            Error::invalid_argument(format!(
                "codec.endpoint {endpoint:?} {why}; give the codec server's URL, e.g. \"http://127.0.0.1:8081\""
            ))
            .with_detail("field", "codec.endpoint")
        };
        let uri: http::Uri = endpoint
            .trim()
            .parse()
            .map_err(|_| invalid("is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(invalid("has no scheme or host"));
        };
        if !matches!(scheme, "http" | "https") || authority.as_str().contains('@') {
            return Err(invalid(
                "is not an http:// or https:// URL without credentials",
            ));
        }
        use crate::options::{TlsOptions, TlsSetting};
        let tls = match (&options.tls, scheme) {
            (Some(TlsSetting::Enabled(false)), "https") => {
                return Err(invalid("is https:// but codec.tls is false"))
            }
            (Some(TlsSetting::Enabled(true) | TlsSetting::Options(_)), "http") => {
                return Err(invalid("is http:// but codec.tls is set"))
            }
            (Some(TlsSetting::Options(tls)), _) => Some(tls.clone()),
            (_, "https") => Some(TlsOptions::default()),
            (_, _) => None,
        };
        let timeout = options
            .timeout
            .map(|t| t.0)
            .filter(|t| !t.is_zero())
            .unwrap_or(DEFAULT_TIMEOUT);
        let endpoint_for_streams =
            Endpoint::new(&format!("{scheme}://{authority}"), tls, timeout)?.for_http1();
        let mut headers = Vec::new();
        for (name, value) in &options.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_argument(format!("codec.headers: {name:?} is not a header name"))
                    .with_detail("field", "codec.headers")
            })?;
            let header_value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_argument(format!(
                    "codec.headers: the value of {name:?} is not a valid header value"
                ))
                .with_detail("field", "codec.headers")
            })?;
            headers.push((header_name, header_value));
        }
        if let Some(auth) = &options.auth {
            let mut value = HeaderValue::from_str(auth).map_err(|_| {
                Error::invalid_argument("codec.auth is not a valid header value")
                    .with_detail("field", "codec.auth")
            })?;
            value.set_sensitive(true);
            headers.push((http::header::AUTHORIZATION, value));
        }
        let path = uri.path().trim_end_matches('/').to_owned();
        Ok(CodecServer {
            shared: Arc::new(Shared {
                endpoint: endpoint_for_streams,
                shown: format!("{scheme}://{authority}{path}"),
                path,
                headers,
                timeout,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    fn call(
        &self,
        action: &'static str,
        context: &CodecContext,
        payloads: Vec<Payload>,
    ) -> CodecFuture {
        let shared = Arc::clone(&self.shared);
        let namespace = context.namespace.clone();
        Box::pin(async move { shared.post(action, &namespace, &payloads).await })
    }
}

impl PayloadCodec for CodecServer {
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.call("encode", context, payloads)
    }

    fn decode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.call("decode", context, payloads)
    }
}

/// Why one attempt failed, and whether another may do better.
struct Failed {
    why: String,
    again: bool,
}

impl Shared {
    async fn post(
        &self,
        action: &'static str,
        namespace: &str,
        payloads: &[Payload],
    ) -> CodecResult {
        let body = Bytes::from(payloads_to_json(payloads));
        let url = format!("{}/{action}", self.shown);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome =
                tokio::time::timeout(self.timeout, self.attempt(action, namespace, &body))
                    .await
                    .unwrap_or_else(|_| {
                        Err(Failed {
                            why: format!("no answer within {:?}", self.timeout),
                            again: false,
                        })
                    });
            let failed = match outcome {
                Ok(answer) => {
                    return payloads_from_json(&answer)
                        .map_err(|why| format!("the codec server at {url} answered: {why}").into())
                }
                Err(failed) => failed,
            };
            if !failed.again || attempt >= ATTEMPTS {
                let tries = if attempt > 1 {
                    format!(" (after {attempt} attempts)")
                } else {
                    String::new()
                };
                return Err(format!("codec server {url}: {}{tries}", failed.why).into());
            }
            tokio::time::sleep(Duration::from_millis(100) * attempt).await;
        }
    }

    async fn attempt(
        &self,
        action: &str,
        namespace: &str,
        body: &Bytes,
    ) -> std::result::Result<Bytes, Failed> {
        let unreachable = |why: String| Failed { why, again: true };
        let mut sender = match self.idle_connection().await {
            Some(sender) => sender,
            None => self
                .endpoint
                .connect(|io, _owner| async move {
                    let (sender, connection) =
                        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
                            .await?;
                    tokio::spawn(connection);
                    Ok(sender)
                })
                .await
                .map_err(|e| unreachable(format!("could not connect: {e}")))?,
        };
        let mut request = http::Request::post(format!("{}/{action}", self.path))
            .header(http::header::HOST, self.endpoint.authority.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("temporal-bridge/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(body.clone()))
            .map_err(|e| Failed {
                why: format!("could not form the request: {e}"),
                again: false,
            })?;
        if let Ok(value) = HeaderValue::from_str(namespace) {
            request.headers_mut().insert("x-namespace", value);
        }
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| unreachable(format!("the request failed: {e}")))?;
        let status = response.status();
        let answer = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| unreachable(format!("the answer could not be read: {e}")))?
            .to_bytes();
        if !sender.is_closed() {
            if let Ok(mut idle) = self.idle.lock() {
                if idle.len() < MAX_IDLE {
                    idle.push(sender);
                }
            }
        }
        if status.is_success() {
            return Ok(answer);
        }
        // The server's own words, briefly: a codec server's error says what
        // went wrong (a bad key, say) without the payloads.
        let said: String = String::from_utf8_lossy(&answer)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(200)
            .collect();
        Err(Failed {
            why: if said.is_empty() {
                format!("answered HTTP {status}")
            } else {
                format!("answered HTTP {status}: {said}")
            },
            again: matches!(status.as_u16(), 429 | 502 | 503 | 504),
        })
    }

    /// A kept connection that is still open and ready, if any.
    async fn idle_connection(&self) -> Option<SendRequest<Full<Bytes>>> {
        loop {
            let mut sender = self.idle.lock().ok()?.pop()?;
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }
}
