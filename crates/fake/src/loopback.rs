//! The server the fake warehouses run on: hyper on 127.0.0.1 and a free port, on a thread of
//! its own with its own runtime (so a test's paused clock does not stop it), every request
//! read whole and handed to the fake's handler, stopped when dropped.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// An answer of a fake.
pub type Answer = Response<Full<Bytes>>;

/// A running server.
pub struct Loopback {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    /// Starts serving `handler` on a thread named `name`.
    pub fn start<F>(name: &str, handler: F) -> std::io::Result<Self>
    where
        F: Fn(&Parts, &Bytes) -> Answer + Send + Sync + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let handler = std::sync::Arc::new(handler);
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

async fn serve<F>(
    listener: TcpListener,
    handler: std::sync::Arc<F>,
    mut shutdown: oneshot::Receiver<()>,
) where
    F: Fn(&Parts, &Bytes) -> Answer + Send + Sync + 'static,
{
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let handler = std::sync::Arc::clone(&handler);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = std::sync::Arc::clone(&handler);
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

/// A JSON answer, with `Retry-After: 0` (the tests' waits are not the point).
pub fn json_answer(status: u16, body: &Value) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("retry-after", "0")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_default()
}

/// A `200` whose JSON body `text` is cut in half (a connection lost mid-answer).
pub fn cut_short(text: &str) -> Answer {
    let cut = text.len() / 2;
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(text[..cut].to_owned())))
        .unwrap_or_default()
}
