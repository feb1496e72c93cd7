//! gRPC over HTTP/2, the parts that do not depend on the connection: a
//! message as a length-prefixed frame, the reply read from a stream with its
//! size limit checked before the body is buffered, and a reply's status read
//! from trailers, a trailers-only head, else the HTTP status. One place reads
//! statuses, whatever the connection runs over.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use prost::Message;
use std::time::Duration;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

/// Largest message sent or accepted (history pages can be big).
pub(crate) const MAX_MESSAGE_SIZE: usize = 128 * 1024 * 1024;

/// A gRPC message frame: a compression flag byte and a 4-byte length.
pub(crate) const FRAME_HEADER_LEN: usize = 5;

/// Metadata key on a status that was mapped from an HTTP status (there was no
/// `grpc-status`): a proxy's or load balancer's answer, not the server's.
pub(crate) const FROM_HTTP_STATUS: &str = "x-tb-http-status";

/// Metadata key on a status of an attempt whose request never left (the
/// connection could not be made): repeating it cannot do anything twice.
pub(crate) const NOT_SENT: &str = "x-tb-not-sent";

fn check_request_size(len: usize) -> Result<(), Status> {
    if len > MAX_MESSAGE_SIZE {
        return Err(Status::out_of_range(format!(
            "the request is {len} bytes, more than the limit of {MAX_MESSAGE_SIZE} bytes"
        )));
    }
    Ok(())
}

/// An already encoded message as one gRPC frame (uncompressed).
pub(crate) fn frame_bytes(message: &[u8]) -> Result<Bytes, Status> {
    check_request_size(message.len())?;
    let mut frame = BytesMut::with_capacity(FRAME_HEADER_LEN + message.len());
    frame.put_u8(0);
    frame.put_u32(message.len() as u32);
    frame.put_slice(message);
    Ok(frame.freeze())
}

/// A gRPC frame (uncompressed) made of `buffer`: its first
/// `FRAME_HEADER_LEN` bytes were reserved for the header, the message follows.
pub(crate) fn frame_reserved(mut buffer: Vec<u8>) -> Result<Bytes, Status> {
    let len = buffer.len().saturating_sub(FRAME_HEADER_LEN);
    check_request_size(len)?;
    buffer[0] = 0;
    buffer[1..FRAME_HEADER_LEN].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(Bytes::from(buffer))
}

/// A message as one gRPC frame (uncompressed).
pub(crate) fn encode_frame<M: Message>(message: &M) -> Result<Bytes, Status> {
    let len = message.encoded_len();
    check_request_size(len)?;
    let mut frame = BytesMut::with_capacity(FRAME_HEADER_LEN + len);
    frame.put_u8(0);
    frame.put_u32(len as u32);
    message
        .encode(&mut frame)
        .map_err(|e| Status::internal(format!("could not encode the request: {e}")))?;
    Ok(frame.freeze())
}

/// `frame` (uncompressed) as a gzip-compressed frame.
pub(crate) fn gzip_frame(frame: &Bytes) -> Result<Bytes, Status> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&frame[FRAME_HEADER_LEN..])
        .and_then(|()| encoder.finish())
        .map_err(|e| Status::internal(format!("could not compress the request: {e}")))
        .and_then(|compressed| {
            check_request_size(compressed.len())?;
            let mut out = BytesMut::with_capacity(FRAME_HEADER_LEN + compressed.len());
            out.put_u8(1);
            out.put_u32(compressed.len() as u32);
            out.put_slice(&compressed);
            Ok(out.freeze())
        })
}

/// A gzip-compressed message, uncompressed: at most the message size limit.
fn gunzip(message: &[u8]) -> Result<Bytes, Status> {
    use std::io::Read;
    let mut out = Vec::new();
    let read = flate2::read::GzDecoder::new(message)
        .take(MAX_MESSAGE_SIZE as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            Status::internal(format!("the compressed response does not decompress: {e}"))
        })?;
    if read > MAX_MESSAGE_SIZE {
        return Err(Status::resource_exhausted(format!(
            "the response decompresses to more than the limit of {MAX_MESSAGE_SIZE} bytes"
        )));
    }
    Ok(Bytes::from(out))
}

/// The message of a unary reply, from the bytes of its first frame.
pub(crate) fn decode_message<M: Message + Default>(message: Bytes) -> Result<M, Status> {
    M::decode(message)
        .map_err(|e| Status::internal(format!("the response is not a valid message: {e}")))
}

