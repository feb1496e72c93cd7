//! Payload codecs: the step between the payloads the data converter makes
//! and the bytes on the wire (encryption, compression). A codec runs in
//! process (the [`PayloadCodec`] trait, which the C and Python bindings
//! implement over their callbacks) or in a codec server reached over HTTP
//! (`codec_server`).
//!
//! The codec sits at one seam, the RPC: every request this client sends has
//! its payloads encoded on the way out and every reply its payloads decoded
//! on the way in, whatever operation made the call. The payloads are found by
//! walking the message with the bundled descriptors, so a new RPC (or one
//! reached by `call_rpc`) is covered without a list to keep. All payloads of
//! one message go to the codec in one batch, in a fixed order.
//!
//! Never encoded: search attributes (the server indexes them) and headers
//! (interceptors such as tracing read them as they are). Memos only when the
//! client asks (`include_memo`), as in the SDKs. Failures may move their
//! message and stack trace into `encoded_attributes` before encoding
//! (`encode_failure_attributes`); decoding always restores them.

use crate::error::{error_chain, Error, ErrorKind, Result};
use crate::payload::{decode_payload, encode_value, RawPayload};
use bytes::Bytes;
use prost_reflect::{
    DynamicMessage, MessageDescriptor, MethodDescriptor, ReflectMessage, Value as Field,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
pub use temporalio_protos::temporal::api::common::v1::Payload;
use temporalio_protos::temporal::api::failure::v1::Failure;

/// What a codec answers: the payloads in the same number and order, or why not.
pub type CodecResult = std::result::Result<Vec<Payload>, Box<dyn std::error::Error + Send + Sync>>;

/// The future a codec returns.
pub type CodecFuture = Pin<Box<dyn Future<Output = CodecResult> + Send>>;

/// Which way payloads go through a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecDirection {
    /// Before sending: plain payloads in, encoded out.
    Encode,
    /// After receiving: encoded payloads in, plain out.
    Decode,
}

impl CodecDirection {
    /// `"encode"` or `"decode"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodecDirection::Encode => "encode",
            CodecDirection::Decode => "decode",
        }
    }
}

/// What a codec is told about the payloads it is given.
#[derive(Clone, Debug)]
pub struct CodecContext {
    /// The client's namespace.
    pub namespace: String,
    /// The RPC whose message carries the payloads, e.g. `StartWorkflowExecution`.
    pub call: String,
}

/// A payload codec in process. `encode` and `decode` each take every payload
/// of one message and must return as many, in the same order. Payloads a
/// codec does not recognise on decode (another encoding) should come back
/// unchanged. Called from the library's threads, possibly concurrently.
pub trait PayloadCodec: Send + Sync + 'static {
    /// Encodes payloads about to be sent.
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture;
    /// Decodes payloads just received.
    fn decode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture;
}

/// The `codec` connect option: a codec server, and what any codec covers.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodecOptions {
    /// The codec server's URL (`http://` or `https://`, any path): payloads
    /// are POSTed to `{endpoint}/encode` and `{endpoint}/decode`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The codec server's `Authorization` header value.
    #[serde(default)]
    pub auth: Option<String>,
    /// More headers for every codec server request.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Timeout of one codec server request. Default 10 s.
    #[serde(default)]
    pub timeout: Option<crate::duration::JsonDuration>,
    /// TLS to an `https://` codec server: `true` for system roots, or an
    /// object for a custom CA / server name / client certificate.
    #[serde(default)]
    pub tls: Option<crate::options::TlsSetting>,
    /// Encode and decode memos too (off by default, as in the SDKs).
    #[serde(default)]
    pub include_memo: bool,
    /// Move a failure's message and stack trace into its encoded
    /// attributes before encoding (the SDKs' "encode common attributes").
    #[serde(default)]
    pub encode_failure_attributes: bool,
}

impl fmt::Debug for CodecOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecOptions")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("include_memo", &self.include_memo)
            .field("encode_failure_attributes", &self.encode_failure_attributes)
            .finish()
    }
}

/// The codec of one client, with what it covers.
pub(crate) struct CodecStage {
    codec: Arc<dyn PayloadCodec>,
    namespace: String,
    include_memo: bool,
    encode_failure_attributes: bool,
}

/// Where a codec looks: for each message type met so far, only the fields
/// that can lead to a payload it covers. Walking a message then touches a
/// few small vectors instead of the descriptor pool. Types are added the
/// first time an RPC that carries them is made (a type's entry never
/// changes once made, so indexes stay valid).
#[derive(Default)]
struct Plan {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    /// Input and output node of each RPC path met so far (`None`: unknown path).
    methods: HashMap<String, Option<(usize, usize)>>,
}

