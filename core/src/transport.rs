//! The gRPC transport: unary calls of the workflow service.
//!
//! Plaintext connections use [`DirectChannel`]: a call encodes its message
//! into one gRPC frame, puts it straight onto an `h2` connection and decodes
//! the reply, in small futures. tonic's client (the generated service client
//! over its channel) builds each call from several large nested futures and
//! passes it through a buffer task, hyper's dispatch task and a task piping
//! the request body; a call moved tens of kilobytes of future state around
//! and wrote its HEADERS and DATA with two system calls. Here there is no
//! hand-off, and one `writev`. What the channel did for us stays:
//! reconnecting on the next call after the connection broke, HTTP/2 keepalive
//! pings, the attempt's `grpc-timeout` sent and enforced locally, the same
//! HTTP/2 settings, and statuses read as tonic reads them (trailers, a
//! trailers-only response, else the HTTP status). TLS connections (and
//! targets such as `unix:` sockets) keep tonic's channel, with its rustls
//! setup and error reporting, driven through tonic's generic unary call.
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
use bytes::{Buf, BufMut, Bytes, BytesMut};
use prost::Message;
use std::future::Future;
use std::io::IoSlice;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Largest message sent or accepted (history pages can be big).
pub(crate) const MAX_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

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
/// A gRPC message frame: a compression flag byte and a 4-byte length.
const GRPC_FRAME_HEADER_LEN: usize = 5;

/// A unary method of the workflow service: its path, and (as types) its
/// request and response, so a call cannot pair a message with the wrong path.
pub(crate) struct Method<Req, Resp> {
    path: &'static str,
    types: PhantomData<fn(Req) -> Resp>,
}

impl<Req, Resp> Clone for Method<Req, Resp> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Req, Resp> Copy for Method<Req, Resp> {}

impl<Req, Resp> Method<Req, Resp> {
    const fn new(path: &'static str) -> Self {
        Method {
            path,
            types: PhantomData,
        }
    }
}

macro_rules! methods {
    ($($name:ident: $rpc:ident($request:ident) -> $response:ident;)*) => {
        $(
            #[allow(non_upper_case_globals)]
            pub(crate) const $name: Method<$request, $response> = Method::new(concat!(
                "/temporal.api.workflowservice.v1.WorkflowService/",
                stringify!($rpc)
            ));
        )*
    };
}

/// The workflow service methods the client calls, named as in the service
/// definition (and tonic's generated client).
pub(crate) mod method {
    use super::Method;
    use temporalio_protos::temporal::api::workflowservice::v1::*;

