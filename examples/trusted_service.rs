//! `cargo run --example trusted_service [-- ADDRESS]`: the trusted service of the ACS identity model, serving
//! on `ADDRESS` (default `127.0.0.1:0`, a free port) until Ctrl-C. Uses the resource of
//! `COMMUNICATION_SERVICES_CONNECTION_STRING` when it is set, else an embedded emulator. The code is in
//! `src/trusted_service/`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use acs_identity_examples::trusted_service::{self, TrustedServiceConfig};
use acs_identity_examples::{BoxError, Resource, finish};

#[tokio::main]
async fn main() -> ExitCode {
    finish(run().await)
}

async fn run() -> Result<(), BoxError> {
    let address: SocketAddr = match std::env::args().nth(1) {
        Some(address) => address
            .parse()
            .map_err(|_| format!("not a socket address: {address}"))?,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let mut out = std::io::stdout();
    let resource = Resource::from_env_or_emulator(&mut out).await?;
    let app = trusted_service::router(resource.client(), TrustedServiceConfig::demo())?;
    let listener = tokio::net::TcpListener::bind(address).await?;
    let url = format!("http://{}", listener.local_addr()?);
    writeln!(
        out,
        "Trusted service listening on {url} (Ctrl-C to stop). Ask for a token as the demo user alice:"
    )?;
    writeln!(
        out,
        "  curl -X POST -H 'Authorization: Bearer alice-demo-secret' {url}/api/tokens/chat"
    )?;
    out.flush()?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