#[derive(Default)]
struct Node {
    /// Field number and what it holds, for the fields worth entering.
    fields: Vec<(u64, Step)>,
    /// This type is `temporal.api.failure.v1.Failure`.
    failure: bool,
}

#[derive(Clone, Copy)]
enum Step {
    Payload,
    Message(usize),
}

impl Plan {
    /// The nodes of `path`'s input and output, added when first met.
    fn method(&mut self, path: &str, include_memo: bool) -> Option<(usize, usize)> {
        if let Some(known) = self.methods.get(path) {
            return *known;
        }
        let found = method_at(path).map(|m| {
            let input = self.add(&m.input(), include_memo);
            let output = self.add(&m.output(), include_memo);
            (input, output)
        });
        self.methods.insert(path.to_owned(), found);
        found
    }

    /// The node of `root`, adding every type it leads to that is new.
    fn add(&mut self, root: &MessageDescriptor, include_memo: bool) -> usize {
        if let Some(&known) = self.index.get(root.full_name()) {
            return known;
        }
        let covers = |name: &str| !PLAIN.contains(&name) && (include_memo || name != MEMO);
        // The new types reachable from `root`, each with its covered
        // message-typed fields (children by name, resolved below).
        let first = self.nodes.len();
        let mut pending = vec![root.clone()];
        let mut edges: Vec<Vec<(u64, Result<(), String>)>> = Vec::new();
        while let Some(message) = pending.pop() {
            let name = message.full_name();
            if self.index.contains_key(name) {
                continue;
            }
            self.index.insert(name.to_owned(), self.nodes.len());
            self.nodes.push(Node {
                fields: Vec::new(),
                failure: name == FAILURE,
            });
            let mut fields = Vec::new();
            for field in message.fields() {
                let Some(target) = field.kind().as_message().cloned() else {
                    continue;
                };
                let target_name = target.full_name();
                if !covers(target_name) {
                    continue;
                }
                if target_name == PAYLOAD {
                    fields.push((u64::from(field.number()), Ok(())));
                } else {
                    fields.push((u64::from(field.number()), Err(target_name.to_owned())));
                    if !self.index.contains_key(target_name) {
                        pending.push(target);
                    }
                }
            }
            edges.push(fields);
        }
        // Which of the new types lead to a payload: old ones are known (a
        // node with fields does), new ones by repeating until nothing changes.
        let count = edges.len();
        let mut reaches = vec![false; count];
        let leads = |reaches: &[bool],
                     nodes: &[Node],
                     index: &HashMap<String, usize>,
                     to: &Result<(), String>| match to {
            Ok(()) => true,
            Err(name) => index.get(name).is_some_and(|&j| {
                if j >= first {
                    reaches[j - first]
                } else {
                    !nodes[j].fields.is_empty()
                }
            }),
        };
        loop {
            let mut changed = false;
            for k in 0..count {
                if !reaches[k]
                    && edges[k]
                        .iter()
                        .any(|(_, to)| leads(&reaches, &self.nodes, &self.index, to))
                {
                    reaches[k] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (k, fields) in edges.into_iter().enumerate() {
            let kept = fields
                .into_iter()
                .filter(|(_, to)| leads(&reaches, &self.nodes, &self.index, to))
                .filter_map(|(number, to)| match to {
                    Ok(()) => Some((number, Step::Payload)),
                    Err(name) => self.index.get(&name).map(|&j| (number, Step::Message(j))),
                })
                .collect();
            self.nodes[first + k].fields = kept;
        }
        self.index[root.full_name()]
    }

    fn step(&self, node: usize, number: u64) -> Option<Step> {
        self.nodes[node]
            .fields
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, step)| *step)
    }
}

const PAYLOAD: &str = "temporal.api.common.v1.Payload";
const FAILURE: &str = "temporal.api.failure.v1.Failure";
const MEMO: &str = "temporal.api.common.v1.Memo";
/// Never handed to a codec.
const PLAIN: [&str; 2] = [
    "temporal.api.common.v1.SearchAttributes",
    "temporal.api.common.v1.Header",
];
/// What an encoded failure says in place of its message.
const ENCODED_FAILURE_MESSAGE: &str = "Encoded failure";

impl CodecStage {
    /// The stage for a client: its in-process codec or its codec server
    /// (never both), or `None` for neither.
    pub(crate) fn new(
        in_process: Option<Arc<dyn PayloadCodec>>,
        options: Option<&CodecOptions>,
        namespace: &str,
    ) -> Result<Option<CodecStage>> {
        let defaults = CodecOptions::default();
        let options = options.unwrap_or(&defaults);
        let codec: Arc<dyn PayloadCodec> =
            match (in_process, &options.endpoint) {
                (Some(_), Some(_)) => return Err(Error::invalid_argument(
                    "give either a codec in process or codec.endpoint (a codec server), not both",
                )
                .with_detail("field", "codec.endpoint")),
                (Some(codec), None) => codec,
                (None, Some(endpoint)) => {
                    Arc::new(crate::codec_server::CodecServer::new(endpoint, options)?)
                }
                (None, None) => return Ok(None),
            };
        Ok(Some(CodecStage {
            codec,
            namespace: namespace.to_owned(),
            include_memo: options.include_memo,
            encode_failure_attributes: options.encode_failure_attributes,
        }))
    }