    methods! {
        get_system_info: GetSystemInfo(GetSystemInfoRequest) -> GetSystemInfoResponse;
        start_workflow_execution:
            StartWorkflowExecution(StartWorkflowExecutionRequest) -> StartWorkflowExecutionResponse;
        signal_with_start_workflow_execution: SignalWithStartWorkflowExecution(
            SignalWithStartWorkflowExecutionRequest
        ) -> SignalWithStartWorkflowExecutionResponse;
        get_workflow_execution_history: GetWorkflowExecutionHistory(
            GetWorkflowExecutionHistoryRequest
        ) -> GetWorkflowExecutionHistoryResponse;
        request_cancel_workflow_execution: RequestCancelWorkflowExecution(
            RequestCancelWorkflowExecutionRequest
        ) -> RequestCancelWorkflowExecutionResponse;
        terminate_workflow_execution: TerminateWorkflowExecution(
            TerminateWorkflowExecutionRequest
        ) -> TerminateWorkflowExecutionResponse;
        describe_workflow_execution: DescribeWorkflowExecution(
            DescribeWorkflowExecutionRequest
        ) -> DescribeWorkflowExecutionResponse;
        signal_workflow_execution:
            SignalWorkflowExecution(SignalWorkflowExecutionRequest) -> SignalWorkflowExecutionResponse;
        query_workflow: QueryWorkflow(QueryWorkflowRequest) -> QueryWorkflowResponse;
        update_workflow_execution:
            UpdateWorkflowExecution(UpdateWorkflowExecutionRequest) -> UpdateWorkflowExecutionResponse;
        poll_workflow_execution_update: PollWorkflowExecutionUpdate(
            PollWorkflowExecutionUpdateRequest
        ) -> PollWorkflowExecutionUpdateResponse;
        list_workflow_executions:
            ListWorkflowExecutions(ListWorkflowExecutionsRequest) -> ListWorkflowExecutionsResponse;
        count_workflow_executions:
            CountWorkflowExecutions(CountWorkflowExecutionsRequest) -> CountWorkflowExecutionsResponse;
        start_batch_operation:
            StartBatchOperation(StartBatchOperationRequest) -> StartBatchOperationResponse;
        describe_batch_operation:
            DescribeBatchOperation(DescribeBatchOperationRequest) -> DescribeBatchOperationResponse;
        respond_activity_task_completed: RespondActivityTaskCompleted(
            RespondActivityTaskCompletedRequest
        ) -> RespondActivityTaskCompletedResponse;
        respond_activity_task_completed_by_id: RespondActivityTaskCompletedById(
            RespondActivityTaskCompletedByIdRequest
        ) -> RespondActivityTaskCompletedByIdResponse;
        respond_activity_task_failed: RespondActivityTaskFailed(
            RespondActivityTaskFailedRequest
        ) -> RespondActivityTaskFailedResponse;
        respond_activity_task_failed_by_id: RespondActivityTaskFailedById(
            RespondActivityTaskFailedByIdRequest
        ) -> RespondActivityTaskFailedByIdResponse;
        respond_activity_task_canceled: RespondActivityTaskCanceled(
            RespondActivityTaskCanceledRequest
        ) -> RespondActivityTaskCanceledResponse;
        respond_activity_task_canceled_by_id: RespondActivityTaskCanceledById(
            RespondActivityTaskCanceledByIdRequest
        ) -> RespondActivityTaskCanceledByIdResponse;
        record_activity_task_heartbeat: RecordActivityTaskHeartbeat(
            RecordActivityTaskHeartbeatRequest
        ) -> RecordActivityTaskHeartbeatResponse;
        record_activity_task_heartbeat_by_id: RecordActivityTaskHeartbeatById(
            RecordActivityTaskHeartbeatByIdRequest
        ) -> RecordActivityTaskHeartbeatByIdResponse;
    }
}

/// What the client sends its calls through.
#[derive(Clone)]
pub(crate) enum Transport {
    Direct(DirectChannel),
    Tonic(tonic::transport::Channel),
}

impl Transport {
    /// One attempt at a unary call with `metadata`, bounded by `timeout`
    /// (sent as `grpc-timeout` and enforced here). The future is boxed so
    /// that callers (retry loops, call scopes) stay small.
    pub(crate) fn unary<'a, Req, Resp>(
        &'a self,
        method: Method<Req, Resp>,
        message: &'a Req,
        metadata: &'a MetadataMap,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Resp, Status>>
    where
        Req: Message + Clone + Send + Sync + 'static,
        Resp: Message + Default + Send + 'static,
    {
        match self {
            Transport::Direct(channel) => Box::pin(async move {
                let frame = encode_frame(message)?;
                let exchange = channel.exchange(method.path, frame, metadata, timeout);
                match tokio::time::timeout(timeout, exchange).await {
                    Ok(reply) => decode_frame(reply?),
                    Err(_) => Err(Status::cancelled("Timeout expired")),
                }
            }),
            Transport::Tonic(channel) => Box::pin(async move {
                let mut request = tonic::Request::new(message.clone());
                *request.metadata_mut() = metadata.clone();
                request.set_timeout(timeout);
                let mut grpc = tonic::client::Grpc::new(channel.clone())
                    .max_decoding_message_size(MAX_MESSAGE_SIZE)
                    .max_encoding_message_size(MAX_MESSAGE_SIZE);
                grpc.ready()
                    .await
                    .map_err(|e| Status::unknown(format!("Service was not ready: {e}")))?;
                let path = http::uri::PathAndQuery::from_static(method.path);
                let codec = tonic_prost::ProstCodec::default();
                Ok(grpc.unary(request, path, codec).await?.into_inner())
            }),
        }
    }
}

