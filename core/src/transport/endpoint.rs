//! Where a channel connects, and the byte stream under its HTTP/2: TCP, TLS
//! over TCP (rustls, ALPN `h2`), or a Unix socket. A target is read and its
//! TLS settings are checked once, when the client connects; every
//! (re)connection then opens the same kind of stream with the same settings.
//! System root certificates are loaded only when no CA is given, once per
//! process.

use super::loop_io::{ReadOwner, SwitchTcp};
use crate::error::{Error, Result};
use crate::options::TlsOptions;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::TlsConnector;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connected byte stream, whatever it runs over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

enum Address {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
}

struct Tls {
    config: Arc<rustls::ClientConfig>,
    server_name: pki_types::ServerName<'static>,
}

/// A target, read and checked: its address, the authority requests name,
/// and the TLS settings of its connections.
pub(crate) struct Endpoint {
    address: Address,
    pub(crate) authority: http::uri::Authority,
    pub(crate) scheme: http::uri::Scheme,
    tls: Option<Tls>,
    connect_timeout: Duration,
    /// Ping interval and timeout; `None`: no keepalive pings.
    pub(crate) keepalive: Option<(Duration, Duration)>,
    proxy: Option<Proxy>,
    /// Requests are gzip-compressed (and compressed replies accepted).
    pub(crate) gzip: bool,
    /// The stream carries HTTP/1.1 (a codec server), not HTTP/2.
    http1: bool,
}

/// An HTTP CONNECT proxy: where it is, and the `Proxy-Authorization` to send.
struct Proxy {
    target: String,
    authorization: Option<String>,
}

impl Endpoint {
    /// Reads `target` — `host:port`, `http://host:port`, `https://host:port`
    /// (TLS with system roots unless `tls` says more) or `unix:/path` — and
    /// prepares its TLS settings.
    pub(crate) fn new(
        target: &str,
        tls: Option<TlsOptions>,
        connect_timeout: Duration,
    ) -> Result<Endpoint> {
        let invalid = || {
            Error::invalid_argument(format!(
                "target {target:?} is not \"host:port\", \"https://host:port\" or \"unix:/path\""
            ))
        };
        if let Some(path) = target.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() || tls.is_some() {
                return Err(if path.is_empty() {
                    invalid()
                } else {
                    Error::invalid_argument("TLS over a unix: socket is not supported")
                });
            }
            return Ok(Endpoint {
                address: Address::Unix(PathBuf::from(path)),
                authority: http::uri::Authority::from_static("localhost"),
                scheme: http::uri::Scheme::HTTP,
                tls: None,
                connect_timeout,
                keepalive: None,
                proxy: None,
                gzip: false,
                http1: false,
            });
        }
        let (scheme, rest) = match target.split_once("://") {
            Some(("http", rest)) => (Some(http::uri::Scheme::HTTP), rest),
            Some(("https", rest)) => (Some(http::uri::Scheme::HTTPS), rest),
            Some(_) => return Err(invalid()),
            None => (None, target),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let authority: http::uri::Authority = rest.parse().map_err(|_| invalid())?;
        if rest.contains(['/', '@']) || authority.host().is_empty() {
            return Err(invalid());
        }
        let tls = match (&scheme, tls) {
            (Some(s), Some(_)) if *s == http::uri::Scheme::HTTP => {
                return Err(Error::invalid_argument(format!(
                    "target {target:?} says http:// but TLS is on (tls or api_key); use https:// or host:port"
                )))
            }
            (Some(s), None) if *s == http::uri::Scheme::HTTPS => Some(TlsOptions::default()),
            (_, tls) => tls,
        };
        let port = match (authority.port_u16(), &tls) {
            (Some(port), _) => port,
            (None, _) if scheme.is_none() => return Err(invalid()),
            (None, Some(_)) => 443,
            (None, None) => 80,
        };
        let host = authority.host().trim_matches(['[', ']']).to_owned();
        let tls = tls
            .map(|options| tls_settings(&options, &host))
            .transpose()?;
        Ok(Endpoint {
            address: Address::Tcp { host, port },
            authority,
            scheme: if tls.is_some() {
                http::uri::Scheme::HTTPS
            } else {
                http::uri::Scheme::HTTP
            },
            tls,
            connect_timeout,
            keepalive: None,
            proxy: None,
            gzip: false,
            http1: false,
        })
    }

