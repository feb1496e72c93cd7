//! The gRPC transport: unary calls of the workflow service over one HTTP/2
//! connection, whatever the target — plaintext TCP, TLS (and so every API
//! key user), or a Unix socket. This is the one place that sets keepalive,
//! HTTP/2 windows, the user agent and message size limits, bounds an attempt
//! by its timeout (headers, body and trailers alike), reconnects, and reads
//! the gRPC status (see [`grpc`]).
//!
//! A call encodes its message into one gRPC frame, puts it straight onto an
//! `h2` connection and reads the reply in small futures: no buffer task, no
//! body-piping task, no tens of kilobytes of nested future state per call.
//! The server's PINGs are acknowledged at once, as RFC 9113 §6.7 asks (h2
//! does it while driving the connection).

mod driven;
pub(crate) mod endpoint;
mod grpc;
pub(crate) mod loop_io;

pub(crate) use endpoint::Endpoint;
pub(crate) use grpc::{
    decode_message, encode_frame, frame_bytes, frame_reserved, FRAME_HEADER_LEN, FROM_HTTP_STATUS,
    NOT_SENT,
};

use crate::error::error_chain;
use crate::log::{log_record, LogLevel};
use bytes::Bytes;
use driven::Driven;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// hyper's HTTP/2 client defaults, which tonic's channel used.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
const MAX_FRAME_SIZE: u32 = 16 * 1024;
const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
const MAX_SEND_BUFFER_SIZE: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("temporal-bridge/", env!("CARGO_PKG_VERSION"));

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

    /// The method's path (`/temporal.api.workflowservice.v1.WorkflowService/...`).
    pub(crate) const fn path(&self) -> &'static str {
        self.path
    }
}

macro_rules! methods {
    ($($service:literal { $($name:ident: $rpc:ident($request:ty) -> $response:ty;)* })*) => {
        /// Every method's path.
        #[cfg(test)]
        pub(crate) const ALL: &[&str] = &[$($($name.path()),*),*];
        $($(
            #[allow(non_upper_case_globals)]
            pub(crate) const $name: Method<$request, $response> = Method::new(concat!(
                "/", $service, "/", stringify!($rpc)
            ));
        )*)*
    };
}

/// The methods the client calls, named as in the service definitions (and
/// tonic's generated clients).
pub(crate) mod method {
    use super::Method;
    use temporalio_protos::temporal::api::operatorservice::v1 as operator;
    use temporalio_protos::temporal::api::workflowservice::v1::*;

    methods! {
        "temporal.api.workflowservice.v1.WorkflowService" {
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
        poll_activity_task_queue: PollActivityTaskQueue(
            PollActivityTaskQueueRequest
        ) -> PollActivityTaskQueueResponse;
        shutdown_worker: ShutdownWorker(ShutdownWorkerRequest) -> ShutdownWorkerResponse;
        record_activity_task_heartbeat: RecordActivityTaskHeartbeat(
            RecordActivityTaskHeartbeatRequest
        ) -> RecordActivityTaskHeartbeatResponse;
        record_activity_task_heartbeat_by_id: RecordActivityTaskHeartbeatById(
            RecordActivityTaskHeartbeatByIdRequest
        ) -> RecordActivityTaskHeartbeatByIdResponse;
        reset_workflow_execution: ResetWorkflowExecution(
            ResetWorkflowExecutionRequest
        ) -> ResetWorkflowExecutionResponse;
        create_schedule: CreateSchedule(CreateScheduleRequest) -> CreateScheduleResponse;
        describe_schedule: DescribeSchedule(DescribeScheduleRequest) -> DescribeScheduleResponse;
        update_schedule: UpdateSchedule(UpdateScheduleRequest) -> UpdateScheduleResponse;
        patch_schedule: PatchSchedule(PatchScheduleRequest) -> PatchScheduleResponse;
        delete_schedule: DeleteSchedule(DeleteScheduleRequest) -> DeleteScheduleResponse;
        list_schedules: ListSchedules(ListSchedulesRequest) -> ListSchedulesResponse;
        describe_task_queue: DescribeTaskQueue(DescribeTaskQueueRequest) -> DescribeTaskQueueResponse;
        register_namespace: RegisterNamespace(RegisterNamespaceRequest) -> RegisterNamespaceResponse;
        describe_namespace: DescribeNamespace(DescribeNamespaceRequest) -> DescribeNamespaceResponse;
        list_namespaces: ListNamespaces(ListNamespacesRequest) -> ListNamespacesResponse;
        update_namespace: UpdateNamespace(UpdateNamespaceRequest) -> UpdateNamespaceResponse;
        }
        "temporal.api.operatorservice.v1.OperatorService" {
        add_search_attributes: AddSearchAttributes(
            operator::AddSearchAttributesRequest
        ) -> operator::AddSearchAttributesResponse;
        list_search_attributes: ListSearchAttributes(
            operator::ListSearchAttributesRequest
        ) -> operator::ListSearchAttributesResponse;
        remove_search_attributes: RemoveSearchAttributes(
            operator::RemoveSearchAttributesRequest
        ) -> operator::RemoveSearchAttributesResponse;
        }
    }

