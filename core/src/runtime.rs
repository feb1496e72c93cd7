//! The process-wide tokio runtime that serves every client created through
//! the bindings, and a blocking bridge that is safe to call from any thread
//! (including the runtime's own threads, e.g. from inside a C callback).

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<std::io::Result<Runtime>> = OnceLock::new();

/// The shared multi-threaded runtime, created on first use.
pub fn shared() -> Result<&'static Runtime, crate::Error> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                // At least two workers, so a caller blocking one of them (a
                // blocking call made from a callback) cannot stall the rest.
                .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
                .thread_name("temporal-bridge")
                .enable_all()
                .build()
        })
        .as_ref()
        .map_err(|e| crate::Error::internal(format!("could not start the tokio runtime: {e}")))
}

/// Runs `future` on the shared runtime and blocks the calling thread until it
/// ends. Unlike `Runtime::block_on`, this works from inside the runtime too.
pub fn block_on<F>(future: F) -> Result<F::Output, crate::Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = shared()?;
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = sender.send(future.await);
    });
    receiver
        .recv()
        .map_err(|_| crate::Error::internal("the call's task ended without a result (panic?)"))
}