    /// The stream will carry HTTP/1.1: TLS offers `http/1.1` by ALPN.
    pub(crate) fn for_http1(mut self) -> Self {
        if let Some(tls) = &mut self.tls {
            let mut config = (*tls.config).clone();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            tls.config = Arc::new(config);
        }
        self.http1 = true;
        self
    }

    /// Compresses requests with gzip.
    pub(crate) fn with_gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Keepalive pings every `interval`, each answered within `timeout`.
    pub(crate) fn with_keepalive(mut self, keepalive: Option<(Duration, Duration)>) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Connects through an HTTP CONNECT proxy at `target` (`host:port`).
    pub(crate) fn with_proxy(
        mut self,
        proxy: Option<&crate::options::HttpConnectProxy>,
    ) -> Result<Self> {
        let Some(proxy) = proxy else {
            return Ok(self);
        };
        if matches!(self.address, Address::Unix(_)) {
            return Err(Error::invalid_argument(
                "an HTTP CONNECT proxy cannot reach a unix: socket",
            ));
        }
        let authority: http::uri::Authority = proxy.target.parse().map_err(|_| {
            Error::invalid_argument(format!(
                "http_connect_proxy.target {:?} is not \"host:port\"",
                proxy.target
            ))
            .with_detail("field", "http_connect_proxy.target")
        })?;
        if authority.port_u16().is_none() {
            return Err(Error::invalid_argument(format!(
                "http_connect_proxy.target {:?} has no port",
                proxy.target
            ))
            .with_detail("field", "http_connect_proxy.target"));
        }
        let authorization = proxy.basic_auth.as_ref().map(|auth| {
            use base64::Engine;
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", auth.username, auth.password));
            format!("Basic {token}")
        });
        self.proxy = Some(Proxy {
            target: proxy.target.clone(),
            authorization,
        });
        Ok(self)
    }

    /// Opens a stream to the target and runs `with` on it (the HTTP/2
    /// handshake), all within the connect timeout.
    pub(crate) async fn connect<F, Fut, T>(&self, with: F) -> std::result::Result<T, BoxError>
    where
        F: FnOnce(Box<dyn Io>, Option<Arc<ReadOwner>>) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, BoxError>>,
    {
        let opening = async {
            let (io, owner) = self.open().await?;
            with(io, owner).await
        };
        tokio::time::timeout(self.connect_timeout, opening)
            .await
            .map_err(|_| format!("timed out after {:?}", self.connect_timeout))?
    }

    async fn open(&self) -> std::result::Result<(Box<dyn Io>, Option<Arc<ReadOwner>>), BoxError> {
        match &self.address {
            Address::Unix(path) => {
                #[cfg(unix)]
                {
                    Ok((Box::new(tokio::net::UnixStream::connect(path).await?), None))
                }
                #[cfg(not(unix))]
                {
                    Err(format!("unix sockets are not available here ({path:?})").into())
                }
            }
            Address::Tcp { host, port } => {
                // Every address the name resolves to is tried in turn.
                let tcp = match &self.proxy {
                    None => connect_any(host, *port).await?,
                    Some(proxy) => through_proxy(proxy, host, *port).await?,
                };
                tcp.set_nodelay(true)?;
                let owner = ReadOwner::new();
                let tcp = SwitchTcp::new(tcp, Arc::clone(&owner))?;
                let Some(tls) = &self.tls else {
                    return Ok((Box::new(tcp), Some(owner)));
                };
                let stream = TlsConnector::from(tls.config.clone())
                    .connect(tls.server_name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                let wanted: &[u8] = if self.http1 { b"http/1.1" } else { b"h2" };
                match stream.get_ref().1.alpn_protocol() {
                    None => Ok((Box::new(stream), Some(owner))),
                    Some(chosen) if chosen == wanted => Ok((Box::new(stream), Some(owner))),
                    Some(other) => Err(format!(
                        "the server chose {:?} in the TLS handshake, not {:?}",
                        String::from_utf8_lossy(other),
                        String::from_utf8_lossy(wanted)
                    )
                    .into()),
                }
            }
        }
    }
}

/// A TCP stream to the first of `host`'s addresses that accepts, each tried
/// in turn; the error says what every address answered.
async fn connect_any(host: &str, port: u16) -> std::result::Result<TcpStream, BoxError> {
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("could not resolve {host}: {e}"))?
        .collect();
    connect_in_turn(&addresses).await
}

