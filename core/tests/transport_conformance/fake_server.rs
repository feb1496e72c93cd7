//! The misbehaving HTTP/2 server of the conformance tests: answers
//! `GetSystemInfo` properly, then misbehaves on the next call(s) in the one
//! chosen way, on plaintext TCP or behind TLS.

use super::*;

use bytes::Bytes;
use common::pki::TestCa;
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use prost::Message;
use std::future::{pending, poll_fn};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use temporal_bridge_core::{Client, ConnectOptions, RetrySettings, TlsOptions, TlsSetting};
use temporalio_protos::temporal::api::workflowservice::v1::GetSystemInfoResponse;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode {
    Plaintext,
    Tls,
}

/// What the server does with a call it misbehaves on.
pub(crate) enum Misbehaviour {
    /// Answers, then sends GOAWAY with this code and closes the connection.
    AnswerThenGoAway(Reason),
    /// Leaves the call unanswered, sends GOAWAY with this code and closes.
    GoAway(Reason),
    /// Resets the call's stream with this code.
    ResetStream(Reason),
    /// Sends this canned reply.
    Reply(Reply),
    /// A gRPC message header claiming 200 MiB; then data as fast as flow
    /// control allows (`then_stream`), or silence.
    Oversized { then_stream: bool },
    /// Response headers, then the body one byte every 200 ms.
    Drip,
    /// Response headers and part of a message, then a TCP reset.
    ResetConnection,
    /// Takes the call and never answers.
    Silence,
}

/// Header (or trailer) names and values.
type Fields = Vec<(&'static str, &'static str)>;

/// A whole reply: HTTP status and headers, body, and trailers if any.
pub(crate) struct Reply {
    status: u16,
    headers: Fields,
    body: Bytes,
    trailers: Option<Fields>,
}

impl Reply {
    /// 200 with `application/grpc`, as every gRPC reply starts.
    pub(crate) fn grpc(body: Bytes, trailers: Option<Fields>) -> Reply {
        Reply::http(200, "application/grpc", body, trailers)
    }

    /// A successful reply carrying `message`.
    pub(crate) fn ok(message: &[u8]) -> Reply {
        Reply::grpc(grpc_frame(message), Some(vec![("grpc-status", "0")]))
    }

    /// A status in the response headers, with no body and no trailers.
    pub(crate) fn trailers_only(status: Fields) -> Reply {
        let mut reply = Reply::grpc(Bytes::new(), None);
        reply.headers.extend(status);
        reply
    }

    pub(crate) fn http(
        status: u16,
        content_type: &'static str,
        body: Bytes,
        trailers: Option<Fields>,
    ) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", content_type)],
            body,
            trailers,
        }
    }

    pub(crate) async fn send(&self, respond: &mut SendResponse<Bytes>) -> Result<(), h2::Error> {
        let mut head = http::Response::builder().status(self.status);
        for (name, value) in &self.headers {
            head = head.header(*name, *value);
        }
        let head = head.body(()).expect("a valid response head");
        let ends_with_head = self.body.is_empty() && self.trailers.is_none();
        let mut stream = respond.send_response(head, ends_with_head)?;
        if !self.body.is_empty() {
            stream.send_data(self.body.clone(), self.trailers.is_none())?;
        }
        if let Some(trailers) = &self.trailers {
            let mut map = http::HeaderMap::new();
            for (name, value) in trailers {
                map.insert(*name, http::HeaderValue::from_static(value));
            }
            stream.send_trailers(map)?;
        }
        Ok(())
    }
}

/// One gRPC message frame: no compression, a 4-byte length, the message.
pub(crate) fn grpc_frame(message: &[u8]) -> Bytes {
    let mut frame = vec![0];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    frame.into()
}

pub(crate) fn html_page() -> Bytes {
    Bytes::from_static(b"<html><body><h1>Proxy error</h1></body></html>")
}

/// What a call handler asks of its connection's task, which owns the socket.
pub(crate) enum Control {
    GoAway(Reason),
    Reset,
}