/// Reads the first message of a reply body, checking its length prefix as
/// soon as it arrives: a claim over the limit fails at once, before any of
/// the body is buffered. What follows the first message is drained and
/// dropped (as tonic's unary call does), so the trailers can be read.
/// With `gzip` (the reply said `grpc-encoding: gzip`) a compressed message
/// is accepted and uncompressed.
pub(crate) async fn read_message(
    body: &mut h2::RecvStream,
    gzip: bool,
) -> Result<Option<Bytes>, Status> {
    let mut header = [0u8; FRAME_HEADER_LEN];
    let mut header_len = 0;
    let mut message: Option<BytesMut> = None;
    let mut expected = 0usize;
    let mut complete: Option<Bytes> = None;
    while let Some(chunk) = body.data().await {
        let mut chunk = chunk.map_err(h2_status)?;
        // The data is consumed (or dropped), so the window may open again.
        let _ = body.flow_control().release_capacity(chunk.len());
        if complete.is_some() {
            continue;
        }
        if header_len < FRAME_HEADER_LEN {
            let take = (FRAME_HEADER_LEN - header_len).min(chunk.len());
            header[header_len..header_len + take].copy_from_slice(&chunk[..take]);
            header_len += take;
            chunk.advance(take);
            if header_len < FRAME_HEADER_LEN {
                continue;
            }
            expected = frame_length(&header, gzip)?;
            // Grows with what arrives, never with what is only claimed.
            message = Some(BytesMut::with_capacity(expected.min(64 * 1024)));
        }
        let buffer = message.as_mut().expect("set once the header is read");
        let take = (expected - buffer.len()).min(chunk.len());
        buffer.extend_from_slice(&chunk[..take]);
        if buffer.len() == expected {
            complete = message.take().map(BytesMut::freeze);
        }
    }
    if let Some(done) = complete {
        return if header[0] == 1 {
            gunzip(&done).map(Some)
        } else {
            Ok(Some(done))
        };
    }
    match message {
        None if header_len == 0 => Ok(None),
        None => Err(Status::internal(
            "protocol error: the response ended inside a message header",
        )),
        Some(partial) => Err(Status::internal(format!(
            "protocol error: the response ended after {} of its {expected} bytes",
            partial.len()
        ))),
    }
}

/// The length a frame header announces, refused when compressed or too long.
fn frame_length(header: &[u8; FRAME_HEADER_LEN], gzip: bool) -> Result<usize, Status> {
    match header[0] {
        0 => {}
        1 if gzip => {}
        1 => {
            return Err(Status::internal(
                "protocol error: received a compressed message, but no grpc-encoding was agreed",
            ))
        }
        flag => {
            return Err(Status::internal(format!(
                "protocol error: invalid compression flag {flag} (valid flags are 0 and 1)"
            )))
        }
    }
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if len > MAX_MESSAGE_SIZE {
        return Err(Status::resource_exhausted(format!(
            "the response is {len} bytes, more than the limit of {MAX_MESSAGE_SIZE} bytes"
        )));
    }
    Ok(len)
}

/// Whether a reply's headers or trailers end it, and how.
pub(crate) fn header_status(headers: &http::HeaderMap) -> Option<Status> {
    // tonic panics on a `grpc-status-details-bin` that is not base64; such a
    // reply is reported without its details instead.
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const DETAILS: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let status = headers.get("grpc-status")?;
    if status.as_bytes().is_empty() || !status.as_bytes().iter().all(u8::is_ascii_digit) {
        return Some(Status::unknown(format!(
            "protocol error: grpc-status {:?} is not a status code",
            String::from_utf8_lossy(status.as_bytes())
        )));
    }
    if let Some(details) = headers.get("grpc-status-details-bin") {
        if DETAILS.decode(details.as_bytes()).is_err() {
            let mut headers = headers.clone();
            headers.remove("grpc-status-details-bin");
            return Status::from_header_map(&headers);
        }
    }
    Status::from_header_map(headers)
}

/// Whether the reply's content type is gRPC's (`application/grpc`, maybe
/// with a `+proto` style suffix or parameters).
pub(crate) fn is_grpc_content_type(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.strip_prefix("application/grpc")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['+', ';']))
        })
}

/// The status a reply without `grpc-status` carries: mapped from its HTTP
/// status (a proxy's error page, say), as gRPC documents. Marked with
/// [`FROM_HTTP_STATUS`], so that only the transient ones are retried.
pub(crate) fn status_from_http(status: http::StatusCode, what: &str) -> Status {
    let code = match status {
        http::StatusCode::BAD_REQUEST => Code::Internal,
        http::StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        http::StatusCode::FORBIDDEN => Code::PermissionDenied,
        http::StatusCode::NOT_FOUND => Code::Unimplemented,
        http::StatusCode::TOO_MANY_REQUESTS
        | http::StatusCode::BAD_GATEWAY
        | http::StatusCode::SERVICE_UNAVAILABLE
        | http::StatusCode::GATEWAY_TIMEOUT => Code::Unavailable,
        _ => Code::Unknown,
    };
    let mut metadata = MetadataMap::new();
    metadata.insert(FROM_HTTP_STATUS, status.as_u16().into());
    Status::with_metadata(
        code,
        format!(
            "the server (or a proxy before it) answered HTTP {} {}",
            status.as_u16(),
            what
        ),
        metadata,
    )
}

