//! The accept loop: HTTP/1.1 with bounded heads, deadlines on heads and idle connections, a cap on
//! connections, and a graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use acs_connection_guard::{Activity, Watched};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::TokenService;

/// Serves `service` on `listener` until `shutdown` completes, then stops accepting, lets the requests in
/// progress finish (up to `server.shutdown_grace`) and returns.
///
/// Request heads are bounded by `server.max_header_bytes` and must arrive within `server.header_timeout`
/// of their first byte; a keep-alive connection is closed after `server.idle_timeout` without a request;
/// at most `server.max_connections` are served at once (more wait in the listen backlog). Bodies and
/// handling are bounded by the router's limits.
pub async fn serve(
    service: TokenService,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let config = service.config().server.clone();
    let router = service.router();
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(config.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        // `Activity` keeps the head and idle deadlines; hyper's timer would count idle time as head time.
        .header_read_timeout(None)
        .max_buf_size(config.max_header_bytes.max(8192))
        .max_header_size(config.max_header_bytes)
        .max_headers(100);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let stream = Watched::new(stream, Arc::clone(&activity));
        let on_request = Arc::clone(&activity);
        let router = router.clone();
        let hyper_service = service_fn(move |mut request: http::Request<Incoming>| {
            let in_request = on_request.request();
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(in_request.linger());
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await;
                drop(in_request);
                response
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), hyper_service);
        let connection = graceful.watch(connection);
        let (header_timeout, idle_timeout) = (config.header_timeout, config.idle_timeout);
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, %peer, "connection ended with an error");
                    }
                }
                which = activity.expired(header_timeout, idle_timeout) => {
                    tracing::debug!(%peer, "connection closed: {which} timeout");
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing the requests in progress");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!("connections still open after the shutdown grace period");
        }
    }
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C (SIGINT): what orchestrators and terminals send.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