pub(crate) struct State {
    misbehaviour: Misbehaviour,
    misbehaviours_left: AtomicUsize,
    /// Calls other than `GetSystemInfo`, whether answered well or not.
    calls: AtomicUsize,
    connections: AtomicUsize,
    /// Streams of `Silence` that the client reset (it gave up on them).
    pub(crate) client_resets: AtomicUsize,
}

/// A fake Temporal frontend on a free loopback port; dropping it stops it
/// and every connection it holds.
pub(crate) struct FakeServer {
    addr: SocketAddr,
    /// The CA a TLS client must trust.
    ca: Option<TestCa>,
    pub(crate) state: Arc<State>,
    accept_loop: JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // The accept loop owns the connection tasks, which own the calls'.
        self.accept_loop.abort();
    }
}

impl FakeServer {
    /// Misbehaves on the first `times` calls after `GetSystemInfo`, then
    /// answers every call well.
    pub(crate) async fn start(mode: Mode, misbehaviour: Misbehaviour, times: usize) -> FakeServer {
        let ca = matches!(mode, Mode::Tls).then(|| TestCa::new("conformance test CA"));
        let acceptor = ca.as_ref().map(tls_acceptor);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reset_connections = matches!(misbehaviour, Misbehaviour::ResetConnection);
        let state = Arc::new(State {
            misbehaviour,
            misbehaviours_left: AtomicUsize::new(times),
            calls: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            client_resets: AtomicUsize::new(0),
        });
        let accept_loop = tokio::spawn({
            let state = state.clone();
            async move {
                let mut connections = JoinSet::new();
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    state.connections.fetch_add(1, SeqCst);
                    if reset_connections {
                        // Closing then sends a TCP RST rather than a FIN.
                        tcp.set_zero_linger().unwrap();
                    }
                    while connections.try_join_next().is_some() {}
                    let state = state.clone();
                    match acceptor.clone() {
                        None => connections.spawn(serve_connection(tcp, state)),
                        Some(acceptor) => connections.spawn(async move {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                serve_connection(tls, state).await;
                            }
                        }),
                    };
                }
            }
        });
        FakeServer {
            addr,
            ca,
            state,
            accept_loop,
        }
    }

    /// Options with short timeouts and `max_attempts` (10 ms first backoff).
    pub(crate) fn options(&self, max_attempts: u32) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.addr.to_string());
        options.rpc_timeout = Some(RPC_TIMEOUT.into());
        options.connect_timeout = Some(CONNECT_TIMEOUT.into());
        options.retry = RetrySettings {
            max_attempts,
            initial_interval: Duration::from_millis(10).into(),
            ..Default::default()
        };
        options.tls = Some(match &self.ca {
            Some(ca) => TlsSetting::Options(TlsOptions {
                server_root_ca_cert: Some(ca.cert_pem.clone()),
                domain: Some("localhost".into()),
                ..Default::default()
            }),
            None => TlsSetting::Enabled(false),
        });
        options
    }

    pub(crate) async fn client(&self, max_attempts: u32) -> Client {
        Client::connect(self.options(max_attempts))
            .await
            .expect("connect to the fake server")
    }

    pub(crate) fn calls(&self) -> usize {
        self.state.calls.load(SeqCst)
    }

    pub(crate) fn connections(&self) -> usize {
        self.state.connections.load(SeqCst)
    }
}

pub(crate) fn tls_acceptor(ca: &TestCa) -> TlsAcceptor {
    let server = ca.server_cert();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![server.cert_der], server.key_der)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Serves one HTTP/2 connection: each call in a task of its own, while this
/// task drives the connection and carries out GOAWAYs and resets.
pub(crate) async fn serve_connection<T: AsyncRead + AsyncWrite + Unpin>(io: T, state: Arc<State>) {
    let Ok(mut connection) = h2::server::handshake(io).await else {
        return;
    };
    let (control, mut controls) = mpsc::unbounded_channel();
    let mut calls = JoinSet::new();
    loop {
        tokio::select! {
            request = connection.accept() => {
                let Some(Ok((request, respond))) = request else { return };
                while calls.try_join_next().is_some() {}
                calls.spawn(answer(request, respond, state.clone(), control.clone()));
            }
            Some(order) = controls.recv() => {
                if let Control::GoAway(reason) = order {
                    connection.abrupt_shutdown(reason);
                    // Sends the GOAWAY, then the connection ends.
                    let closing = poll_fn(|cx| connection.poll_closed(cx));
                    let _ = tokio::time::timeout(Duration::from_secs(1), closing).await;
                }
                // Dropping the connection closes the socket (with a reset
                // under `ResetConnection`) and ends the calls' tasks.
                return;
            }
        }
    }
}