    /// The request message of the RPC at `path` with its payloads encoded.
    pub(crate) async fn encode_request(&self, path: &str, message: Bytes) -> Result<Bytes> {
        self.transform(path, CodecDirection::Encode, message).await
    }

    /// The reply message of the RPC at `path` with its payloads decoded.
    pub(crate) async fn decode_reply(&self, path: &str, message: Bytes) -> Result<Bytes> {
        self.transform(path, CodecDirection::Decode, message).await
    }

    /// The plan of this stage's coverage, shared by the process.
    fn plan(&self) -> &'static std::sync::RwLock<Plan> {
        static PLANS: [std::sync::OnceLock<std::sync::RwLock<Plan>>; 2] =
            [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
        PLANS[usize::from(self.include_memo)].get_or_init(Default::default)
    }

    /// The input and output nodes of `path`, made when first met.
    fn method_nodes(&self, path: &str) -> Option<(usize, usize)> {
        let plan = self.plan();
        let known = plan
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .methods
            .get(path)
            .copied();
        match known {
            Some(nodes) => nodes,
            None => plan
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .method(path, self.include_memo),
        }
    }

    async fn transform(
        &self,
        path: &str,
        direction: CodecDirection,
        bytes: Bytes,
    ) -> Result<Bytes> {
        let reply = direction == CodecDirection::Decode;
        self.transform_as(path, reply, direction, bytes).await
    }

    /// [`CodecStage::transform`] of the RPC's request (or, with `reply`, its
    /// reply) message.
    async fn transform_as(
        &self,
        path: &str,
        reply: bool,
        direction: CodecDirection,
        bytes: Bytes,
    ) -> Result<Bytes> {
        let (Some((input, output)), Some(call)) =
            (self.method_nodes(path), path.rsplit('/').next())
        else {
            return Ok(bytes);
        };
        let root = if reply { output } else { input };
        let broken = |what: String| {
            Error::internal(format!(
                "the {} message of {call} could not be walked for payloads: {what}",
                if direction == CodecDirection::Encode {
                    "request"
                } else {
                    "reply"
                }
            ))
        };
        // The common case works on the wire bytes: find the payloads, code
        // them, splice the new ones in. Only failures whose attributes move
        // (rare) take the decoded-message path.
        let mut scan = Scan {
            direction,
            payloads: Vec::new(),
            failures: false,
        };
        {
            let plan = self.plan().read().unwrap_or_else(|p| p.into_inner());
            self.scan(&plan, root, &bytes, &mut scan).map_err(broken)?;
        }
        if scan.failures {
            let Some(method) = method_at(path) else {
                return Ok(bytes);
            };
            let descriptor = if reply {
                method.output()
            } else {
                method.input()
            };
            return self
                .transform_message(call, descriptor, direction, bytes)
                .await;
        }
        if scan.payloads.is_empty() {
            return Ok(bytes);
        }
        let coded = self.run(call, direction, scan.payloads).await?;
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
        let plan = self.plan().read().unwrap_or_else(|p| p.into_inner());
        self.rewrite(&plan, root, &bytes, &mut coded.into_iter(), &mut out)
            .map_err(broken)?;
        Ok(Bytes::from(out))
    }

    /// Runs the codec on the payloads of one message of `call`.
    async fn run(
        &self,
        call: &str,
        direction: CodecDirection,
        payloads: Vec<Payload>,
    ) -> Result<Vec<Payload>> {
        let count = payloads.len();
        let context = CodecContext {
            namespace: self.namespace.clone(),
            call: call.to_owned(),
        };
        let failed = |why: String| codec_error(direction, call, count, why);
        let coded = match direction {
            CodecDirection::Encode => self.codec.encode(&context, payloads),
            CodecDirection::Decode => self.codec.decode(&context, payloads),
        }
        .await
        .map_err(|e| failed(error_chain(&*e)))?;
        if coded.len() != count {
            return Err(failed(format!(
                "the codec returned {} payloads for {count}",
                coded.len()
            )));
        }
        Ok(coded)
    }

