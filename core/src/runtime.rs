//! The process-wide tokio runtime that serves every client created through
//! the bindings, and blocking calls that are safe from any thread (including
//! the library's own threads, e.g. from inside a C callback).
//!
//! It is a current-thread runtime, and the thread that waits does the work: a
//! blocking call drives the runtime itself (its request, the connection's
//! I/O, any other task that is ready) for as long as it waits, so a call
//! costs no hand-off to another thread and back, and sleeps once, until the
//! response arrives. When a blocking call finds another thread driving, tokio
//! polls its future on its own thread while the driving one does the I/O;
//! whoever drives runs everything, so nobody waits on a thread that does not.
//!
//! One background thread drives the runtime while tasks spawned with
//! [`SharedRuntime::spawn`] (async calls) run, and a little longer
//! ([`LINGER`]) so that a caller awaiting call after call does not have to
//! wake it from idle each time. Otherwise it wakes once per
//! [`HOUSEKEEPING_INTERVAL`] to let idle connections answer the server's
//! pings and send their keepalives.
//!
//! After `fork()` the child has none of the parent's threads, so the runtime
//! is per process: a child gets a fresh one on first use (the parent's copy is
//! leaked, never dropped, since dropping it would wait for threads that do not
//! exist).

use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

pub use crate::transport::loop_io::{Entered, LoopReactor};

/// How often the background thread drives an otherwise idle runtime, so that
/// idle connections answer the server's pings and send their keepalives
/// (their timeouts are tens of seconds). Costs one short wake-up per interval.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);

/// How long the background thread keeps driving after the last spawned task
/// ended, for the next one.
const LINGER: Duration = Duration::from_millis(20);

static RUNTIME: Mutex<Option<(u32, &'static SharedRuntime)>> = Mutex::new(None);

thread_local! {
    /// Whether this thread is inside one of our `block_on`s: a blocking call
    /// made from there (i.e. from inside a task or a call's own future) would
    /// wait for work that only this thread can do.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread drives the shared runtime right now (a blocking call
/// waiting, or the background thread): work it hands to the runtime runs
/// here, on this thread.
pub(crate) fn driving() -> bool {
    DRIVING.with(Cell::get)
}

/// The shared runtime: a current-thread tokio runtime, driven by the threads
/// that wait on it and, while spawned tasks run, by a background thread.
pub struct SharedRuntime {
    runtime: Runtime,
    spawned: Arc<SpawnedTasks>,
}

/// Tasks spawned through [`SharedRuntime::spawn`] and not yet finished: while
/// there are any, the background thread drives the runtime.
struct SpawnedTasks {
    running: AtomicUsize,
    /// Tasks spawned so far.
    spawned: AtomicUsize,
    /// Whether the background thread is in its idle wait (under this lock).
    idle: Mutex<bool>,
    /// Wakes the background thread out of its idle wait.
    started: Condvar,
}

impl SpawnedTasks {
    fn begin(self: &Arc<Self>) -> SpawnedGuard {
        self.spawned.fetch_add(1, Ordering::Relaxed);
        if self.running.fetch_add(1, Ordering::AcqRel) == 0 {
            // The background thread checks `running` under this lock before
            // it waits, so the wake-up cannot fall between its check and its
            // wait. It is only needed while the thread idles: otherwise it is
            // driving the runtime, and spawning wakes it up already.
            let idle = *self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle {
                self.started.notify_one();
            }
        }
        SpawnedGuard(Arc::clone(self))
    }

    /// Waits (idle) until a spawned task is running or `timeout` passes.
    fn wait_for_work(&self, timeout: Duration) -> bool {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        *idle = true;
        let (mut idle, _) = self
            .started
            .wait_timeout_while(idle, timeout, |_| self.running.load(Ordering::Acquire) == 0)
            .unwrap_or_else(|p| p.into_inner());
        *idle = false;
        self.running.load(Ordering::Acquire) > 0
    }

    /// Returns once no spawned task ran for a while: at the first check
    /// when none runs and none started since the previous check. Checks come
    /// [`LINGER`] apart when no task runs and [`HOUSEKEEPING_INTERVAL`] apart
    /// while some do, so a caller awaiting call after call keeps the
    /// background thread driving (instead of waking it from its idle wait
    /// each time), and a long wait costs one wake-up per interval.
    async fn quiet(&self) {
        loop {
            let spawned = self.spawned.load(Ordering::Relaxed);
            let pause = if self.running.load(Ordering::Acquire) == 0 {
                LINGER
            } else {
                HOUSEKEEPING_INTERVAL
            };
            tokio::time::sleep(pause).await;
            if self.running.load(Ordering::Acquire) == 0
                && self.spawned.load(Ordering::Relaxed) == spawned
            {
                return;
            }
        }
    }
}

/// See [`SharedRuntime::keep_driven`].
pub struct KeepDriven(#[allow(dead_code)] SpawnedGuard);

/// Counts one spawned task as running until it is dropped (the task ended,
/// panicked or was dropped with the runtime).
struct SpawnedGuard(Arc<SpawnedTasks>);

impl Drop for SpawnedGuard {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The shared runtime of this process, created on first use.
pub fn shared() -> Result<&'static SharedRuntime, crate::Error> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot {
        if owner == pid {
            return Ok(runtime);
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .thread_name("temporal-bridge")
        .enable_all()
        .build()
        .map_err(|e| crate::Error::internal(format!("could not start the tokio runtime: {e}")))?;
    let shared: &'static SharedRuntime = Box::leak(Box::new(SharedRuntime {
        runtime,
        spawned: Arc::new(SpawnedTasks {
            running: AtomicUsize::new(0),
            spawned: AtomicUsize::new(0),
            idle: Mutex::new(false),
            started: Condvar::new(),
        }),
    }));
    std::thread::Builder::new()
        .name("temporal-bridge".to_owned())
        .spawn(move || shared.background())
        .map_err(|e| {
            crate::Error::internal(format!("could not start the runtime's thread: {e}"))
        })?;
    *slot = Some((pid, shared));
    Ok(shared)
}

impl SharedRuntime {
    /// Spawns a task; the background thread drives the runtime until it ends.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let guard = self.spawned.begin();
        self.runtime.spawn(async move {
            let _guard = guard;
            future.await
        })
    }

    /// Keeps the background thread driving the runtime while the guard
    /// lives, as for a spawned task: for a future that another thread polls
    /// (e.g. an event loop) and that waits on this runtime's I/O and timers.
    pub fn keep_driven(&self) -> KeepDriven {
        KeepDriven(self.spawned.begin())
    }

    /// The runtime's handle (e.g. to enter its context).
    pub fn handle(&self) -> &Handle {
        self.runtime.handle()
    }

    /// Drives the runtime on this thread until `future` ends.
    fn drive<F: Future>(&self, future: F) -> F::Output {
        /// Restores the flag however `block_on` ends (a panic included).
        struct Driving(bool);
        impl Drop for Driving {
            fn drop(&mut self) {
                DRIVING.with(|d| d.set(self.0));
            }
        }
        let _driving = Driving(DRIVING.with(|d| d.replace(true)));
        self.runtime.block_on(future)
    }

    /// The background thread: drives while spawned tasks run; otherwise
    /// wakes up now and then to let idle connections do their housekeeping.
    fn background(&'static self) {
        loop {
            if self.spawned.wait_for_work(HOUSEKEEPING_INTERVAL) {
                self.drive(async {
                    self.spawned.quiet().await;
                    // Streams event loops held for their calls come back.
                    crate::transport::loop_io::reclaim_all();
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                });
            } else {
                // A few turns: ready I/O and timers are processed, then the
                // tasks they woke (e.g. answering a ping) run.
                self.drive(async {
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                });
            }
        }
    }
}

type BoxedFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A future that a thread waits for, in slices if it likes (e.g. to run
/// signal handlers in between). Dropping it abandons the future.
pub struct BlockingCall<T: Send + 'static> {
    runtime: &'static SharedRuntime,
    state: BlockingState<T>,
}

enum BlockingState<T> {
    /// The waiting thread drives the runtime itself.
    Driven(Option<BoxedFuture<T>>),
    /// The caller is inside a runtime context (one of its workers, or another
    /// tokio runtime), where tokio cannot block: the future runs as a spawned
    /// task and the caller waits for its outcome.
    Spawned(Receiver<T>),
}

impl<T: Send + 'static> BlockingCall<T> {
    /// Prepares to wait for `future` on the calling thread.
    pub fn new<F>(future: F) -> Result<Self, crate::Error>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let runtime = shared()?;
        if DRIVING.with(Cell::get) {
            return Err(crate::Error::internal(
                "a blocking call was made from inside an async call of this library \
                 (a task or future on its runtime); await the call instead",
            ));
        }
        let state = if Handle::try_current().is_ok() {
            let (sender, receiver) = sync_channel(1);
            runtime.spawn(async move {
                // The receiver is gone when the caller gave up: nothing to do.
                let _ = sender.send(future.await);
            });
            BlockingState::Spawned(receiver)
        } else {
            BlockingState::Driven(Some(Box::pin(future)))
        };
        Ok(BlockingCall { runtime, state })
    }

    /// Waits until the future ends (`Some(output)`) or `limit` passes (`None`);
    /// without a limit, until it ends.
    pub fn wait(&mut self, limit: Option<Duration>) -> Result<Option<T>, crate::Error> {
        let ended = || crate::Error::internal("the call ended without a result (panic?)");
        match &mut self.state {
            BlockingState::Driven(slot) => {
                let Some(future) = slot.as_mut() else {
                    return Err(ended());
                };
                let runtime = self.runtime;
                let outcome = catch_unwind(AssertUnwindSafe(|| match limit {
                    None => Some(runtime.drive(future.as_mut())),
                    Some(limit) => runtime
                        .drive(async { tokio::time::timeout(limit, future.as_mut()).await.ok() }),
                }));
                match outcome {
                    Ok(Some(output)) => {
                        *slot = None;
                        Ok(Some(output))
                    }
                    Ok(None) => Ok(None),
                    Err(_panic) => {
                        *slot = None;
                        Err(ended())
                    }
                }
            }
            BlockingState::Spawned(receiver) => match limit {
                None => receiver.recv().map(Some).map_err(|_| ended()),
                Some(limit) => match receiver.recv_timeout(limit) {
                    Ok(output) => Ok(Some(output)),
                    Err(RecvTimeoutError::Timeout) => Ok(None),
                    Err(RecvTimeoutError::Disconnected) => Err(ended()),
                },
            },
        }
    }
}

impl<T: Send + 'static> Drop for BlockingCall<T> {
    fn drop(&mut self) {
        if let BlockingState::Driven(slot) = &mut self.state {
            // Timers and I/O resources deregister from the runtime on drop.
            let _context = self.runtime.handle().enter();
            slot.take();
        }
    }
}

/// Runs `future` on the shared runtime and blocks the calling thread until it
/// ends. Unlike `Runtime::block_on`, this works from any thread, including
/// the library's own threads (e.g. from inside a C callback).
pub fn block_on<F>(future: F) -> Result<F::Output, crate::Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut call = BlockingCall::new(future)?;
    match call.wait(None)? {
        Some(output) => Ok(output),
        None => Err(crate::Error::internal("an unlimited wait ended early")),
    }
}