    /// Stands for "any method, by name" in the table of operations
    /// (`call_rpc`, which takes its paths from the descriptors).
    #[allow(non_upper_case_globals)]
    pub(crate) const any_method: Method<(), ()> = Method::new("*");
}

/// gRPC over one HTTP/2 connection to an [`Endpoint`], re-established by the
/// first call after it broke. Cloning is cheap; clones share the connection.
#[derive(Clone)]
pub(crate) struct Channel {
    shared: Arc<Shared>,
}

struct Shared {
    endpoint: Endpoint,
    current: Mutex<Option<Connection>>,
    generations: AtomicU64,
    /// One connection attempt at a time; calls arriving meanwhile wait for it.
    connecting: tokio::sync::Mutex<()>,
}

struct Connection {
    /// Tells this connection from its successors.
    generation: u64,
    send: h2::client::SendRequest<Bytes>,
    driven: Arc<Driven>,
    /// Cancelled when the connection's task ended (closed, broken or dropped).
    closed: CancellationToken,
}

/// What a call takes of the live connection (not its token, whose clones
/// cost a lock each).
struct Live {
    generation: u64,
    send: h2::client::SendRequest<Bytes>,
    driven: Arc<Driven>,
}

impl Connection {
    fn live(&self) -> Live {
        Live {
            generation: self.generation,
            send: self.send.clone(),
            driven: Arc::clone(&self.driven),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The channel is gone: close the connection (its task and keepalive
        // would otherwise keep it open).
        if let Some(connection) = self.current.get_mut().ok().and_then(Option::take) {
            connection.closed.cancel();
        }
    }
}

impl Channel {
    /// A channel to `endpoint` that connects on its first call.
    pub(crate) fn lazy(endpoint: Endpoint) -> Channel {
        Channel {
            shared: Arc::new(Shared {
                endpoint,
                current: Mutex::new(None),
                generations: AtomicU64::new(0),
                connecting: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Connects to `endpoint` (the stream, TLS if any, and HTTP/2), within
    /// its connect timeout.
    pub(crate) async fn connect(endpoint: Endpoint) -> Result<Channel, BoxError> {
        let connection = open(&endpoint, 0).await?;
        Ok(Channel {
            shared: Arc::new(Shared {
                endpoint,
                current: Mutex::new(Some(connection)),
                generations: AtomicU64::new(1),
                connecting: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// One attempt at a unary call: `frame` (an encoded request, see
    /// [`encode_frame`]) to `path` with `metadata`, bounded by `timeout` from
    /// sending the request to the reply's last byte (sent as `grpc-timeout`,
    /// and enforced here); the reply's message as bytes. The future is boxed
    /// so that callers (retry loops, call scopes) stay small.
    ///
    /// A call polled on a thread that does not drive the runtime (an event
    /// loop's) writes its request from there when the connection can take
    /// it at once, and the driving thread reads the whole reply and lets the
    /// stream go (see [`driven`]): the driving thread is not woken to write,
    /// and the call is woken once, when its reply is complete (h2 wakes the
    /// driving thread when a stream is let go, and contends for its lock
    /// meanwhile). Otherwise (no connection yet, or a broken one) the whole
    /// exchange runs as a task of the runtime. An event loop's call (one
    /// polled with a [`loop_io::LoopReactor`] entered) keeps its exchange and
    /// its loop reads the reply (see [`loop_io`]), so no other thread wakes.
    /// On the driving thread (a blocking call, a spawned task) it runs
    /// inline. Dropping the future abandons the exchange (its stream is
    /// reset).
    pub(crate) fn unary<'a>(
        &'a self,
        path: &'static str,
        frame: Bytes,
        metadata: &'a MetadataMap,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Bytes, Status>> {
        Box::pin(async move {
            let frame = if self.shared.endpoint.gzip {
                grpc::gzip_frame(&frame)?
            } else {
                frame
            };
            let request = self.request(path, metadata, timeout)?;
            if crate::runtime::driving() {
                return within(timeout, self.exchange(request, frame)).await;
            }
            if let Some(live) = self.ready_now() {
                if live.driven.loop_capable() {
                    if let Some(reactor) = loop_io::current() {
                        let reply = send_loop(live, &reactor, request, frame);
                        drop(reactor);
                        return within(timeout, reply).await;
                    }
                }
                return within(timeout, send_now(live, request, frame)).await;
            }
            let channel = self.clone();
            let exchange = async move { within(timeout, channel.exchange(request, frame)).await };
            AbortOnDrop(tokio::spawn(exchange)).await
        })
    }

    /// The live connection if it can take a request at once (else an
    /// exchange waits for it, or replaces it, as a task).
    fn ready_now(&self) -> Option<Live> {
        let mut live = self.live()?;
        let mut unwoken = std::task::Context::from_waker(std::task::Waker::noop());
        match live.send.poll_ready(&mut unwoken) {
            std::task::Poll::Ready(Ok(())) => Some(live),
            _ => None,
        }
    }

    /// The live connection, or a new one if it broke.
    async fn connection(&self) -> Result<Live, Status> {
        if let Some(live) = self.live() {
            return Ok(live);
        }
        let _connecting = self.shared.connecting.lock().await;
        if let Some(live) = self.live() {
            return Ok(live);
        }
        let generation = self.shared.generations.fetch_add(1, Ordering::Relaxed);
        let authority = self.shared.endpoint.authority.as_str();
        let connection = open(&self.shared.endpoint, generation).await.map_err(|e| {
            log_record!(
                LogLevel::Warn,
                "temporal_bridge::transport",
                {"target" => authority, "cause" => error_chain(&*e)},
                "could not connect: {}",
                error_chain(&*e)
            );
            let mut status =
                Status::unavailable(format!("could not connect: {}", error_chain(&*e)));
            // Nothing went out: any call may try again.
            status
                .metadata_mut()
                .insert(NOT_SENT, tonic::metadata::MetadataValue::from_static("1"));
            status
        })?;
        // The first connection is the client's to report (it knows the
        // server's version by then); later ones are reconnects.
        if generation > 0 {
            log_record!(
                LogLevel::Info,
                "temporal_bridge::transport",
                {"target" => authority, "connection" => generation},
                "reconnected to {authority}"
            );
        }
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

    /// One unary call: `frame` (the encoded request) with its head
    /// `request`, and the reply's message once its status says OK.
    async fn exchange(&self, request: http::Request<()>, frame: Bytes) -> Result<Bytes, Status> {
        // A connection that broke (or was told to go away) since its last
        // call is replaced once, before the request goes out.
        let connection = self.connection().await?;
        let generation = connection.generation;
        let mut send = match connection.send.ready().await {
            Ok(send) => send,
            Err(_) => {
                self.retire(generation);
                let connection = self.connection().await?;
                connection.send.ready().await.map_err(grpc::h2_status)?
            }
        };
        connection.driven.reclaim();
        let (response, mut stream) = send.send_request(request, false).map_err(grpc::h2_status)?;
        stream.send_data(frame, true).map_err(grpc::h2_status)?;
        let received = receive(response).await;
        drop(stream);
        received
    }

    /// The request's head: the method's path on this channel's authority,
    /// the call's metadata, and what gRPC over HTTP/2 requires.
    fn request(
        &self,
        path: &'static str,
        metadata: &MetadataMap,
        timeout: Duration,
    ) -> Result<http::Request<()>, Status> {
        let endpoint = &self.shared.endpoint;
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(endpoint.scheme.clone());
        uri.authority = Some(endpoint.authority.clone());
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
        headers.insert("grpc-timeout", grpc::grpc_timeout(timeout));
        if endpoint.gzip {
            let gzip = http::HeaderValue::from_static("gzip");
            headers.insert("grpc-encoding", gzip.clone());
            headers.insert("grpc-accept-encoding", gzip);
        }
        Ok(request)
    }
}

/// The rest of an exchange once its request is sent: the reply's message
/// once its status says OK.
async fn receive(response: h2::client::ResponseFuture) -> Result<Bytes, Status> {
    let (head, mut body) = response.await.map_err(grpc::h2_status)?.into_parts();
    // A trailers-only reply carries its status in the headers.
    let head_status = grpc::header_status(&head.headers);
    if let Some(status) = &head_status {
        if status.code() != Code::Ok {
            return Err(status.clone());
        }
    }
    if head_status.is_none() {
        // Not gRPC's answer (a proxy's error page, say): its HTTP status
        // says what happened, and its body is not read.
        if head.status != http::StatusCode::OK {
            return Err(grpc::status_from_http(head.status, "with no gRPC status"));
        }
        if !grpc::is_grpc_content_type(&head.headers) {
            let kind = head
                .headers
                .get(http::header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_else(|| "no content type".to_owned());
            return Err(Status::unknown(format!(
                "the server (or a proxy before it) answered with {kind:?}, not gRPC"
            )));
        }
    }
    let gzip = head
        .headers
        .get("grpc-encoding")
        .is_some_and(|e| e.as_bytes() == b"gzip");
    let message = grpc::read_message(&mut body, gzip).await?;
    let trailers = body.trailers().await.map_err(grpc::h2_status)?;
    let status = match trailers.as_ref() {
        // The common case, without the general parse (which copies the map).
        Some(t) if t.get("grpc-status").is_some_and(|s| s.as_bytes() == b"0") => None,
        Some(t) => grpc::header_status(t),
        None => None,
    };
    match (status, head_status) {
        (Some(status), _) if status.code() != Code::Ok => Err(status),
        (None, None)
            if !trailers
                .as_ref()
                .is_some_and(|t| t.contains_key("grpc-status")) =>
        {
            Err(Status::unknown(
                "protocol error: the response ended without a grpc-status (cut short by a proxy?)",
            ))
        }
        _ => message.ok_or_else(|| Status::internal("the response has no message")),
    }
}

/// On a thread that does not drive the runtime: puts the request on `live`
/// (ready for it) and writes it from this thread, and hands reading the
/// reply to the connection's task (see [`driven`]); the reply.
fn send_now(live: Live, request: http::Request<()>, frame: Bytes) -> HandedOver {
    let Live {
        mut send, driven, ..
    } = live;
    let (mut replied, reply) = tokio::sync::oneshot::channel();
    driven.send_now(|| {
        let sent = send
            .send_request(request, false)
            .and_then(|(response, mut stream)| {
                stream.send_data(frame, true)?;
                Ok((response, stream))
            });
        let (response, stream) = match sent {
            Ok(sent) => sent,
            Err(error) => {
                let _ = replied.send(Err(grpc::h2_status(error)));
                return;
            }
        };
        let exchange = async move {
            // The request's half is kept until the reply is read.
            let _stream = stream;
            let received = tokio::select! {
                biased;
                _ = replied.closed() => None,
                received = receive(response) => Some(received),
            };
            if let Some(received) = received {
                let _ = replied.send(received);
            }
        };
        // A connection that ended meanwhile: the exchange is dropped,
        // and the call hears that the connection ended.
        let _ = driven.hand_over(Box::pin(exchange));
    });
    HandedOver {
        reply,
        driven,
        answered: false,
    }
}

/// On a loop's thread: puts the request on `live` and writes it from here
/// (now); the loop reads the reply (see [`loop_io`]). The reply's future
/// does not keep the loop's reactor.
fn send_loop(
    live: Live,
    reactor: &loop_io::LoopReactor,
    request: http::Request<()>,
    frame: Bytes,
) -> impl Future<Output = Result<Bytes, Status>> + Send + 'static {
    let Live {
        mut send, driven, ..
    } = live;
    let sent = driven.send_loop(reactor, || {
        send.send_request(request, false)
            .and_then(|(response, mut stream)| {
                stream.send_data(frame, true)?;
                Ok((response, stream))
            })
    });
    let ended = LoopCall(driven);
    async move {
        let _ended = ended;
        let (response, stream) = sent.map_err(grpc::h2_status)?;
        let received = receive(response).await;
        drop(stream);
        received
    }
}

/// A loop's call whose reply the loop reads; see [`Driven::loop_call_ended`].
struct LoopCall(Arc<Driven>);

impl Drop for LoopCall {
    fn drop(&mut self) {
        self.0.loop_call_ended();
    }
}

/// `exchange`, bounded by `timeout`.
async fn within(
    timeout: Duration,
    exchange: impl Future<Output = Result<Bytes, Status>>,
) -> Result<Bytes, Status> {
    match tokio::time::timeout(timeout, exchange).await {
        Ok(reply) => reply,
        Err(_) => Err(attempt_timed_out(timeout)),
    }
}

/// The reply of an exchange handed over to its connection's task.
struct HandedOver {
    reply: tokio::sync::oneshot::Receiver<Result<Bytes, Status>>,
    driven: Arc<Driven>,
    answered: bool,
}

impl Future for HandedOver {
    type Output = Result<Bytes, Status>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let reply = std::task::ready!(Pin::new(&mut self.reply).poll(cx));
        self.answered = true;
        std::task::Poll::Ready(reply.unwrap_or_else(|_| {
            Err(Status::unavailable(
                "the connection ended before the reply (HTTP/2)",
            ))
        }))
    }
}

impl Drop for HandedOver {
    /// An abandoned exchange that its task has not started yet is started
    /// now, to see that nobody waits for it and reset its stream.
    fn drop(&mut self) {
        if !self.answered {
            self.driven.wake_task();
        }
    }
}

/// A task whose outcome a call awaits, aborted if the call is abandoned.
struct AbortOnDrop(tokio::task::JoinHandle<Result<Bytes, Status>>);

impl Future for AbortOnDrop {
    type Output = Result<Bytes, Status>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(Status::internal(format!("the exchange's task failed: {e}")))
            })
        })
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The status of an attempt that ran out its own timeout: a deadline, as the
/// server would have reported it had it given up first.
fn attempt_timed_out(timeout: Duration) -> Status {
    Status::deadline_exceeded(format!(
        "the attempt got no complete answer within its timeout of {timeout:?}"
    ))
}

/// Opens a connection: the stream, the HTTP/2 handshake, its task and
/// keepalive.
async fn open(endpoint: &Endpoint, generation: u64) -> Result<Connection, BoxError> {
    let (send, connection, owner) = endpoint
        .connect(|io, owner| async move {
            let handshake = h2::client::Builder::new()
                .initial_window_size(STREAM_WINDOW)
                .initial_connection_window_size(CONNECTION_WINDOW)
                .max_frame_size(MAX_FRAME_SIZE)
                .max_header_list_size(MAX_HEADER_LIST_SIZE)
                .max_send_buffer_size(MAX_SEND_BUFFER_SIZE)
                .enable_push(false)
                .handshake::<_, Bytes>(driven::Socket::new(io, owner.clone()))
                .await;
            handshake
                .map(|(send, connection)| (send, connection, owner))
                .map_err(|e| Box::new(e) as BoxError)
        })
        .await?;
    let mut connection = connection;
    let closed = CancellationToken::new();
    let ping_pong = connection.ping_pong();
    let driven = Driven::new(connection, owner);
    let ended = closed.clone();
    let task = Arc::clone(&driven);
    tokio::spawn(async move {
        tokio::select! {
            _ = Arc::clone(&task).run() => {}
            _ = ended.cancelled() => {}
        }
        // Dropping the connection closes the socket; its calls fail.
        task.end();
        ended.cancel();
    });
    // Keepalive pings on idle and busy connections alike; a connection whose
    // ping goes unanswered is dropped (its calls fail and are retried on a
    // new connection).
    if let (Some(ping_pong), Some((interval, timeout))) = (ping_pong, endpoint.keepalive) {
        let driven = Arc::clone(&driven);
        tokio::spawn(keepalive(
            ping_pong,
            driven,
            interval,
            timeout,
            closed.clone(),
        ));
    }
    Ok(Connection {
        generation,
        send,
        driven,
        closed,
    })
}

async fn keepalive(
    mut ping_pong: h2::PingPong,
    driven: Arc<Driven>,
    interval: Duration,
    timeout: Duration,
    closed: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = closed.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        // The pong is read by the runtime, whatever a loop does meanwhile.
        driven.reclaim();
        let pong = tokio::select! {
            _ = closed.cancelled() => return,
            pong = tokio::time::timeout(timeout, ping_pong.ping(h2::Ping::opaque())) => pong,
        };
        if !matches!(pong, Ok(Ok(_))) {
            closed.cancel();
            return;
        }
    }
}