    /// Collects the payloads of the message `bytes` (of type `message`), in
    /// wire order, and notes failures that need their attributes moved.
    fn scan(
        &self,
        plan: &Plan,
        node: usize,
        bytes: &[u8],
        scan: &mut Scan,
    ) -> std::result::Result<(), String> {
        if plan.nodes[node].failure {
            let failure: Failure = prost::Message::decode(bytes).map_err(|e| e.to_string())?;
            scan.failures |= match scan.direction {
                CodecDirection::Encode => {
                    self.encode_failure_attributes
                        && failure.encoded_attributes.is_none()
                        && !(failure.message.is_empty() && failure.stack_trace.is_empty())
                }
                CodecDirection::Decode => failure.encoded_attributes.is_some(),
            };
        }
        for field in wire_fields(bytes) {
            let field = field?;
            let Some(value) = field.value else { continue };
            match plan.step(node, field.number) {
                None => {}
                Some(Step::Payload) => scan
                    .payloads
                    .push(prost::Message::decode(value).map_err(|e| e.to_string())?),
                Some(Step::Message(inner)) => self.scan(plan, inner, value, scan)?,
            }
        }
        Ok(())
    }

    /// Writes the message `bytes` with its payloads replaced by `coded`, in
    /// the order `scan` found them; every other byte is kept.
    fn rewrite(
        &self,
        plan: &Plan,
        node: usize,
        bytes: &[u8],
        coded: &mut std::vec::IntoIter<Payload>,
        out: &mut Vec<u8>,
    ) -> std::result::Result<(), String> {
        for field in wire_fields(bytes) {
            let field = field?;
            let step = field.value.and_then(|_| plan.step(node, field.number));
            let (Some(value), Some(step)) = (field.value, step) else {
                out.extend_from_slice(field.whole);
                continue;
            };
            let inner = match step {
                Step::Payload => {
                    let payload = coded.next().ok_or("fewer payloads than found")?;
                    prost::Message::encode_to_vec(&payload)
                }
                Step::Message(inner_node) => {
                    let mut inner = Vec::with_capacity(value.len());
                    self.rewrite(plan, inner_node, value, coded, &mut inner)?;
                    inner
                }
            };
            prost::encoding::encode_key(
                u32::try_from(field.number).map_err(|e| e.to_string())?,
                prost::encoding::WireType::LengthDelimited,
                out,
            );
            prost::encoding::encode_varint(inner.len() as u64, out);
            out.extend_from_slice(&inner);
        }
        Ok(())
    }

