//! The accept loop: HTTP/1.1 with keep-alive, optional TLS, graceful shutdown, and the bounds of
//! [`Limits`]: a cap on connections (past it, new ones wait in the listen backlog), deadlines on idle
//! connections, heads and bodies, a budget of body bytes.

use std::sync::Arc;
use std::time::Duration;

use acs_connection_guard::{Activity, Watched};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

use super::limits::{Limits, READ_BUFFER};
use super::service::handle;
use crate::state::State;

/// How long a shutdown waits for in-flight requests before giving up on them.
const GRACE: Duration = Duration::from_secs(30);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits and the budget every connection shares.
#[derive(Debug)]
pub(crate) struct Bounds {
    pub(crate) limits: Limits,
    /// Body bytes held by requests in flight, past their first read (see `request_body`).
    pub(crate) body_budget: Arc<Semaphore>,
}

/// Serves until `shutdown` turns true (or its sender is dropped), then lets in-flight requests finish.
pub(crate) async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: Arc<State>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = limits.effective();
    let bounds = Arc::new(Bounds {
        limits,
        body_budget: Arc::new(Semaphore::new(limits.body_bytes_in_flight)),
    });
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection task holds a sender; when all are gone, `recv` returns `None`.
    let (open_tx, mut open_rx) = mpsc::channel::<()>(1);
    loop {
        // At the cap, stop accepting: new connections wait in the backlog until one closes.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            _ = stopped(&mut shutdown) => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped(&mut shutdown) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (state, bounds, tls, shutdown, open) = (
            Arc::clone(&state),
            Arc::clone(&bounds),
            tls.clone(),
            shutdown.clone(),
            open_tx.clone(),
        );
        tokio::spawn(async move {
            let _open = open;
            let _permit = permit;
            match tls {
                None => serve_connection(stream, state, bounds, shutdown).await,
                Some(acceptor) => {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => serve_connection(stream, state, bounds, shutdown).await,
                        Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    drop(open_tx);
    if tokio::time::timeout(GRACE, open_rx.recv()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period");
    }
}

async fn serve_connection<S>(
    stream: S,
    state: Arc<State>,
    bounds: Arc<Bounds>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = bounds.limits;
    let activity = Activity::new();
    let stream = Watched::new(stream, Arc::clone(&activity));
    let on_request = Arc::clone(&activity);
    let service = service_fn(move |request| {
        handle(
            Arc::clone(&state),
            Arc::clone(&bounds),
            on_request.request(),
            request,
        )
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        // `Activity` keeps the head and idle deadlines; hyper's timer would count idle time as head time.
        .header_read_timeout(None)
        .max_buf_size(READ_BUFFER)
        .max_header_size(READ_BUFFER)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let expired = activity.expired(limits.header_timeout, limits.idle_timeout);
    tokio::pin!(expired);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        which = expired.as_mut() => tracing::debug!("connection closed: {which} timeout"),
        _ = stopped(&mut shutdown) => {
            // Finishes the request in flight, then closes; idle connections close at once.
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                _ = connection.as_mut() => {}
                which = expired => tracing::debug!("connection closed: {which} timeout"),
            }
        }
    }
}

/// Resolves once a shutdown was asked for, including before this receiver was cloned.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
