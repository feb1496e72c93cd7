//! The HTTP/2 transport under the generated gRPC client.
//!
//! Plaintext connections use [`DirectChannel`]: a call puts its request
//! straight onto an `h2` connection. tonic's channel passes each call through
//! a buffer task, hyper's dispatch task and a task piping the request body,
//! and writes the request's HEADERS and its DATA with two system calls; here
//! there is no hand-off, and one `writev`. What the channel did for us stays:
//! reconnecting on the next call after the connection broke, HTTP/2 keepalive
//! pings, the `grpc-timeout` of an attempt enforced locally, the same HTTP/2
//! settings. TLS connections (and targets such as `unix:` sockets) keep
//! tonic's channel, with its rustls setup and error reporting.
//!
//! [`FrameWriter`] sits under the plaintext connection. It writes what a turn
//! of the connection produced with one `writev`, and holds its
//! acknowledgements of the server's pings for up to [`PING_ACK_HOLD`]: they
//! go out with the first write after that, or on their own. A Go gRPC server
//! follows a request's data with a bandwidth-probe ping unless its previous
//! probe is still unacknowledged, so answering at once costs the client a
//! wake-up and a write per call; answering late only delays the server's
//! estimate of the link (which small messages never grow), and a keepalive
//! ping is answered long before any keepalive timeout.

use crate::client::error_chain;
use bytes::{Bytes, BytesMut};
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type GrpcRequest = http::Request<tonic::body::Body>;

/// Keepalive pings on idle and busy connections alike, as the channel did
/// (`http2_keep_alive_interval` with `keep_alive_while_idle`).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// A connection whose keepalive ping is not answered in time is dropped; its
/// calls fail (and are retried on a new connection).
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long an acknowledgement of a server ping may wait for a write to ride
/// along with. Far below any keepalive timeout (seconds to minutes).
const PING_ACK_HOLD: Duration = Duration::from_millis(100);

/// hyper's HTTP/2 client defaults, which tonic's channel used.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
const MAX_FRAME_SIZE: u32 = 16 * 1024;
const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
const MAX_SEND_BUFFER_SIZE: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("temporal-bridge/", env!("CARGO_PKG_VERSION"));

/// What the generated client sends its requests through.
#[derive(Clone)]
pub(crate) enum Transport {
    Direct(DirectChannel),
    Tonic(tonic::transport::Channel),
}

impl tower_service::Service<GrpcRequest> for Transport {
    type Response = http::Response<ResponseBody>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            // Readiness is checked per call, on the call's own stream.
            Transport::Direct(_) => Poll::Ready(Ok(())),
            Transport::Tonic(channel) => channel.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, request: GrpcRequest) -> Self::Future {
        match self {
            Transport::Direct(channel) => Box::pin(channel.clone().send(request)),
            Transport::Tonic(channel) => {
                let response = channel.call(request);
                Box::pin(async move { Ok(response.await?.map(ResponseBody::Tonic)) })
            }
        }
    }
}

/// A response body from either transport.
pub(crate) enum ResponseBody {
    Direct(RecvBody),
    Tonic(tonic::body::Body),
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ResponseBody::Direct(body) => body.poll_frame(cx).map_err(Into::into),
            ResponseBody::Tonic(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Direct(body) => body.done,
            ResponseBody::Tonic(body) => body.is_end_stream(),
        }
    }
}

/// The body of a response on a [`DirectChannel`]: its data, then its trailers.
pub(crate) struct RecvBody {
    stream: h2::RecvStream,
    data_done: bool,
    done: bool,
}