    /// [`CodecStage::transform`] on the decoded message, for failures whose
    /// message and stack trace move into or out of their encoded attributes.
    async fn transform_message(
        &self,
        call: &str,
        descriptor: MessageDescriptor,
        direction: CodecDirection,
        bytes: Bytes,
    ) -> Result<Bytes> {
        let broken = |what: String| {
            Error::internal(format!(
                "a message of {call} could not be walked for payloads: {what}"
            ))
        };
        let mut message =
            DynamicMessage::decode(descriptor, bytes.clone()).map_err(|e| broken(e.to_string()))?;
        if direction == CodecDirection::Encode && self.encode_failure_attributes {
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == FAILURE {
                    move_attributes_in(m);
                }
                Ok(())
            })?;
        }
        let mut payloads = Vec::new();
        self.visit(&mut message, &mut |m| {
            if m.descriptor().full_name() == PAYLOAD {
                payloads.push(
                    m.transcode_to::<Payload>()
                        .map_err(|e| broken(e.to_string()))?,
                );
            }
            Ok(())
        })?;
        if !payloads.is_empty() {
            let mut coded = self.run(call, direction, payloads).await?.into_iter();
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == PAYLOAD {
                    if let Some(payload) = coded.next() {
                        // transcode_from merges: the old metadata must go first.
                        prost::Message::clear(m);
                        m.transcode_from(&payload)
                            .map_err(|e| broken(e.to_string()))?;
                    }
                }
                Ok(())
            })?;
        }
        if direction == CodecDirection::Decode {
            self.visit(&mut message, &mut |m| {
                if m.descriptor().full_name() == FAILURE {
                    move_attributes_out(m);
                }
                Ok(())
            })?;
        }
        Ok(Bytes::from(prost::Message::encode_to_vec(&message)))
    }

    /// Calls `each` on `message` and every message inside it, parents
    /// first, in field order, except where a codec never looks.
    fn visit(
        &self,
        message: &mut DynamicMessage,
        each: &mut dyn FnMut(&mut DynamicMessage) -> Result<()>,
    ) -> Result<()> {
        each(message)?;
        let descriptor = message.descriptor();
        if descriptor.full_name() == PAYLOAD {
            return Ok(());
        }
        for field in descriptor.fields() {
            let target = if field.is_map() {
                field
                    .kind()
                    .as_message()
                    .map(|entry| entry.map_entry_value_field().kind())
            } else {
                Some(field.kind())
            };
            let Some(target) = target.as_ref().and_then(|k| k.as_message()) else {
                continue;
            };
            if !self.covers(target.full_name()) || !message.has_field(&field) {
                continue;
            }
            match message.get_field_mut(&field) {
                Field::Message(inner) => self.visit(inner, each)?,
                Field::List(items) => {
                    for item in items {
                        if let Field::Message(inner) = item {
                            self.visit(inner, each)?;
                        }
                    }
                }
                Field::Map(entries) => {
                    // Values are changed in place, so the order stays the
                    // same from one walk to the next.
                    for value in entries.values_mut() {
                        if let Field::Message(inner) = value {
                            self.visit(inner, each)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn covers(&self, message_type: &str) -> bool {
        !PLAIN.contains(&message_type) && (self.include_memo || message_type != MEMO)
    }
}

/// What [`CodecStage::scan`] finds in a message.
struct Scan {
    direction: CodecDirection,
    payloads: Vec<Payload>,
    /// A failure whose message and stack trace move (see `transform_message`).
    failures: bool,
}

/// One field of a protobuf message on the wire.
struct WireField<'a> {
    number: u64,
    /// The value of a length-delimited field.
    value: Option<&'a [u8]>,
    /// The field's bytes, key included.
    whole: &'a [u8],
}

/// The fields of the protobuf message `bytes`, in wire order; an error for
/// bytes that are not a message.
fn wire_fields(bytes: &[u8]) -> impl Iterator<Item = std::result::Result<WireField<'_>, String>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        let field = (|| {
            let mut rest = &bytes[at..];
            let key = prost::encoding::decode_varint(&mut rest).map_err(|e| e.to_string())?;
            let mut value = None;
            match key & 7 {
                0 => {
                    prost::encoding::decode_varint(&mut rest).map_err(|e| e.to_string())?;
                }
                1 | 5 => {
                    let width = if key & 7 == 1 { 8 } else { 4 };
                    rest = rest
                        .get(width..)
                        .ok_or("a fixed-width field is cut short")?;
                }
                2 => {
                    let len =
                        prost::encoding::decode_varint(&mut rest).map_err(|e| e.to_string())?;
                    let len = usize::try_from(len).map_err(|e| e.to_string())?;
                    value = Some(
                        rest.get(..len)
                            .ok_or("a length-delimited field is cut short")?,
                    );
                    rest = &rest[len..];
                }
                other => return Err(format!("wire type {other} is not used by these messages")),
            }
            at = bytes.len() - rest.len();
            Ok(WireField {
                number: key >> 3,
                value,
                whole: &bytes[start..at],
            })
        })();
        if field.is_err() {
            at = bytes.len();
        }
        Some(field)
    })
}

/// The method an RPC path names (`/package.Service/Method`), if the bundled
/// descriptors know it.
fn method_at(path: &str) -> Option<MethodDescriptor> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let pool = crate::descriptors::descriptor_pool().ok()?;
    let found = pool
        .get_service_by_name(service)?
        .methods()
        .find(|m| m.name() == method);
    found
}