async fn connect_in_turn(
    addresses: &[std::net::SocketAddr],
) -> std::result::Result<TcpStream, BoxError> {
    let mut failures = Vec::new();
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(tcp) => return Ok(tcp),
            Err(e) => failures.push(format!("{address}: {e}")),
        }
    }
    Err(match failures.len() {
        0 => "the name resolved to no address".to_owned(),
        1 => failures.remove(0),
        _ => format!("every address failed ({})", failures.join("; ")),
    }
    .into())
}

/// A TCP stream to `host:port` tunnelled through an HTTP CONNECT proxy.
async fn through_proxy(
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> std::result::Result<TcpStream, BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(proxy.target.as_str())
        .await
        .map_err(|e| {
            format!(
                "could not reach the HTTP CONNECT proxy {}: {e}",
                proxy.target
            )
        })?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await?;
    // The proxy's answer head; nothing follows it until we speak.
    let mut head = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tcp.read(&mut chunk).await?;
        if read == 0 {
            return Err(format!(
                "the HTTP CONNECT proxy {} closed the connection",
                proxy.target
            )
            .into());
        }
        head.extend_from_slice(&chunk[..read]);
        if head.len() > 16 * 1024 {
            return Err(format!(
                "the HTTP CONNECT proxy {} sent an overlong answer",
                proxy.target
            )
            .into());
        }
    }
    let status_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    match code {
        "200" => Ok(tcp),
        // 407 is the standard answer; some proxies (tinyproxy) say 401.
        "407" | "401" => Err(format!(
            "the HTTP CONNECT proxy {} refused the credentials ({status_line}): check http_connect_proxy.basic_auth",
            proxy.target
        )
        .into()),
        _ => Err(format!(
            "the HTTP CONNECT proxy {} would not open a tunnel to {authority}: {status_line}",
            proxy.target
        )
        .into()),
    }
}

/// The rustls client settings for `options`. Errors name the setting, never
/// its content (keys are secrets).
fn tls_settings(options: &TlsOptions, host: &str) -> Result<Tls> {
    let roots = match &options.server_root_ca_cert {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in pem_certificates(pem, "tls.server_root_ca_cert")? {
                roots.add(cert).map_err(|e| {
                    Error::invalid_argument(format!(
                        "tls.server_root_ca_cert is not a usable CA certificate: {e}"
                    ))
                })?;
            }
            Arc::new(roots)
        }
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup: {e}")))?;
    let builder = if options.disable_host_verification {
        let chain_only =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| Error::internal(format!("TLS setup: {e}")))?;
        versions
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyHostName(chain_only)))
    } else {
        versions.with_root_certificates(roots)
    };
    let mut config = match (&options.client_cert, &options.client_private_key) {
        (Some(cert), Some(key)) => {
            let chain = pem_certificates(cert, "tls.client_cert")?;
            if !key.contains("-----BEGIN") {
                return Err(Error::invalid_argument(
                    "tls.client_cert and tls.client_private_key must be PEM text",
                ));
            }
            use pki_types::pem::PemObject;
            let key = pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|_| {
                Error::invalid_argument("tls.client_private_key is not a PEM private key")
            })?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                let why = match e {
                    rustls::Error::InconsistentKeys(_) => {
                        "the private key does not belong to the certificate".to_owned()
                    }
                    other => other.to_string(),
                };
                Error::invalid_argument(format!(
                    "tls.client_cert / tls.client_private_key cannot be used: {why}"
                ))
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(Error::invalid_argument(
                "tls.client_cert and tls.client_private_key must be given together",
            ))
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let name = options.domain.as_deref().unwrap_or(host).to_owned();
    let server_name = pki_types::ServerName::try_from(name.clone())
        .map_err(|_| Error::invalid_argument(format!("{name:?} is not a valid TLS server name")))?;
    Ok(Tls {
        config: Arc::new(config),
        server_name,
    })
}

