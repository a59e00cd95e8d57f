//! Ctrl-C, SIGTERM, SIGHUP (the terminal closed, a session ended) and SIGQUIT (Ctrl-\). The
//! first signal cancels the run: in-flight requests are dropped and the temporary bundle
//! directory is removed (see `Bundle`'s `Drop`), so no directory that looks like a bundle, and
//! no personal data in a `.incomplete` one, is left; the exit code is 128 + the signal's number
//! (129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM). A second signal exits within a second,
//! whatever the cleanup is doing. SIGQUIT's default core dump is given up for the cleanup: a
//! core file would hold the collected data and the secret.

/// A signal that ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
    /// SIGQUIT (Ctrl-\).
    Quit,
}

impl Signal {
    /// The conventional exit code: 128 + the signal number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Hangup => 129,
            Signal::Interrupt => 130,
            Signal::Quit => 131,
            Signal::Terminate => 143,
        }
    }

    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
        }
    }
}

/// Waits for the first SIGINT, SIGTERM, SIGHUP or SIGQUIT. If the handlers cannot be
/// installed, never returns (the run then ends by the default disposition of the signal).
pub async fn first() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup), Ok(mut quit)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::quit()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => Signal::Interrupt,
            _ = term.recv() => Signal::Terminate,
            _ = hup.recv() => Signal::Hangup,
            _ = quit.recv() => Signal::Quit,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Signal::Interrupt,
            Err(_) => std::future::pending().await,
        }
    }
}

/// How long a second signal still waits for the first one's cleanup before exiting.
const CLEANUP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Runs `work` spawned on `runtime` until it ends or the first signal of [`first`] arrives.
pub fn until_signal<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, Signal> {
    let finished = runtime.block_on(async move {
        let mut run = tokio::spawn(work);
        tokio::select! {
            joined = &mut run => Ok(joined),
            signal = first() => {
                // Dropping the run (on the worker thread) removes the temporary bundle
                // directory. A second signal meanwhile gives that a second more, then exits
                // whatever the cleanup is doing (a hung file system must not hold the exit).
                run.abort();
                tokio::select! {
                    _ = &mut run => {}
                    second = first() => {
                        let _ = tokio::time::timeout(CLEANUP_GRACE, run).await;
                        std::process::exit(i32::from(second.exit_code()));
                    }
                }
                Err(signal)
            }
        }
    });
    match finished {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(joined)) => std::panic::resume_unwind(joined.into_panic()),
        Err(signal) => Err(signal),
    }
}