/// A failure's message and stack trace moved into `encoded_attributes` (a
/// `json/plain` payload `{"message", "stack_trace"}`), as the SDKs do.
fn move_attributes_in(failure: &mut DynamicMessage) {
    if failure.has_field_by_name("encoded_attributes") {
        return;
    }
    let text = |m: &DynamicMessage, name: &str| {
        m.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let message = text(failure, "message");
    let stack_trace = text(failure, "stack_trace");
    if message.is_empty() && stack_trace.is_empty() {
        return;
    }
    let Some(descriptor) = failure
        .descriptor()
        .get_field_by_name("encoded_attributes")
        .and_then(|f| f.kind().as_message().cloned())
    else {
        return;
    };
    let mut attributes = DynamicMessage::new(descriptor);
    let payload = encode_value(&json!({"message": message, "stack_trace": stack_trace}));
    if attributes.transcode_from(&payload).is_err() {
        return;
    }
    failure.set_field_by_name("encoded_attributes", Field::Message(attributes));
    failure.set_field_by_name("message", Field::String(ENCODED_FAILURE_MESSAGE.to_owned()));
    failure.set_field_by_name("stack_trace", Field::String(String::new()));
}

/// A decoded failure's message and stack trace restored from its
/// `encoded_attributes`, which are then cleared. Attributes that are not a
/// JSON object with a string `message` are left where they are.
fn move_attributes_out(failure: &mut DynamicMessage) {
    let attributes = match failure.get_field_by_name("encoded_attributes") {
        Some(value) if failure.has_field_by_name("encoded_attributes") => value,
        _ => return,
    };
    let Some(payload) = attributes
        .as_message()
        .and_then(|m| m.transcode_to::<Payload>().ok())
    else {
        return;
    };
    let Value::Object(fields) = decode_payload(&payload) else {
        return;
    };
    let Some(message) = fields.get("message").and_then(Value::as_str) else {
        return;
    };
    failure.set_field_by_name("message", Field::String(message.to_owned()));
    if let Some(stack_trace) = fields.get("stack_trace").and_then(Value::as_str) {
        failure.set_field_by_name("stack_trace", Field::String(stack_trace.to_owned()));
    }
    failure.clear_field_by_name("encoded_attributes");
}

/// The error of a codec that failed: kind `codec`, naming the direction and
/// the call, never the payloads.
pub(crate) fn codec_error(
    direction: CodecDirection,
    call: &str,
    count: usize,
    why: String,
) -> Error {
    Error::new(
        ErrorKind::Codec,
        format!(
            "the payload codec could not {} the {count} payload{} of {call}: {why}",
            direction.as_str(),
            if count == 1 { "" } else { "s" }
        ),
    )
    .with_detail("direction", direction.as_str())
    .with_detail("call", call)
    .with_detail("payloads", count)
}

/// Payloads as the codec server protocol (and the C codec callbacks) carry
/// them: `{"payloads": [{"metadata": {name: base64}, "data": base64}]}`,
/// the protobuf JSON mapping of `temporal.api.common.v1.Payloads`.
pub fn payloads_to_json(payloads: &[Payload]) -> String {
    let list: Vec<RawPayload> = payloads.iter().map(RawPayload::from_proto).collect();
    json!({ "payloads": list }).to_string()
}

/// Reads what [`payloads_to_json`] writes. Every payload must have a
/// metadata object (possibly empty) or none; `data` may be absent (empty).
pub fn payloads_from_json(text: &[u8]) -> std::result::Result<Vec<Payload>, String> {
    #[derive(Deserialize)]
    struct Wire {
        payloads: Option<Vec<WirePayload>>,
    }
    #[derive(Deserialize)]
    struct WirePayload {
        #[serde(default)]
        metadata: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        data: String,
    }
    let wire: Wire = serde_json::from_slice(text)
        .map_err(|e| format!("the answer is not JSON of the form {{\"payloads\": [...]}} ({e})"))?;
    wire.payloads
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            RawPayload {
                metadata: p.metadata,
                data: p.data,
            }
            .to_proto()
            .map_err(|e| {
                format!(
                    "the answer has a payload that is not valid: {}",
                    e.message()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use temporalio_protos::temporal::api::common::v1::{
        Header, Memo, Payloads, SearchAttributes, WorkflowExecution,
    };
    use temporalio_protos::temporal::api::failure::v1::{
        failure::FailureInfo, ApplicationFailureInfo, Failure,
    };
    use temporalio_protos::temporal::api::workflowservice::v1::{
        RespondActivityTaskFailedRequest, StartWorkflowExecutionRequest,
    };

    /// Reverses each payload's data and marks it; decoding undoes only marked ones.
    struct Reverse;

    fn reverse(payloads: Vec<Payload>, mark: bool) -> Vec<Payload> {
        payloads
            .into_iter()
            .map(|mut p| {
                let marked = p.metadata.contains_key("reversed");
                if mark || marked {
                    p.data.reverse();
                    if mark {
                        p.metadata.insert("reversed".into(), b"1".to_vec());
                    } else {
                        p.metadata.remove("reversed");
                    }
                }
                p
            })
            .collect()
    }

    impl PayloadCodec for Reverse {
        fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            Box::pin(async move { Ok(reverse(payloads, true)) })
        }
        fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            Box::pin(async move { Ok(reverse(payloads, false)) })
        }
    }

    fn stage(options: CodecOptions) -> CodecStage {
        CodecStage::new(Some(Arc::new(Reverse)), Some(&options), "default")
            .unwrap()
            .unwrap()
    }

    const START: &str = "/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution";

    fn start_request() -> StartWorkflowExecutionRequest {
        let value = |v: Value| encode_value(&v);
        StartWorkflowExecutionRequest {
            workflow_id: "w".into(),
            input: Some(Payloads {
                payloads: vec![value(json!("a")), value(json!({"b": 1}))],
            }),
            memo: Some(Memo {
                fields: HashMap::from([("m".to_owned(), value(json!("memo")))]),
            }),
            search_attributes: Some(SearchAttributes {
                indexed_fields: HashMap::from([("s".to_owned(), value(json!("sa")))]),
            }),
            header: Some(Header {
                fields: HashMap::from([("h".to_owned(), value(json!("header")))]),
            }),
            ..Default::default()
        }
    }

    fn encoded(stage: &CodecStage, path: &str, message: &impl prost::Message) -> Bytes {
        let bytes = Bytes::from(message.encode_to_vec());
        futures::executor::block_on(stage.encode_request(path, bytes)).unwrap()
    }

    #[test]
    fn arguments_are_encoded_and_search_attributes_headers_and_memos_are_not() {
        let sent: StartWorkflowExecutionRequest = prost::Message::decode(encoded(
            &stage(CodecOptions::default()),
            START,
            &start_request(),
        ))
        .unwrap();
        let input = &sent.input.unwrap().payloads;
        assert_eq!(
            input[0].data,
            b"\"a\"".iter().rev().copied().collect::<Vec<_>>()
        );
        assert!(input.iter().all(|p| p.metadata.contains_key("reversed")));
        assert_eq!(sent.memo.unwrap().fields["m"].data, b"\"memo\"");
        assert_eq!(
            sent.search_attributes.unwrap().indexed_fields["s"].data,
            b"\"sa\""
        );
        assert_eq!(sent.header.unwrap().fields["h"].data, b"\"header\"");
        assert_eq!(sent.workflow_id, "w");
    }

    #[test]
    fn the_wire_path_and_the_message_path_agree() {
        use temporalio_protos::temporal::api::history::v1::{
            history_event::Attributes, History, HistoryEvent,
            WorkflowExecutionSignaledEventAttributes, WorkflowExecutionStartedEventAttributes,
        };
        use temporalio_protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryResponse;
        const HISTORY: &str =
            "/temporal.api.workflowservice.v1.WorkflowService/GetWorkflowExecutionHistory";
        let start = start_request();
        let event = |id: i64, attributes: Attributes| HistoryEvent {
            event_id: id,
            attributes: Some(attributes),
            ..Default::default()
        };
        let reply = GetWorkflowExecutionHistoryResponse {
            history: Some(History {
                events: vec![
                    event(
                        1,
                        Attributes::WorkflowExecutionStartedEventAttributes(
                            WorkflowExecutionStartedEventAttributes {
                                input: start.input.clone(),
                                memo: start.memo.clone(),
                                search_attributes: start.search_attributes.clone(),
                                header: start.header.clone(),
                                ..Default::default()
                            },
                        ),
                    ),
                    event(
                        2,
                        Attributes::WorkflowExecutionSignaledEventAttributes(
                            WorkflowExecutionSignaledEventAttributes {
                                signal_name: "s".into(),
                                input: start.input.clone(),
                                ..Default::default()
                            },
                        ),
                    ),
                ],
            }),
            next_page_token: vec![1, 2, 3],
            ..Default::default()
        };
        for options in [
            CodecOptions::default(),
            CodecOptions {
                include_memo: true,
                ..Default::default()
            },
        ] {
            let stage = stage(options);
            let method = method_at(HISTORY).unwrap();
            let bytes = Bytes::from(prost::Message::encode_to_vec(&reply));
            let run = |bytes: Bytes, fast: bool| {
                futures::executor::block_on(async {
                    if fast {
                        stage
                            .transform_as(HISTORY, true, CodecDirection::Encode, bytes)
                            .await
                    } else {
                        stage
                            .transform_message(
                                "GetWorkflowExecutionHistory",
                                method.output(),
                                CodecDirection::Encode,
                                bytes,
                            )
                            .await
                    }
                })
                .unwrap()
            };
            let fast: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(run(bytes.clone(), true)).unwrap();
            let slow: GetWorkflowExecutionHistoryResponse =
                prost::Message::decode(run(bytes.clone(), false)).unwrap();
            assert_eq!(fast, slow);
            assert_ne!(fast, reply, "something was encoded");
            // And back: decoding what was encoded gives the reply again.
            let encoded = Bytes::from(prost::Message::encode_to_vec(&fast));
            let back = futures::executor::block_on(stage.transform(
                HISTORY,
                CodecDirection::Decode,
                encoded,
            ))
            .unwrap();
            let back: GetWorkflowExecutionHistoryResponse = prost::Message::decode(back).unwrap();
            assert_eq!(back, reply);
        }
    }

    #[test]
    fn memos_are_encoded_when_asked() {
        let options = CodecOptions {
            include_memo: true,
            ..Default::default()
        };
        let sent: StartWorkflowExecutionRequest =
            prost::Message::decode(encoded(&stage(options), START, &start_request())).unwrap();
        assert!(sent.memo.unwrap().fields["m"]
            .metadata
            .contains_key("reversed"));
    }

    #[test]
    fn failure_attributes_move_into_the_encoded_payload_and_back() {
        const FAIL: &str =
            "/temporal.api.workflowservice.v1.WorkflowService/RespondActivityTaskFailed";
        let request = RespondActivityTaskFailedRequest {
            failure: Some(Failure {
                message: "secret message".into(),
                stack_trace: "at secret()".into(),
                cause: Some(Box::new(Failure {
                    message: "inner".into(),
                    ..Default::default()
                })),
                failure_info: Some(FailureInfo::ApplicationFailureInfo(
                    ApplicationFailureInfo {
                        r#type: "T".into(),
                        details: Some(Payloads {
                            payloads: vec![encode_value(&json!([1, 2]))],
                        }),
                        ..Default::default()
                    },
                )),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CodecOptions {
            encode_failure_attributes: true,
            ..Default::default()
        };
        let stage = stage(options);
        let bytes = encoded(&stage, FAIL, &request);
        let sent: RespondActivityTaskFailedRequest = prost::Message::decode(bytes.clone()).unwrap();
        let failure = sent.failure.unwrap();
        assert_eq!(failure.message, "Encoded failure");
        assert_eq!(failure.stack_trace, "");
        let attributes = failure.encoded_attributes.unwrap();
        assert!(attributes.metadata.contains_key("reversed"));
        assert!(!String::from_utf8_lossy(&attributes.data).contains("secret message"));
        assert_eq!(failure.cause.unwrap().message, "Encoded failure");

        // The same message read back (as a reply would be) is whole again.
        let descriptor = method_at(FAIL).unwrap().input();
        let back = futures::executor::block_on(stage.transform_message(
            "RespondActivityTaskFailed",
            descriptor,
            CodecDirection::Decode,
            bytes,
        ))
        .unwrap();
        let back: RespondActivityTaskFailedRequest = prost::Message::decode(back).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn a_message_without_payloads_is_passed_through_untouched() {
        let path =
            "/temporal.api.workflowservice.v1.WorkflowService/RequestCancelWorkflowExecution";
        let request = temporalio_protos::temporal::api::workflowservice::v1::RequestCancelWorkflowExecutionRequest {
            workflow_execution: Some(WorkflowExecution {
                workflow_id: "w".into(),
                run_id: String::new(),
            }),
            ..Default::default()
        };
        let bytes = Bytes::from(prost::Message::encode_to_vec(&request));
        let out = futures::executor::block_on(
            stage(CodecOptions::default()).encode_request(path, bytes.clone()),
        )
        .unwrap();
        assert_eq!(out, bytes);
    }

    struct Broken(usize);
    impl PayloadCodec for Broken {
        fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            let keep = self.0;
            Box::pin(async move {
                if keep == usize::MAX {
                    return Err("key vault unreachable".into());
                }
                Ok(payloads.into_iter().take(keep).collect())
            })
        }
        fn decode(&self, c: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
            self.encode(c, payloads)
        }
    }

    #[test]
    fn a_codec_that_fails_or_miscounts_gives_a_codec_error_naming_the_call() {
        for (codec, says) in [
            (Broken(usize::MAX), "key vault unreachable"),
            (Broken(1), "returned 1 payloads for 2"),
        ] {
            let stage = CodecStage::new(Some(Arc::new(codec)), None, "default")
                .unwrap()
                .unwrap();
            let bytes = Bytes::from(prost::Message::encode_to_vec(&start_request()));
            let error =
                futures::executor::block_on(stage.encode_request(START, bytes)).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Codec);
            assert!(error.message().contains(says), "{}", error.message());
            assert!(error
                .message()
                .contains("encode the 2 payloads of StartWorkflowExecution"));
            assert_eq!(error.details()["direction"], "encode");
            assert_eq!(error.details()["call"], "StartWorkflowExecution");
        }
    }

    #[test]
    fn codec_server_json_round_trips_and_names_what_is_wrong() {
        let payloads = vec![encode_value(&json!({"x": 1})), Payload::default()];
        let text = payloads_to_json(&payloads);
        assert_eq!(payloads_from_json(text.as_bytes()).unwrap(), payloads);
        assert!(payloads_from_json(b"<html>")
            .unwrap_err()
            .contains("not JSON"));
        let bad = br#"{"payloads": [{"data": "!!"}]}"#;
        assert!(payloads_from_json(bad).unwrap_err().contains("not valid"));
    }

    #[test]
    fn in_process_and_server_codecs_are_exclusive() {
        let options = CodecOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        let error = CodecStage::new(Some(Arc::new(Reverse)), Some(&options), "default")
            .err()
            .unwrap();
        assert!(error.message().contains("not both"));
    }
}
