//! Who is told when a request is sent: the progress display shows an artifact as `queued`
//! until its first request leaves the client's gate, then as being read. The hook is a
//! task-local value set around one artifact's work ([`watching`]), so the client needs no
//! knowledge of artifacts, and work run side by side in one task (`join_all`) keeps each
//! its own hook.

use std::future::Future;
use std::sync::Arc;

/// Called each time a request of the watched work is sent (after every wait, before the send).
pub type SendHook = Arc<dyn Fn() + Send + Sync>;

tokio::task_local! {
    static ON_SEND: SendHook;
}

/// Runs `work`, calling `hook` each time one of its requests is sent.
pub async fn watching<F: Future>(hook: SendHook, work: F) -> F::Output {
    ON_SEND.scope(hook, work).await
}

/// Tells the watcher of the current work, if any, that a request is being sent.
pub(super) fn sending() {
    let _ = ON_SEND.try_with(|hook| hook());
}
