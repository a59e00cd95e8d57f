//! What the fake warehouses (Snowflake, Databricks, BigQuery) share: the Platform Connector's tables
//! they serve ([`Platform`], [`Table`]), the answer to each of the collector's statements
//! ([`eval`]: the same statements in every dialect), and the loopback server each runs on its
//! own thread ([`Loopback`]), handing every request to the fake's handler.

pub mod eval;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// One table: its name and columns as the warehouse stores them, its rows as text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The name, e.g. `LOG` (Snowflake) or `log` (Databricks).
    pub name: String,
    /// `(name, data type)`, e.g. `("TIME_STAMP", "TIMESTAMP_TZ")`.
    pub columns: Vec<(String, String)>,
    /// The rows, values in column order: times as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC), JSON as
    /// its text, flags `true` or `false`.
    pub rows: Vec<Vec<Option<String>>>,
    /// Left out of the catalog and of every statement (a table the plan does not have, or the
    /// reader may not see).
    pub hidden: bool,
}

/// The Platform Connector's schema.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// The schema, as stored (`FIVETRAN_METADATA`, `fivetran_metadata`).
    pub schema: String,
    /// Its tables.
    pub tables: Vec<Table>,
}

/// An answer of a fake.
pub type Answer = Response<Full<Bytes>>;

/// What handles each request: its head and whole body.
pub type Handler = Arc<dyn Fn(&hyper::http::request::Parts, &Bytes) -> Answer + Send + Sync>;

/// A server on 127.0.0.1 and a free port, on its own thread, stopped when dropped.
pub struct Loopback {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    /// Starts serving `handler` on a thread named `name`.
    pub fn start(name: &str, handler: Handler) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        serve(listener, handler, rx).await;
                    }
                });
            })?;
        Ok(Self {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(listener: TcpListener, handler: Handler, mut shutdown: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let handler = Arc::clone(&handler);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = Arc::clone(&handler);
                        async move {
                            let (parts, body) = req.into_parts();
                            let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            Ok::<_, std::convert::Infallible>(handler(&parts, &bytes))
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// A JSON answer with `Retry-After: 0` (so a retried fault costs the tests no time).
pub fn json_answer(status: u16, body: &Value) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("retry-after", "0")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

/// The first half of `body`'s JSON as a `200`: an answer cut short.
pub fn truncated(body: &Value) -> Answer {
    let text = body.to_string();
    let cut = text.len() / 2;
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text[..cut].to_owned())))
        .unwrap_or_default()
}