/// `grpc-timeout`: the finest unit whose count fits the 8 digits allowed.
pub(crate) fn grpc_timeout(timeout: Duration) -> http::HeaderValue {
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

/// The status of an HTTP/2 failure: the connection broke or was told to go
/// away (worth retrying on a new one), or the stream was reset.
pub(crate) fn h2_status(error: h2::Error) -> Status {
    use h2::Reason;
    if let Some(io) = error.get_io() {
        return Status::unavailable(format!("connection error: {io}"));
    }
    let reason = error.reason().unwrap_or(Reason::INTERNAL_ERROR);
    let code = if error.is_go_away() {
        // A GOAWAY before this stream was processed, or the connection's end.
        Code::Unavailable
    } else {
        match reason {
            Reason::REFUSED_STREAM | Reason::NO_ERROR => Code::Unavailable,
            Reason::CANCEL => Code::Cancelled,
            Reason::ENHANCE_YOUR_CALM => Code::ResourceExhausted,
            Reason::INADEQUATE_SECURITY => Code::PermissionDenied,
            _ => Code::Internal,
        }
    };
    let by = if error.is_remote() {
        "the server"
    } else {
        "the client"
    };
    let what = if error.is_go_away() {
        "closed the connection (GOAWAY)"
    } else if error.is_reset() {
        "reset the stream"
    } else {
        "ended the exchange"
    };
    Status::new(code, format!("HTTP/2: {by} {what}: {reason}"))
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
    fn frame_headers_are_checked_before_the_body() {
        use temporalio_protos::temporal::api::workflowservice::v1::GetSystemInfoResponse;
        let message = GetSystemInfoResponse {
            server_version: "1.2.3".to_owned(),
            ..Default::default()
        };
        let frame = encode_frame(&message).unwrap();
        assert_eq!(frame[0], 0);
        assert_eq!(&frame[1..5], &(frame.len() as u32 - 5).to_be_bytes());
        let back: GetSystemInfoResponse = decode_message(frame.slice(5..)).unwrap();
        assert_eq!(back, message);

        let header = |flag: u8, len: u32| {
            let mut h = [flag, 0, 0, 0, 0];
            h[1..].copy_from_slice(&len.to_be_bytes());
            frame_length(&h, false)
        };
        assert_eq!(header(0, 7).unwrap(), 7);
        assert!(header(1, 7).unwrap_err().message().contains("compressed"));
        assert!(header(9, 7).unwrap_err().message().contains("flag 9"));
        assert_eq!(frame_length(&[1, 0, 0, 0, 7], true).unwrap(), 7);
        // A gzip frame round-trips.
        let zipped = gzip_frame(&frame).unwrap();
        assert_eq!(zipped[0], 1);
        assert_eq!(gunzip(&zipped[5..]).unwrap(), frame.slice(5..));
        assert!(gunzip(b"not gzip").is_err());
        let too_big = header(0, u32::MAX).unwrap_err();
        assert_eq!(too_big.code(), Code::ResourceExhausted);
        assert!(too_big.message().contains("limit"), "{too_big:?}");
        let garbage = decode_message::<GetSystemInfoResponse>(Bytes::from_static(&[0xff; 3]));
        assert_eq!(garbage.unwrap_err().code(), Code::Internal);
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
        headers.insert("grpc-status", http::HeaderValue::from_static("abc"));
        assert_eq!(header_status(&headers).unwrap().code(), Code::Unknown);
        assert!(header_status(&http::HeaderMap::new()).is_none());
        let unavailable = status_from_http(http::StatusCode::SERVICE_UNAVAILABLE, "");
        assert_eq!(unavailable.code(), Code::Unavailable);
        assert!(unavailable.metadata().get(FROM_HTTP_STATUS).is_some());
        assert_eq!(
            status_from_http(http::StatusCode::FORBIDDEN, "").code(),
            Code::PermissionDenied
        );
        assert_eq!(
            status_from_http(http::StatusCode::NOT_FOUND, "").code(),
            Code::Unimplemented
        );
    }

    #[test]
    fn grpc_content_types() {
        let with = |v: &'static str| {
            let mut h = http::HeaderMap::new();
            h.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(v),
            );
            is_grpc_content_type(&h)
        };
        assert!(with("application/grpc"));
        assert!(with("application/grpc+proto"));
        assert!(!with("application/grpcx"));
        assert!(!with("text/html; charset=utf-8"));
        assert!(!is_grpc_content_type(&http::HeaderMap::new()));
    }
}