/// A message as one gRPC frame (uncompressed).
fn encode_frame<M: Message>(message: &M) -> Result<Bytes, Status> {
    let len = message.encoded_len();
    if len > MAX_MESSAGE_SIZE {
        return Err(Status::out_of_range(format!(
            "the request is {len} bytes, more than the limit of {MAX_MESSAGE_SIZE} bytes"
        )));
    }
    let mut frame = BytesMut::with_capacity(GRPC_FRAME_HEADER_LEN + len);
    frame.put_u8(0);
    frame.put_u32(len as u32);
    message
        .encode(&mut frame)
        .map_err(|e| Status::internal(format!("could not encode the request: {e}")))?;
    Ok(frame.freeze())
}

/// The message of a unary reply's body (one gRPC frame; anything after the
/// first message is ignored, as tonic's unary call does).
fn decode_frame<M: Message + Default>(mut body: Bytes) -> Result<M, Status> {
    if body.is_empty() {
        return Err(Status::internal("Missing response message."));
    }
    if body.len() < GRPC_FRAME_HEADER_LEN {
        return Err(Status::internal(
            "protocol error: the response ended inside a message header",
        ));
    }
    let compressed = body.get_u8();
    let len = body.get_u32() as usize;
    match compressed {
        0 => {}
        1 => {
            return Err(Status::internal(
                "protocol error: received message with compressed-flag but no grpc-encoding was specified",
            ))
        }
        flag => {
            return Err(Status::internal(format!(
                "protocol error: received message with invalid compression flag: {flag} (valid flags are 0 and 1)"
            )))
        }
    }
    if len > MAX_MESSAGE_SIZE {
        return Err(Status::out_of_range(format!(
            "the response is {len} bytes, more than the limit of {MAX_MESSAGE_SIZE} bytes"
        )));
    }
    if body.len() < len {
        return Err(Status::internal(format!(
            "protocol error: the response ended after {} of its {len} bytes",
            body.len()
        )));
    }
    M::decode(body.slice(..len)).map_err(|e| Status::internal(e.to_string()))
}

/// The status a reply without `grpc-status` carries: mapped from its HTTP
/// status (a proxy's error page, say), as gRPC documents and tonic does.
fn status_from_http(status: http::StatusCode) -> Status {
    let code =
        match status {
            http::StatusCode::BAD_REQUEST => Code::Internal,
            http::StatusCode::UNAUTHORIZED => Code::Unauthenticated,
            http::StatusCode::FORBIDDEN => Code::PermissionDenied,
            http::StatusCode::NOT_FOUND => Code::Unimplemented,
            http::StatusCode::TOO_MANY_REQUESTS
            | http::StatusCode::BAD_GATEWAY
            | http::StatusCode::SERVICE_UNAVAILABLE
            | http::StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
            http::StatusCode::OK => return Status::unknown(
                "protocol error: the response ended without a grpc-status (cut short by a proxy?)",
            ),
            _ => Code::Unknown,
        };
    Status::new(
        code,
        format!(
            "grpc-status header missing, mapped from HTTP status code {}",
            status.as_u16()
        ),
    )
}

/// `grpc-timeout`: the finest unit whose count fits the 8 digits allowed.
fn grpc_timeout(timeout: Duration) -> http::HeaderValue {
    const MAX: u128 = 99_999_999;
    let secs = u128::from(timeout.as_secs());
    let text = [
        (timeout.as_nanos(), 'n'),
        (timeout.as_micros(), 'u'),
        (timeout.as_millis(), 'm'),
        (secs, 'S'),
        (secs / 60, 'M'),
    ]
    .into_iter()
    .find(|(count, _)| *count <= MAX)
    .map_or_else(
        || format!("{}H", (secs / 3600).min(MAX)),
        |(count, unit)| format!("{count}{unit}"),
    );
    http::HeaderValue::try_from(text).expect("digits and a unit are a valid header value")
}