pub(crate) async fn answer(
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    state: Arc<State>,
    control: mpsc::UnboundedSender<Control>,
) {
    // Reads the whole request first, as a real server does before answering.
    let (head, mut body) = request.into_parts();
    while let Some(chunk) = body.data().await {
        let Ok(chunk) = chunk else { return };
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    if head.uri.path() == GET_SYSTEM_INFO {
        let info = GetSystemInfoResponse {
            server_version: "fake".into(),
            ..Default::default()
        };
        let _ = Reply::ok(&info.encode_to_vec()).send(&mut respond).await;
        return;
    }
    state.calls.fetch_add(1, SeqCst);
    let misbehave = state
        .misbehaviours_left
        .fetch_update(SeqCst, SeqCst, |left| left.checked_sub(1))
        .is_ok();
    // An empty message decodes as the default of any response type.
    let _ = if misbehave {
        misbehave_on(&state, &mut respond, &control).await
    } else {
        Reply::ok(&[]).send(&mut respond).await
    };
}

pub(crate) async fn misbehave_on(
    state: &State,
    respond: &mut SendResponse<Bytes>,
    control: &mpsc::UnboundedSender<Control>,
) -> Result<(), h2::Error> {
    let grpc_head = || {
        let head = http::Response::builder().header("content-type", "application/grpc");
        head.body(()).unwrap()
    };
    match &state.misbehaviour {
        Misbehaviour::AnswerThenGoAway(reason) => {
            Reply::ok(&[]).send(respond).await?;
            // The answer goes out first.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = control.send(Control::GoAway(*reason));
        }
        Misbehaviour::GoAway(reason) => {
            let _ = control.send(Control::GoAway(*reason));
            pending::<()>().await;
        }
        Misbehaviour::ResetStream(reason) => respond.send_reset(*reason),
        Misbehaviour::Reply(reply) => reply.send(respond).await?,
        Misbehaviour::Oversized { then_stream } => {
            let mut stream = respond.send_response(grpc_head(), false)?;
            let mut header = vec![0];
            header.extend_from_slice(&OVERSIZED.to_be_bytes());
            stream.send_data(header.into(), false)?;
            let mut sent = 0;
            while *then_stream && sent < OVERSIZED as usize {
                // Only what flow control allows, so h2 buffers nothing here.
                stream.reserve_capacity(ZEROS.len());
                let Some(Ok(capacity)) = poll_fn(|cx| stream.poll_capacity(cx)).await else {
                    break;
                };
                stream.send_data(Bytes::from_static(&ZEROS[..capacity]), false)?;
                sent += capacity;
            }
            poll_fn(|cx| stream.poll_reset(cx)).await?;
        }
        Misbehaviour::Drip => {
            let mut stream = respond.send_response(grpc_head(), false)?;
            // A 100-byte message, header included, one byte at a time; sending
            // fails once the client has given up on the stream.
            for byte in grpc_frame(&[0x0a; 100]) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                stream.send_data(Bytes::copy_from_slice(&[byte]), false)?;
            }
        }
        Misbehaviour::ResetConnection => {
            let mut stream = respond.send_response(grpc_head(), false)?;
            stream.send_data(grpc_frame(&[0x0a; 100]).slice(..20), false)?;
            // Lets the partial reply reach the client before the reset.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = control.send(Control::Reset);
            pending::<()>().await;
        }
        Misbehaviour::Silence => {
            poll_fn(|cx| respond.poll_reset(cx)).await?;
            state.client_resets.fetch_add(1, SeqCst);
        }
    }
    Ok(())
}
