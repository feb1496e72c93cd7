//! The library threads that run the callbacks of async calls: a small pool
//! (at most [`MAX_THREADS`]) fed by one queue. Threads start on demand, when
//! a callback is queued and no thread is free to take it, and then stay.
//!
//! Calls run on the shared runtime; only their callbacks come here. Never on
//! a runtime thread, because a callback may block (even in a blocking call of
//! this library) and must not hold up the I/O of other calls; never on the
//! caller's thread, because the header promises that. And not one thread per
//! callback: a thousand calls ending together queue up for these few threads
//! instead of starting a thousand threads.
//!
//! A callback blocked in a blocking call cannot starve that call: blocking
//! calls are driven by the thread that waits (see
//! `temporal_bridge_core::runtime`), not by these threads. What the pool
//! cannot serve is a callback that waits for another callback, which may be
//! queued behind it; the header says so.
//!
//! Per process, like the runtime: after `fork()` a child starts its own
//! threads on first use. The parent's queue is leaked, not dropped: the
//! threads that served it do not exist in the child.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard};

/// One callback to run, with everything it delivers.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How many threads run callbacks at most. A few, so that one slow callback
/// does not hold up all the others; few, because each is a thread the host
/// process did not ask for.
pub(crate) const MAX_THREADS: usize = 4;

/// The process's pool: its PID and its queue.
static POOL: Mutex<Option<(u32, &'static Pool)>> = Mutex::new(None);

struct Pool {
    state: Mutex<PoolState>,
    /// Signalled when a job is queued.
    queued: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    /// Threads started so far (they never end).
    threads: usize,
    /// Threads waiting for a job.
    idle: usize,
}

/// Runs `job` on one of the pool's threads, as soon as one is free.
pub(crate) fn run(job: Job) {
    let pool = pool();
    let mut state = pool.lock();
    state.jobs.push_back(job);
    if state.jobs.len() > state.idle && state.threads < MAX_THREADS {
        match std::thread::Builder::new()
            .name("temporal-bridge-callbacks".to_owned())
            .spawn(move || pool.serve())
        {
            Ok(_) => state.threads += 1,
            Err(_) if state.threads == 0 => {
                // The system refuses threads and none serves the queue: run
                // the callbacks here rather than never. Each fires once, as
                // promised, if not on the thread the header describes.
                let stranded = std::mem::take(&mut state.jobs);
                drop(state);
                stranded.into_iter().for_each(run_job);
                return;
            }
            // The running threads will get to it.
            Err(_) => {}
        }
    }
    pool.queued.notify_one();
}

/// This process's pool, created on first use (again in a forked child).
fn pool() -> &'static Pool {
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match *slot {
        Some((owner, pool)) if owner == pid => pool,
        _ => {
            let pool: &'static Pool = Box::leak(Box::new(Pool {
                state: Mutex::new(PoolState {
                    jobs: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                }),
                queued: Condvar::new(),
            }));
            *slot = Some((pid, pool));
            pool
        }
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Jobs run outside the lock, so a poisoned lock guards nothing broken.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A pool thread: runs queued jobs, one at a time, forever.
    fn serve(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                run_job(job);
                state = self.lock();
                continue;
            }
            state.idle += 1;
            state = self
                .queued
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state.idle -= 1;
        }
    }
}

/// Runs one job; a panic in it (there is none by design: callbacks are C
/// functions and cannot unwind) must not take the pool's thread down.
fn run_job(job: Job) {
    let _ = catch_unwind(AssertUnwindSafe(job));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::mpsc::channel;
    use std::sync::{Arc, Barrier};
    use std::thread::ThreadId;
    use std::time::Duration;

    #[test]
    fn many_blocking_jobs_share_a_few_threads_and_each_runs_once() {
        let (sender, receiver) = channel::<(usize, ThreadId)>();
        let caller = std::thread::current().id();
        for index in 0..500 {
            let sender = sender.clone();
            run(Box::new(move || {
                std::thread::sleep(Duration::from_micros(200));
                sender.send((index, std::thread::current().id())).unwrap();
            }));
        }
        drop(sender);
        let mut ran = vec![0; 500];
        let mut threads = HashSet::new();
        for (index, thread) in receiver.iter() {
            ran[index] += 1;
            threads.insert(thread);
        }
        assert!(ran.iter().all(|&n| n == 1), "every job exactly once");
        assert!(threads.len() <= MAX_THREADS, "{} threads", threads.len());
        assert!(!threads.contains(&caller), "never on the caller's thread");
    }

    #[test]
    fn jobs_blocked_together_each_have_a_thread() {
        // Each of MAX_THREADS jobs waits for all the others: this only ends
        // if the pool starts a thread for each of them.
        let all = Arc::new(Barrier::new(MAX_THREADS));
        let (sender, receiver) = channel();
        for _ in 0..MAX_THREADS {
            let (all, sender) = (Arc::clone(&all), sender.clone());
            run(Box::new(move || {
                all.wait();
                sender.send(()).unwrap();
            }));
        }
        for _ in 0..MAX_THREADS {
            receiver.recv_timeout(Duration::from_secs(30)).unwrap();
        }
    }
}
