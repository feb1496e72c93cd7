//! A TLS-terminating proxy in front of a plaintext dev server (which speaks
//! no TLS): rustls on ring, ALPN `h2`, forwarding the decrypted bytes, or
//! checking an API key on every request the way Temporal Cloud does.

use super::devenv;
use super::pki::{IssuedCert, TestCa};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// What the proxy does with a connection once TLS is terminated.
#[derive(Clone)]
pub enum Forward {
    /// Copies the decrypted bytes both ways, untouched.
    Bytes,
    /// Speaks HTTP/2 itself and forwards only the requests that carry
    /// `authorization: Bearer <key>`; the rest get `UNAUTHENTICATED`, as
    /// Temporal Cloud answers a missing or wrong API key.
    RequireApiKey(String),
}

/// A proxy on a free loopback port; dropping it stops it and every
/// connection it holds.
pub struct TlsProxy {
    pub addr: SocketAddr,
    /// Server-side handshake failures, as rustls reported them.
    handshake_errors: Arc<Mutex<Vec<String>>>,
    /// Requests that the API-key check let through.
    authorized_requests: Arc<Mutex<u32>>,
    accept_loop: JoinHandle<()>,
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        // The accept loop owns the connection tasks (a JoinSet): aborting it
        // aborts them too.
        self.accept_loop.abort();
    }
}

impl TlsProxy {
    /// Serves `server`'s certificate in front of the shared dev server,
    /// requiring client certificates signed by `client_ca` when given.
    pub async fn start(
        server: &IssuedCert,
        client_ca: Option<&TestCa>,
        forward: Forward,
    ) -> TlsProxy {
        TlsProxy::start_for(devenv().target.clone(), server, client_ca, forward).await
    }

    /// The same in front of `upstream` (`host:port`). The proxy outlives its
    /// upstream: while that is down, each connection it accepts is closed.
    pub async fn start_for(
        upstream: String,
        server: &IssuedCert,
        client_ca: Option<&TestCa>,
        forward: Forward,
    ) -> TlsProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        TlsProxy::serve(listener, upstream, server, client_ca, forward)
    }

    /// [`TlsProxy::start`] on a given address (one a dropped proxy used:
    /// binding is retried for a while, until the old listener is gone).
    #[allow(dead_code)]
    pub async fn start_at(
        addr: SocketAddr,
        server: &IssuedCert,
        client_ca: Option<&TestCa>,
        forward: Forward,
    ) -> TlsProxy {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("binding {addr} again: {e}"),
            }
        };
        TlsProxy::serve(
            listener,
            devenv().target.clone(),
            server,
            client_ca,
            forward,
        )
    }

    fn serve(
        listener: TcpListener,
        upstream: String,
        server: &IssuedCert,
        client_ca: Option<&TestCa>,
        forward: Forward,
    ) -> TlsProxy {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.cert_der.clone()).unwrap();
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(vec![server.cert_der.clone()], server.key_der.clone_key())
            .unwrap();
        // Clients refuse a TLS connection that negotiated anything but HTTP/2.
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let addr = listener.local_addr().unwrap();
        let handshake_errors = Arc::new(Mutex::new(Vec::new()));
        let authorized_requests = Arc::new(Mutex::new(0));
        let accept_loop = tokio::spawn({
            let handshake_errors = handshake_errors.clone();
            let authorized_requests = authorized_requests.clone();
            async move {
                let mut connections = JoinSet::new();
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    while connections.try_join_next().is_some() {}
                    connections.spawn(serve_connection(
                        acceptor.clone(),
                        tcp,
                        upstream.clone(),
                        forward.clone(),
                        handshake_errors.clone(),
                        authorized_requests.clone(),
                    ));
                }
            }
        });
        TlsProxy {
            addr,
            handshake_errors,
            authorized_requests,
            accept_loop,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    pub fn handshake_errors(&self) -> Vec<String> {
        self.handshake_errors.lock().unwrap().clone()
    }

    pub fn authorized_requests(&self) -> u32 {
        *self.authorized_requests.lock().unwrap()
    }
}

async fn serve_connection(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    upstream: String,
    forward: Forward,
    handshake_errors: Arc<Mutex<Vec<String>>>,
    authorized_requests: Arc<Mutex<u32>>,
) {
    let mut tls = match acceptor.accept(tcp).await {
        Ok(tls) => tls,
        Err(e) => {
            handshake_errors.lock().unwrap().push(e.to_string());
            return;
        }
    };
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    match forward {
        Forward::Bytes => {
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
        }
        Forward::RequireApiKey(key) => {
            let Ok((sender, upstream_connection)) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(server))
                    .await
            else {
                return;
            };
            tokio::spawn(upstream_connection);
            let expected = format!("Bearer {key}");
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let mut sender = sender.clone();
                let authorized = request
                    .headers()
                    .get("authorization")
                    .is_some_and(|value| value.as_bytes() == expected.as_bytes());
                let authorized_requests = authorized_requests.clone();
                async move {
                    if !authorized {
                        let status = tonic::Status::unauthenticated("missing or wrong API key");
                        return Ok::<_, Infallible>(status.into_http::<tonic::body::Body>());
                    }
                    *authorized_requests.lock().unwrap() += 1;
                    Ok(match sender.send_request(request).await {
                        Ok(response) => response.map(tonic::body::Body::new),
                        Err(e) => {
                            tonic::Status::unavailable(format!("proxy upstream: {e}")).into_http()
                        }
                    })
                }
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        }
    }
}