/// Whether a reply's headers or trailers end it, and how.
fn header_status(headers: &http::HeaderMap) -> Option<Status> {
    // tonic panics on a `grpc-status-details-bin` that is not base64; such a
    // reply is reported without its details instead.
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const DETAILS: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if let Some(details) = headers.get("grpc-status-details-bin") {
        if DETAILS.decode(details.as_bytes()).is_err() {
            let mut headers = headers.clone();
            headers.remove("grpc-status-details-bin");
            return Status::from_header_map(&headers);
        }
    }
    Status::from_header_map(headers)
}

fn h2_status(error: h2::Error) -> Status {
    Status::from_error(Box::new(error))
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

struct Connection {
    /// Tells this connection from its successors.
    generation: u64,
    send: h2::client::SendRequest<Bytes>,
    /// Cancelled when the connection's task ended (closed, broken or dropped).
    closed: CancellationToken,
}

/// What a call takes of the live connection (not its token, whose clones
/// cost a lock each).
struct Live {
    generation: u64,
    send: h2::client::SendRequest<Bytes>,
}

impl Connection {
    fn live(&self) -> Live {
        Live {
            generation: self.generation,
            send: self.send.clone(),
        }
    }
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
    async fn connection(&self) -> Result<Live, BoxError> {
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
        let live = connection.live();
        *self.lock_current() = Some(connection);
        Ok(live)
    }

    /// Takes a connection that cannot start new calls out of use (its calls
    /// in flight, if any, finish on it).
    fn retire(&self, generation: u64) {
        let mut current = self.lock_current();
        if current.as_ref().map(|c| c.generation) == Some(generation) {
            *current = None;
        }
    }

    fn live(&self) -> Option<Live> {
        self.lock_current()
            .as_ref()
            .filter(|c| !c.closed.is_cancelled())
            .map(Connection::live)
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Connection>> {
        self.shared
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One unary call: `frame` (the encoded request) to `path`, and the
    /// reply's body once its status says OK. `timeout` goes out as the
    /// call's `grpc-timeout`; the caller enforces it.
    async fn exchange(
        &self,
        path: &'static str,
        frame: Bytes,
        metadata: &MetadataMap,
        timeout: Duration,
    ) -> Result<Bytes, Status> {
        let request = self.request(path, metadata, timeout)?;
        // A connection that broke (or was told to go away) since its last
        // call is replaced once, as tonic's channel reconnected before a call.
        let connection = self.connection().await.map_err(Status::from_error)?;
        let generation = connection.generation;
        let mut send = match connection.send.ready().await {
            Ok(send) => send,
            Err(_) => {
                self.retire(generation);
                let connection = self.connection().await.map_err(Status::from_error)?;
                connection.send.ready().await.map_err(h2_status)?
            }
        };
        let (response, mut stream) = send.send_request(request, false).map_err(h2_status)?;
        stream.send_data(frame, true).map_err(h2_status)?;
        let (head, mut body) = response.await.map_err(h2_status)?.into_parts();
        // A trailers-only reply carries its status in the headers.
        let head_status = header_status(&head.headers);
        if let Some(status) = &head_status {
            if status.code() != Code::Ok {
                return Err(status.clone());
            }
        }
        let mut data = BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(h2_status)?;
            // The data is consumed, so the window may open again.
            let _ = body.flow_control().release_capacity(chunk.len());
            if data.len() + chunk.len() > MAX_MESSAGE_SIZE + GRPC_FRAME_HEADER_LEN {
                return Err(Status::out_of_range(format!(
                    "the response is more than the limit of {MAX_MESSAGE_SIZE} bytes"
                )));
            }
            data.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await.map_err(h2_status)?;
        let data = data.freeze();
        // The common case, without the general parse (which copies the map).
        if trailers
            .as_ref()
            .and_then(|t| t.get("grpc-status"))
            .is_some_and(|status| status.as_bytes() == b"0")
        {
            return Ok(data);
        }
        match trailers.as_ref().and_then(header_status) {
            Some(status) if status.code() != Code::Ok => Err(status),
            Some(_) => Ok(data),
            None if head_status.is_some() => Ok(data),
            None => Err(status_from_http(head.status)),
        }
    }

    /// The request's head: the method's path on this channel's authority,
    /// the call's metadata, and what gRPC over HTTP/2 requires.
    fn request(
        &self,
        path: &'static str,
        metadata: &MetadataMap,
        timeout: Duration,
    ) -> Result<http::Request<()>, Status> {
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(http::uri::Scheme::HTTP);
        uri.authority = Some(self.shared.target.authority.clone());
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static(path));
        let uri = http::Uri::from_parts(uri)
            .map_err(|e| Status::internal(format!("invalid request URI: {e}")))?;
        let mut request = http::Request::new(());
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = uri;
        *request.version_mut() = http::Version::HTTP_2;
        let headers = request.headers_mut();
        *headers = metadata.clone().into_headers();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/grpc"),
        );
        headers.insert(http::header::TE, http::HeaderValue::from_static("trailers"));
        headers.insert(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        );
        headers.insert("grpc-timeout", grpc_timeout(timeout));
        Ok(request)
    }
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
    fn grpc_timeouts_use_the_finest_unit_that_fits_eight_digits() {
        let text = |d: Duration| grpc_timeout(d).to_str().unwrap().to_owned();
        assert_eq!(text(Duration::from_nanos(250)), "250n");
        assert_eq!(text(Duration::from_millis(50)), "50000000n");
        assert_eq!(text(Duration::from_secs(10)), "10000000u");
        assert_eq!(text(Duration::from_secs(70)), "70000000u");
        assert_eq!(text(Duration::from_secs(1000)), "1000000m");
        assert_eq!(text(Duration::from_secs(200_000)), "200000S");
        assert_eq!(text(Duration::from_secs(100_000_000)), "1666666M");
        assert_eq!(text(Duration::from_secs(u64::MAX)), "99999999H");
    }

    #[test]
    fn frames_round_trip_and_bad_frames_are_named() {
        use temporalio_protos::temporal::api::workflowservice::v1::GetSystemInfoResponse;
        let message = GetSystemInfoResponse {
            server_version: "1.2.3".to_owned(),
            ..Default::default()
        };
        let frame = encode_frame(&message).unwrap();
        assert_eq!(frame[0], 0);
        assert_eq!(&frame[1..5], &(frame.len() as u32 - 5).to_be_bytes());
        let back: GetSystemInfoResponse = decode_frame(frame.clone()).unwrap();
        assert_eq!(back, message);

        let error = |body: Bytes| decode_frame::<GetSystemInfoResponse>(body).unwrap_err();
        assert_eq!(error(Bytes::new()).message(), "Missing response message.");
        assert!(error(frame.slice(..3))
            .message()
            .contains("inside a message header"));
        assert!(error(frame.slice(..frame.len() - 1))
            .message()
            .contains("ended after"));
        let mut compressed = frame.to_vec();
        compressed[0] = 1;
        assert!(error(compressed.into())
            .message()
            .contains("compressed-flag"));
        let mut garbage = vec![0, 0, 0, 0, 3];
        garbage.extend_from_slice(&[0xff, 0xff, 0xff]);
        assert_eq!(error(garbage.into()).code(), Code::Internal);
    }

    #[test]
    fn statuses_come_from_trailers_else_the_http_status() {
        let mut headers = http::HeaderMap::new();
        headers.insert("grpc-status", http::HeaderValue::from_static("5"));
        headers.insert("grpc-message", http::HeaderValue::from_static("no%20such"));
        let status = header_status(&headers).unwrap();
        assert_eq!(
            (status.code(), status.message()),
            (Code::NotFound, "no such")
        );
        // Details that are not base64 are dropped, not a panic.
        headers.insert(
            "grpc-status-details-bin",
            http::HeaderValue::from_static("***"),
        );
        assert_eq!(header_status(&headers).unwrap().code(), Code::NotFound);
        assert!(header_status(&http::HeaderMap::new()).is_none());
        assert_eq!(
            status_from_http(http::StatusCode::SERVICE_UNAVAILABLE).code(),
            Code::Unavailable
        );
        assert_eq!(
            status_from_http(http::StatusCode::FORBIDDEN).code(),
            Code::PermissionDenied
        );
        assert_eq!(status_from_http(http::StatusCode::OK).code(), Code::Unknown);
    }
}