impl RecvBody {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, h2::Error>>> {
        if !self.data_done {
            match ready!(self.stream.poll_data(cx)) {
                Some(Ok(data)) => {
                    // The data is handed on, so the window may open again.
                    let _ = self.stream.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => self.data_done = true,
            }
        }
        if self.done {
            return Poll::Ready(None);
        }
        let trailers = ready!(self.stream.poll_trailers(cx));
        self.done = true;
        Poll::Ready(match trailers {
            Ok(Some(trailers)) => Some(Ok(http_body::Frame::trailers(trailers))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// Where a [`DirectChannel`] connects.
struct Target {
    host: String,
    port: u16,
    authority: http::uri::Authority,
    connect_timeout: Duration,
}

/// gRPC over one plaintext HTTP/2 connection, re-established by the first
/// call after it broke. Cloning is cheap; clones share the connection.
#[derive(Clone)]
pub(crate) struct DirectChannel {
    shared: Arc<ChannelShared>,
}

struct ChannelShared {
    target: Target,
    current: Mutex<Option<Connection>>,
    generations: AtomicU64,
    /// One connection attempt at a time; calls arriving meanwhile wait for it.
    connecting: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Connection {
    /// Tells this connection from its successors.
    generation: u64,
    send: h2::client::SendRequest<Bytes>,
    /// Cancelled when the connection's task ended (closed, broken or dropped).
    closed: CancellationToken,
}

impl Drop for ChannelShared {
    fn drop(&mut self) {
        // The channel is gone: close the connection (its task and keepalive
        // would otherwise keep it open).
        if let Some(connection) = self.current.get_mut().ok().and_then(Option::take) {
            connection.closed.cancel();
        }
    }
}

impl DirectChannel {
    /// Connects to `uri` (`http://host:port`).
    pub(crate) async fn connect(
        uri: &http::Uri,
        connect_timeout: Duration,
    ) -> Result<DirectChannel, BoxError> {
        let authority = uri.authority().cloned().ok_or("the target has no host")?;
        let target = Target {
            host: authority.host().trim_matches(['[', ']']).to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority,
            connect_timeout,
        };
        let connection = open(&target, 0).await?;
        Ok(DirectChannel {
            shared: Arc::new(ChannelShared {
                target,
                current: Mutex::new(Some(connection)),
                generations: AtomicU64::new(1),
                connecting: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The live connection, or a new one if it broke.
    async fn connection(&self) -> Result<Connection, BoxError> {
        if let Some(live) = self.live() {
            return Ok(live);
        }
        let _connecting = self.shared.connecting.lock().await;
        if let Some(live) = self.live() {
            return Ok(live);
        }
        let generation = self.shared.generations.fetch_add(1, Ordering::Relaxed);
        let connection = open(&self.shared.target, generation).await.map_err(|e| {
            Box::new(tonic::Status::unavailable(format!(
                "could not connect: {}",
                error_chain(&*e)
            ))) as BoxError
        })?;
        *self.lock_current() = Some(connection.clone());
        Ok(connection)
    }

    /// Takes a connection that cannot start new calls out of use (its calls
    /// in flight, if any, finish on it).
    fn retire(&self, unusable: &Connection) {
        let mut current = self.lock_current();
        if current.as_ref().map(|c| c.generation) == Some(unusable.generation) {
            *current = None;
        }
    }

    fn live(&self) -> Option<Connection> {
        self.lock_current()
            .as_ref()
            .filter(|c| !c.closed.is_cancelled())
            .cloned()
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Connection>> {
        self.shared
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends one gRPC request and waits for the response's headers, within
    /// the request's `grpc-timeout` (as tonic's channel enforced it).
    async fn send(self, request: GrpcRequest) -> Result<http::Response<ResponseBody>, BoxError> {
        let timeout = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| parse_grpc_timeout(v.as_bytes()));
        let exchange = self.exchange(request);
        match timeout {
            None => exchange.await,
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Box::new(tonic::Status::cancelled("Timeout expired"))),
            },
        }
    }

    async fn exchange(
        self,
        request: GrpcRequest,
    ) -> Result<http::Response<ResponseBody>, BoxError> {
        let (mut parts, mut body) = request.into_parts();
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(http::uri::Scheme::HTTP);
        uri.authority = Some(self.shared.target.authority.clone());
        uri.path_and_query = parts.uri.path_and_query().cloned();
        parts.uri = http::Uri::from_parts(uri)?;
        parts.headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        );
        let message = collect(&mut body).await?;
        // A connection that broke (or was told to go away) since its last
        // call is replaced once, as tonic's channel reconnected before a call.
        let mut connection = self.connection().await?;
        let mut send = match connection.send.clone().ready().await {
            Ok(send) => send,
            Err(_) => {
                self.retire(&connection);
                connection = self.connection().await?;
                connection.send.clone().ready().await?
            }
        };
        let (response, mut stream) =
            send.send_request(http::Request::from_parts(parts, ()), false)?;
        stream.send_data(message, true)?;
        let (parts, stream) = response.await?.into_parts();
        let body = RecvBody {
            stream,
            data_done: false,
            done: false,
        };
        Ok(http::Response::from_parts(
            parts,
            ResponseBody::Direct(body),
        ))
    }
}

/// The encoded request message (tonic's request body yields it at once).
async fn collect(body: &mut tonic::body::Body) -> Result<Bytes, BoxError> {
    use http_body::Body as _;
    let mut first: Option<Bytes> = None;
    let mut more = BytesMut::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
        if let Ok(data) = frame?.into_data() {
            match &first {
                None => first = Some(data),
                Some(_) => more.extend_from_slice(&data),
            }
        }
    }
    Ok(match first {
        None => Bytes::new(),
        Some(first) if more.is_empty() => first,
        Some(first) => {
            let mut all = BytesMut::from(&first[..]);
            all.extend_from_slice(&more);
            all.freeze()
        }
    })
}

/// `grpc-timeout` as tonic writes it: up to 8 digits and a unit.
fn parse_grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let amount: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(amount * 3600),
        b'M' => Duration::from_secs(amount * 60),
        b'S' => Duration::from_secs(amount),
        b'm' => Duration::from_millis(amount),
        b'u' => Duration::from_micros(amount),
        b'n' => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Opens a connection: TCP, the HTTP/2 handshake, its task and keepalive.
async fn open(target: &Target, generation: u64) -> Result<Connection, BoxError> {
    let connecting = TcpStream::connect((target.host.as_str(), target.port));
    let tcp = tokio::time::timeout(target.connect_timeout, connecting)
        .await
        .map_err(|_| format!("timed out after {:?}", target.connect_timeout))??;
    tcp.set_nodelay(true)?;
    let (send, mut connection) = h2::client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME_SIZE)
        .max_header_list_size(MAX_HEADER_LIST_SIZE)
        .max_send_buffer_size(MAX_SEND_BUFFER_SIZE)
        .enable_push(false)
        .handshake::<_, Bytes>(FrameWriter::new(tcp))
        .await?;
    let closed = CancellationToken::new();
    let ping_pong = connection.ping_pong();
    let ended = closed.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = &mut connection => {}
            // Dropping the connection closes the socket; its calls fail.
            _ = ended.cancelled() => {}
        }
        ended.cancel();
    });
    if let Some(ping_pong) = ping_pong {
        tokio::spawn(keepalive(ping_pong, closed.clone()));
    }
    Ok(Connection {
        generation,
        send,
        closed,
    })
}

async fn keepalive(mut ping_pong: h2::PingPong, closed: CancellationToken) {
    loop {
        tokio::select! {
            _ = closed.cancelled() => return,
            _ = tokio::time::sleep(KEEPALIVE_INTERVAL) => {}
        }
        let pong = tokio::select! {
            _ = closed.cancelled() => return,
            pong = tokio::time::timeout(KEEPALIVE_TIMEOUT, ping_pong.ping(h2::Ping::opaque())) => pong,
        };
        if !matches!(pong, Ok(Ok(_))) {
            closed.cancel();
            return;
        }
    }
}

const PREFACE_LEN: usize = 24;
const FRAME_HEADER_LEN: usize = 9;
const FRAME_TYPE_PING: u8 = 0x6;
const FLAG_ACK: u8 = 0x1;
/// Bytes taken for writing before `poll_write` asks the connection to wait.
const WRITE_BUFFER_LIMIT: usize = 64 * 1024;

/// The socket under a plaintext HTTP/2 connection (see the module documentation).
struct FrameWriter {
    socket: TcpStream,
    /// Bytes taken for writing, in order.
    pending: Vec<u8>,
    /// How much of `pending` has been read as whole frames (and may go out).
    scanned: usize,
    /// Held ping acknowledgements (whole frames). They go out after whole
    /// frames only, so frame boundaries stay intact.
    held: Vec<u8>,
    /// When the held acknowledgements go out at the latest.
    hold_timer: Option<Pin<Box<Sleep>>>,
    /// Bytes of the connection preface still to come before the first frame.
    preface_left: usize,
    /// Whether frames are still read (set off for good if a flush ever finds
    /// a partial frame, which h2 does not produce: then bytes just pass).
    reading_frames: bool,
}

impl FrameWriter {
    fn new(socket: TcpStream) -> Self {
        FrameWriter {
            socket,
            pending: Vec::new(),
            scanned: 0,
            held: Vec::new(),
            hold_timer: None,
            preface_left: PREFACE_LEN,
            reading_frames: true,
        }
    }

    /// Reads the whole frames in `pending` past `scanned`, moving ping
    /// acknowledgements to `held`. At a flush everything must be whole
    /// frames: a partial one ends frame reading (held frames go first).
    fn scan(&mut self, at_flush: bool) {
        if !self.reading_frames {
            self.scanned = self.pending.len();
            return;
        }
        let preface = self.preface_left.min(self.pending.len() - self.scanned);
        self.scanned += preface;
        self.preface_left -= preface;
        while self.pending.len() - self.scanned >= FRAME_HEADER_LEN {
            let header = &self.pending[self.scanned..self.scanned + FRAME_HEADER_LEN];
            let length =
                usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let end = self.scanned + FRAME_HEADER_LEN + length;
            if end > self.pending.len() {
                break;
            }
            if header[3] == FRAME_TYPE_PING && header[4] & FLAG_ACK != 0 {
                self.held.extend(self.pending.drain(self.scanned..end));
            } else {
                self.scanned = end;
            }
        }
        if at_flush && self.scanned < self.pending.len() {
            self.reading_frames = false;
            let mut all = std::mem::take(&mut self.held);
            all.append(&mut self.pending);
            self.pending = all;
            self.scanned = self.pending.len();
            self.hold_timer = None;
        }
    }

    /// Whether the held acknowledgements are due (arming their timer).
    fn hold_expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.held.is_empty() {
            self.hold_timer = None;
            return false;
        }
        self.hold_timer
            .get_or_insert_with(|| {
                Box::pin(tokio::time::sleep_until(Instant::now() + PING_ACK_HOLD))
            })
            .as_mut()
            .poll(cx)
            .is_ready()
    }

    /// Writes the scanned part of `pending` (and, once they are due, the held
    /// acknowledgements after it) until done or the socket is full.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let with_held = self.hold_expired(cx);
        while self.scanned > 0 || (with_held && !self.held.is_empty()) {
            let held: &[u8] = if with_held { &self.held } else { &[] };
            let slices = [
                IoSlice::new(&self.pending[..self.scanned]),
                IoSlice::new(held),
            ];
            let written = ready!(Pin::new(&mut self.socket).poll_write_vectored(cx, &slices))?;
            if written == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            let from_pending = written.min(self.scanned);
            self.pending.drain(..from_pending);
            self.scanned -= from_pending;
            self.held.drain(..written - from_pending);
        }
        if with_held {
            self.hold_timer = None;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes bytes for writing, unless too many already wait for the socket.
    fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.pending.len() >= WRITE_BUFFER_LIMIT {
            self.scan(false);
            // Waits only for a full socket (which wakes the task when writable).
            ready!(self.poll_write_out(cx))?;
        }
        let mut taken = 0;
        for buf in bufs {
            self.pending.extend_from_slice(buf);
            taken += buf.len();
        }
        Poll::Ready(Ok(taken))
    }
}

impl AsyncRead for FrameWriter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // The connection always has a read outstanding: that is where held
        // acknowledgements go out when nothing else is written in time.
        if self.hold_expired(cx) {
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx) {
                return Poll::Ready(Err(e));
            }
        }
        Pin::new(&mut self.socket).poll_read(cx, buf)
    }
}

impl AsyncWrite for FrameWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_take(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_take(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.scan(true);
        ready!(self.poll_write_out(cx))?;
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.scan(true);
        // Whatever is held goes now.
        self.hold_timer = Some(Box::pin(tokio::time::sleep_until(Instant::now())));
        ready!(self.poll_write_out(cx))?;
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_as_tonic_writes_them() {
        assert_eq!(parse_grpc_timeout(b"10S"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_grpc_timeout(b"9999962u"),
            Some(Duration::from_micros(9_999_962))
        );
        assert_eq!(parse_grpc_timeout(b"5m"), Some(Duration::from_millis(5)));
        assert_eq!(parse_grpc_timeout(b"2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout(b"123456789S"), None);
        assert_eq!(parse_grpc_timeout(b"S"), None);
        assert_eq!(parse_grpc_timeout(b"1x"), None);
        assert_eq!(parse_grpc_timeout(b"-1S"), None);
    }
}
