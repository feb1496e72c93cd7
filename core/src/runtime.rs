//! The process-wide tokio runtime that serves every client created through
//! the bindings, and a blocking bridge that is safe to call from any thread
//! (including the runtime's own threads, e.g. from inside a C callback).
//!
//! After `fork()` the child has none of the parent's runtime threads, so the
//! runtime is per process: a child gets a fresh one on first use (the
//! parent's copy is leaked, never dropped, since dropping it would wait for
//! threads that do not exist).

use std::future::Future;
use std::sync::Mutex;
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The shared multi-threaded runtime of this process, created on first use.
pub fn shared() -> Result<&'static Runtime, crate::Error> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot {
        if owner == pid {
            return Ok(runtime);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // At least two workers, so a caller blocking one of them (a blocking
        // call made from a callback) cannot stall the rest.
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)))
        .thread_name("temporal-bridge")
        .enable_all()
        .build()
        .map_err(|e| crate::Error::internal(format!("could not start the tokio runtime: {e}")))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    Ok(runtime)
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
