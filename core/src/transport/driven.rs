//! A connection's HTTP/2 state machine, and who polls it.
//!
//! Its task polls it on the thread that drives the runtime. A call made on
//! another thread (an event loop's) puts its request on the connection and
//! then writes it from there (a poll that only writes), instead of waking
//! the driving thread just to write it; the rest of the exchange (reading
//! the reply) is handed to the task, which starts it on the driving thread
//! right after it next reads from the connection. The driving thread thus
//! wakes only for what the server sends.
//!
//! Why no reply is missed: a call hands its exchange over while it holds
//! the connection (so no poll can write its request before), only the task
//! reads from the connection, and the task starts what was handed over
//! after each read. So the poll that reads a reply is followed by the start
//! of the exchange waiting for it.

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::task::AtomicWaker;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};

use super::endpoint::Io;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

type H2Connection = h2::client::Connection<Socket, Bytes>;

thread_local! {
    /// The connection whose wake-ups this thread holds back right now (its
    /// address), because this thread polls it itself next, only to write.
    static HOLDING: Cell<usize> = const { Cell::new(0) };
}

/// A connection's stream, which reads nothing on a thread that holds a
/// connection (see [`Driven::send_now`]): its reads stay the task's, whose
/// interest in reading stays registered (the task reads until there is
/// nothing left).
pub(crate) struct Socket(Box<dyn Io>);

impl Socket {
    pub(crate) fn new(io: Box<dyn Io>) -> Socket {
        Socket(io)
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if HOLDING.with(Cell::get) != 0 {
            return Poll::Pending;
        }
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

pub(crate) struct Driven {
    connection: Mutex<Option<H2Connection>>,
    /// The connection's task.
    task: AtomicWaker,
    /// What h2 wakes: the task, unless this thread holds the wake-up back.
    waker: Waker,
    /// A wake-up was held back (see [`HOLDING`]).
    held: AtomicBool,
    handed: Mutex<Handed>,
}

/// Exchanges handed over by other threads, for the task to start.
#[derive(Default)]
struct Handed {
    exchanges: Vec<BoxFuture<'static, ()>>,
    /// The task has ended: nothing handed over would be started.
    ended: bool,
}

struct Wakeup(Weak<Driven>);

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(driven) = self.0.upgrade() {
            if HOLDING.with(Cell::get) == Arc::as_ptr(&driven) as usize {
                driven.held.store(true, Ordering::Release);
            } else {
                driven.task.wake();
            }
        }
    }
}

/// Holds this thread's wake-ups of one connection back while it lives.
struct Holding(usize);

impl Holding {
    fn set(driven: &Driven) -> Holding {
        Holding(HOLDING.with(|h| h.replace(driven as *const Driven as usize)))
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDING.with(|h| h.set(self.0));
    }
}

impl Driven {
    pub(crate) fn new(connection: H2Connection) -> Arc<Driven> {
        Arc::new_cyclic(|me| Driven {
            connection: Mutex::new(Some(connection)),
            task: AtomicWaker::new(),
            waker: Waker::from(Arc::new(Wakeup(me.clone()))),
            held: AtomicBool::new(false),
            handed: Mutex::new(Handed::default()),
        })
    }

    /// The connection's task: until the connection ends (closed by either
    /// side, or broken).
    pub(crate) fn run(self: Arc<Self>) -> impl Future<Output = ()> + Send {
        std::future::poll_fn(move |cx| {
            self.task.register(cx.waker());
            let polled = {
                let mut connection = self.lock_connection();
                poll(&mut connection, &self.waker)
            };
            // After the read: the replies it read have their exchanges.
            let handed = std::mem::take(&mut self.lock_handed().exchanges);
            for exchange in handed {
                tokio::spawn(exchange);
            }
            polled
        })
    }

    /// The task is done: the connection is closed (if it was not already),
    /// which fails its streams, and exchanges still handed over start (and
    /// end, with the connection's error).
    pub(crate) fn end(&self) {
        let handed = {
            let mut handed = self.lock_handed();
            handed.ended = true;
            std::mem::take(&mut handed.exchanges)
        };
        drop(self.lock_connection().take());
        for exchange in handed {
            tokio::spawn(exchange);
        }
    }

    /// Runs `queue` (which puts a request on the connection and hands the
    /// rest of its exchange over) while holding the connection, with this
    /// thread's wake-ups of it held back; then writes what it queued from
    /// this thread. Not on the driving thread.
    pub(crate) fn send_now<T>(&self, queue: impl FnOnce() -> T) -> T {
        let mut connection = self.lock_connection();
        let _holding = Holding::set(self);
        let queued = queue();
        if self.held.swap(false, Ordering::AcqRel) {
            let ready = poll(&mut connection, &self.waker).is_ready();
            // What the poll asked for again (or the connection's end) is
            // the task's to do.
            if ready || self.held.swap(false, Ordering::AcqRel) {
                self.task.wake();
            }
        }
        queued
    }

    /// Hands the rest of an exchange to the task (started when it next
    /// runs); gives it back if the task has ended.
    pub(crate) fn hand_over(
        &self,
        exchange: BoxFuture<'static, ()>,
    ) -> Result<(), BoxFuture<'static, ()>> {
        let mut handed = self.lock_handed();
        if handed.ended {
            return Err(exchange);
        }
        handed.exchanges.push(exchange);
        Ok(())
    }

    /// Wakes the task (to start what was handed over, now).
    pub(crate) fn wake_task(&self) {
        self.task.wake();
    }

    fn lock_connection(&self) -> MutexGuard<'_, Option<H2Connection>> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_handed(&self) -> MutexGuard<'_, Handed> {
        self.handed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Polls the connection in `slot` (dropped once it ended), waking `waker`.
fn poll(slot: &mut Option<H2Connection>, waker: &Waker) -> Poll<()> {
    let Some(connection) = slot.as_mut() else {
        return Poll::Ready(());
    };
    match Pin::new(connection).poll(&mut Context::from_waker(waker)) {
        Poll::Ready(_) => {
            *slot = None;
            Poll::Ready(())
        }
        Poll::Pending => Poll::Pending,
    }
}