/// Verifies the server's certificate chain against the roots, but accepts it
/// for any host name (`disable_host_verification`).
#[derive(Debug)]
struct AnyHostName(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &pki_types::CertificateDer<'_>,
        intermediates: &[pki_types::CertificateDer<'_>],
        server_name: &pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error as TlsError};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn pem_certificates(pem: &str, field: &str) -> Result<Vec<pki_types::CertificateDer<'static>>> {
    use pki_types::pem::PemObject;
    let not_pem = || {
        Error::invalid_argument(format!(
            "{field} must be PEM text (-----BEGIN CERTIFICATE-----...)"
        ))
    };
    if !pem.contains("-----BEGIN") {
        return Err(not_pem());
    }
    let certs = pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid_argument(format!("{field} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(not_pem());
    }
    Ok(certs)
}

/// The system's root certificates, loaded on first use and kept for the
/// process (reading and parsing them costs milliseconds and memory).
fn system_roots() -> Result<Arc<rustls::RootCertStore>> {
    static ROOTS: OnceLock<std::result::Result<Arc<rustls::RootCertStore>, String>> =
        OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            let mut roots = rustls::RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let why = loaded
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(format!(
                    "no system root certificates found{why}; give tls.server_root_ca_cert"
                ));
            }
            Ok(Arc::new(roots))
        })
        .clone()
        .map_err(Error::invalid_argument)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_addresses_of_a_name_are_tried_in_turn() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let closed = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        let tcp = connect_in_turn(&[closed, open]).await.unwrap();
        assert_eq!(tcp.peer_addr().unwrap(), open);
        let err = connect_in_turn(&[closed, closed])
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("every address failed") && err.contains(&closed.to_string()),
            "{err}"
        );
        let tcp = connect_any("localhost", open.port()).await.unwrap();
        assert_eq!(tcp.peer_addr().unwrap().port(), open.port());
    }

    fn endpoint(target: &str) -> Result<Endpoint> {
        Endpoint::new(target, None, Duration::from_secs(1))
    }

    #[test]
    fn targets_are_read_or_refused_by_name() {
        let e = endpoint("127.0.0.1:7233").unwrap();
        assert_eq!(e.authority.as_str(), "127.0.0.1:7233");
        assert!(e.tls.is_none());
        let e = endpoint("http://[::1]:7233/").unwrap();
        assert!(matches!(e.address, Address::Tcp { ref host, port: 7233 } if host == "::1"));
        let e = endpoint("unix:///tmp/temporal.sock").unwrap();
        assert!(
            matches!(e.address, Address::Unix(ref p) if p.to_str() == Some("/tmp/temporal.sock"))
        );
        for bad in [
            "localhost",
            "ftp://x:1",
            "a b:1",
            "http://x:1/path",
            "unix:",
            "user@h:1",
        ] {
            let err = endpoint(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(err.message().contains(bad), "{err}");
        }
        let err = Endpoint::new(
            "http://h:1",
            Some(TlsOptions::default()),
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(err.message().contains("https://"), "{err}");
    }

    #[test]
    fn bad_pem_is_named_without_its_content() {
        let options = TlsOptions {
            server_root_ca_cert: Some("not pem at all".into()),
            ..Default::default()
        };
        let err = tls_settings(&options, "h").err().unwrap();
        assert!(err.message().contains("tls.server_root_ca_cert"), "{err}");
        let options = TlsOptions {
            client_cert: Some("x".into()),
            ..Default::default()
        };
        let err = tls_settings(&options, "h").err().unwrap();
        assert!(err.message().contains("together"), "{err}");
    }
}
