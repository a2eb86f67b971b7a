//! The framework's ceiling for the lookup benchmark: axum and tokio, configured as `evreg serve` configures them, answering every `GET /schemas/ids/{id}` with one file's bytes and doing nothing else.
//!
//! `tests/bench/http.sh` runs it beside evreg and nginx, so the cost of
//! evreg's own request path (extractors, cache, metrics, auth) shows as the
//! gap between this and `evreg serve`.
//!
//! Usage: bare-axum FILE [ADDR]   (ADDR defaults to 127.0.0.1:0; prints `listening on http://ADDR`)

use axum::Router;
use axum::body::Bytes;
use axum::routing::get;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or_else(|| std::io::Error::other("usage: bare-axum FILE [ADDR]"))?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".into());
    let body = Bytes::from(std::fs::read(&file)?);
    let app = Router::new().route(
        "/schemas/ids/{id}",
        get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            println!("listening on http://{}", listener.local_addr()?);
            axum::serve(listener, app).await
        })
}
