//! An event loop reads the replies of its own calls.
//!
//! A connection's TCP stream is watched either by the runtime's reactor or
//! by an event loop's epoll instance (a [`LoopReactor`], whose descriptor
//! the loop watches). While a loop's calls are the only ones in flight on a
//! connection, its stream sits in the loop's epoll: the reply wakes the
//! loop's thread, which reads it and resumes the call, and the runtime's
//! thread sleeps. The loop keeps the stream between its calls; anything
//! else hands it back to the runtime's reactor: a call from any other
//! thread, a keepalive ping, the loop's reactor going away, or the
//! runtime's thread seeing no async call for a while (a loop that stopped
//! running must not leave what the server sends unread). A server that
//! sends a PING after each request (Go's bandwidth probe) has the runtime's
//! thread answer it, at once as HTTP/2 asks, and the stream moves to the
//! loop after the PING.
//!
//! The stream moves only inside a poll of the connection (whoever polls it
//! holds its lock), so exactly one epoll watches it at any time; an epoll
//! reports a stream that is readable already when the stream is added, so
//! no byte that arrives during a move goes unseen.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{ready, Context, Poll};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

use super::driven::Driven;

thread_local! {
    /// The loop reactor whose calls this thread polls right now.
    static CURRENT: RefCell<Option<Arc<LoopReactor>>> = const { RefCell::new(None) };
}

/// The loop reactor whose calls this thread polls now, if any.
pub(crate) fn current() -> Option<Arc<LoopReactor>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Whether this thread is a loop's, polling its calls, and that loop polls
/// `driven` itself once they are polled (so a wake-up of `driven` from
/// here can wait for that).
pub(crate) fn holds(driven: *const Driven) -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|r| r.has(driven)))
}

static IDS: AtomicU64 = AtomicU64::new(1);

/// Connections whose stream a loop may hold (see [`reclaim_all`]).
static LENT: Mutex<Vec<Weak<Driven>>> = Mutex::new(Vec::new());

fn lock_lent() -> MutexGuard<'static, Vec<Weak<Driven>>> {
    LENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The runtime's thread saw no async call for a while: the runtime's
/// reactor takes back every stream a loop holds (a loop that stopped
/// running must not keep what the server sends unread).
pub(crate) fn reclaim_all() {
    let lent = std::mem::take(&mut *lock_lent());
    for driven in lent.iter().filter_map(Weak::upgrade) {
        driven.reclaim();
    }
}

/// An epoll instance, kept open while any stream may be in it.
struct Epoll {
    fd: OwnedFd,
    id: u64,
}

/// Who should watch a connection's stream: the runtime's reactor, or a
/// loop's epoll (now, or after the server's next PING).
pub(crate) struct ReadOwner {
    /// The id of the loop's epoll in `wanted` (0: the runtime's reactor),
    /// read without the lock on every read.
    wanted_id: AtomicU64,
    wanted: Mutex<Wanted>,
    /// The server sent a PING after a request: it probes bandwidth.
    pings: AtomicBool,
    /// The stream, in a loop's epoll, may have bytes to read: set when the
    /// epoll reports it, cleared by a read that found it drained (a short
    /// read: the epoll is edge-triggered, so what comes next is reported).
    loop_readable: AtomicBool,
}

#[derive(Default)]
struct Wanted {
    now: Option<Arc<Epoll>>,
    after_ping: Option<Arc<Epoll>>,
}

impl Wanted {
    /// Whether a loop has (or awaits) the stream; the one with epoll `id`.
    fn lent(&self) -> bool {
        self.now.is_some() || self.after_ping.is_some()
    }

    fn lent_to(&self, id: u64) -> bool {
        [&self.now, &self.after_ping]
            .iter()
            .any(|e| e.as_ref().is_some_and(|e| e.id == id))
    }
}

impl ReadOwner {
    pub(crate) fn new() -> Arc<ReadOwner> {
        Arc::new(ReadOwner {
            wanted_id: AtomicU64::new(0),
            wanted: Mutex::new(Wanted::default()),
            pings: AtomicBool::new(false),
            loop_readable: AtomicBool::new(true),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Wanted> {
        self.wanted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The runtime's reactor watches the stream from its next poll on;
    /// whether a loop had it (or was to have it).
    pub(crate) fn give_back(&self) -> bool {
        self.give_back_if(Wanted::lent)
    }

    /// As `give_back`, if the loop with epoll `id` has (or awaits) the
    /// stream.
    pub(crate) fn release(&self, id: u64) -> bool {
        self.give_back_if(|wanted| wanted.lent_to(id))
    }

    fn give_back_if(&self, lent: impl FnOnce(&Wanted) -> bool) -> bool {
        let mut wanted = self.lock();
        if !lent(&wanted) {
            return false;
        }
        *wanted = Wanted::default();
        self.wanted_id.store(0, Ordering::Release);
        true
    }

    /// `reactor`'s loop reads the replies of the request just sent: from
    /// now on, or after the server's PING if it sends one. Whether a loop
    /// had (or awaited) it already.
    fn give_to(&self, reactor: &LoopReactor) -> bool {
        let mut wanted = self.lock();
        let lent = wanted.lent();
        if self.pings.load(Ordering::Acquire) {
            wanted.now = None;
            wanted.after_ping = Some(Arc::clone(&reactor.epoll));
            self.wanted_id.store(0, Ordering::Release);
        } else {
            wanted.now = Some(Arc::clone(&reactor.epoll));
            wanted.after_ping = None;
            self.wanted_id.store(reactor.epoll.id, Ordering::Release);
        }
        lent
    }

    /// The loop's epoll reported the stream readable.
    pub(crate) fn readable(&self) {
        self.loop_readable.store(true, Ordering::Release);
    }

    /// The loop with epoll `id` has no call left on the connection. If it
    /// still awaits a PING, none came after its requests: the server does
    /// not send one after each request, and later calls hand the stream
    /// over at once.
    pub(crate) fn loop_idle(&self, id: u64) {
        let wanted = self.lock();
        if wanted.after_ping.as_ref().is_some_and(|e| e.id == id) {
            self.pings.store(false, Ordering::Release);
        }
    }

    /// Whether the loop with epoll `id` has (or awaits) the stream.
    pub(crate) fn lent_to(&self, id: u64) -> bool {
        self.lock().lent_to(id)
    }

    /// The server sent a PING (read on the runtime's thread, which answers
    /// it): what waited for it moves to its loop.
    pub(crate) fn server_pinged(&self) {
        self.pings.store(true, Ordering::Release);
        let mut wanted = self.lock();
        if let Some(epoll) = wanted.after_ping.take() {
            self.wanted_id.store(epoll.id, Ordering::Release);
            wanted.now = Some(epoll);
        }
    }
}

enum Side {
    /// In the runtime's reactor (read interest only, unless a write found
    /// the socket full).
    Runtime(AsyncFd<std::net::TcpStream>, bool),
    /// In a loop's epoll.
    Loop(std::net::TcpStream, Arc<Epoll>),
}

/// A TCP stream that moves between the runtime's reactor and a loop's epoll.
pub(crate) struct SwitchTcp {
    side: Option<Side>,
    owner: Arc<ReadOwner>,
    handle: tokio::runtime::Handle,
}

fn lost() -> std::io::Error {
    std::io::Error::other("the connection's stream was lost moving it between reactors")
}

impl SwitchTcp {
    /// Takes `tcp` out of tokio's own registration (in the runtime's context).
    pub(crate) fn new(
        tcp: tokio::net::TcpStream,
        owner: Arc<ReadOwner>,
    ) -> std::io::Result<SwitchTcp> {
        let std = tcp.into_std()?;
        Ok(SwitchTcp {
            side: Some(Side::Runtime(register(std, Interest::READABLE)?, false)),
            owner,
            handle: tokio::runtime::Handle::current(),
        })
    }

    /// Moves the stream to where its owner wants it.
    fn settle(&mut self) -> std::io::Result<()> {
        let id = self.owner.wanted_id.load(Ordering::Acquire);
        match &self.side {
            Some(Side::Runtime(..)) if id == 0 => return Ok(()),
            Some(Side::Loop(_, epoll)) if epoll.id == id => return Ok(()),
            None => return Err(lost()),
            _ => {}
        }
        let target = if id == 0 {
            None
        } else {
            self.owner.lock().now.clone()
        };
        let std = match self.side.take() {
            Some(Side::Runtime(fd, _)) => fd.into_inner(),
            Some(Side::Loop(tcp, epoll)) => {
                epoll_ctl(&epoll, libc::EPOLL_CTL_DEL, tcp.as_raw_fd(), 0)?;
                tcp
            }
            None => return Err(lost()),
        };
        if let Some(epoll) = target {
            let events = (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
            if epoll_ctl(&epoll, libc::EPOLL_CTL_ADD, std.as_raw_fd(), events).is_ok() {
                self.owner.readable();
                self.side = Some(Side::Loop(std, epoll));
                return Ok(());
            }
            self.owner.give_back();
        }
        let _runtime = self.handle.enter();
        self.side = Some(Side::Runtime(register(std, Interest::READABLE)?, false));
        Ok(())
    }

    /// Writes with `write`; a full socket waits in the runtime's reactor.
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&std::net::TcpStream) -> std::io::Result<usize>,
    ) -> Poll<std::io::Result<usize>> {
        self.settle()?;
        if let Some(Side::Loop(tcp, _)) = &self.side {
            match write(tcp) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.owner.give_back();
                    self.settle()?;
                }
                done => return Poll::Ready(done),
            }
        }
        loop {
            let Some(Side::Runtime(fd, writable)) = &mut self.side else {
                return Poll::Ready(Err(lost()));
            };
            if !*writable {
                match write(fd.get_ref()) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    done => return Poll::Ready(done),
                }
                // Full: watch for room too, from now on.
                let std = match self.side.take() {
                    Some(Side::Runtime(fd, _)) => fd.into_inner(),
                    _ => return Poll::Ready(Err(lost())),
                };
                let _runtime = self.handle.enter();
                let fd = register(std, Interest::READABLE.add(Interest::WRITABLE))?;
                self.side = Some(Side::Runtime(fd, true));
                continue;
            }
            let mut guard = ready!(fd.poll_write_ready(cx))?;
            match guard.try_io(|fd| write(fd.get_ref())) {
                Ok(done) => return Poll::Ready(done),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncRead for SwitchTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        this.settle()?;
        match this.side.as_mut() {
            Some(Side::Runtime(fd, _)) => loop {
                let mut guard = ready!(fd.poll_read_ready(cx))?;
                let unfilled = buf.initialize_unfilled();
                let wanted = unfilled.len();
                match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                    Ok(Ok(n)) => {
                        // A short read drained the socket (as tokio's own
                        // streams assume): no read just to hear so.
                        if n > 0 && n < wanted {
                            guard.clear_ready();
                        }
                        buf.advance(n);
                        return Poll::Ready(Ok(()));
                    }
                    Ok(Err(e)) => return Poll::Ready(Err(e)),
                    Err(_would_block) => continue,
                }
            },
            Some(Side::Loop(tcp, _)) => {
                // The loop's epoll reports what comes next.
                if !this.owner.loop_readable.load(Ordering::Acquire) {
                    return Poll::Pending;
                }
                let unfilled = buf.initialize_unfilled();
                let wanted = unfilled.len();
                match (&*tcp).read(unfilled) {
                    Ok(n) => {
                        if n > 0 && n < wanted {
                            this.owner.loop_readable.store(false, Ordering::Release);
                        }
                        buf.advance(n);
                        Poll::Ready(Ok(()))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        this.owner.loop_readable.store(false, Ordering::Release);
                        Poll::Pending
                    }
                    Err(e) => Poll::Ready(Err(e)),
                }
            }
            None => Poll::Ready(Err(lost())),
        }
    }
}

impl AsyncWrite for SwitchTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_write_with(cx, |mut tcp| tcp.write(buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.poll_write_with(cx, |mut tcp| tcp.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let tcp = match &self.side {
            Some(Side::Runtime(fd, _)) => fd.get_ref(),
            Some(Side::Loop(tcp, _)) => tcp,
            None => return Poll::Ready(Ok(())),
        };
        Poll::Ready(match tcp.shutdown(std::net::Shutdown::Write) {
            Err(e) if e.kind() == std::io::ErrorKind::NotConnected => Ok(()),
            done => done,
        })
    }
}

impl Drop for SwitchTcp {
    fn drop(&mut self) {
        if let Some(Side::Loop(tcp, epoll)) = &self.side {
            let _ = epoll_ctl(epoll, libc::EPOLL_CTL_DEL, tcp.as_raw_fd(), 0);
        }
    }
}

/// `tcp` in the reactor of the runtime whose context this thread is in.
fn register(
    tcp: std::net::TcpStream,
    interest: Interest,
) -> std::io::Result<AsyncFd<std::net::TcpStream>> {
    // SAFETY: the stream owns its descriptor, which stays open and the same
    // for as long as the `AsyncFd` holds the stream.
    unsafe { AsyncFd::register_with_interest(tcp, interest) }.map_err(std::io::Error::from)
}

/// What a loop's epoll reports for a stream.
const STREAM: u64 = 1;

fn epoll_ctl(epoll: &Epoll, op: i32, fd: RawFd, events: u32) -> std::io::Result<()> {
    epoll_ctl_token(epoll, op, fd, events, STREAM)
}

fn epoll_ctl_token(
    epoll: &Epoll,
    op: i32,
    fd: RawFd,
    events: u32,
    token: u64,
) -> std::io::Result<()> {
    let mut event = libc::epoll_event { events, u64: token };
    // SAFETY: both descriptors are open (held by the caller); the event is ours.
    if unsafe { libc::epoll_ctl(epoll.fd.as_raw_fd(), op, fd, &mut event) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// An event loop's reactor: an epoll instance the loop watches, holding its
/// own wake-up descriptor (reported level-triggered) and the streams whose
/// replies the loop reads now (edge-triggered).
pub struct LoopReactor {
    epoll: Arc<Epoll>,
    connections: Mutex<HashMap<usize, Weak<Driven>>>,
}

/// Marks the calls this thread polls as a loop's (see [`LoopReactor::enter`]).
pub struct Entered(Option<Arc<LoopReactor>>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// What a loop's epoll reports for its own wake-up descriptor.
const WAKE: u64 = 0;

impl LoopReactor {
    /// A reactor that also reports `wake` readable; `wake` must outlive it.
    pub fn new(wake: RawFd) -> std::io::Result<Arc<LoopReactor>> {
        // SAFETY: plain syscall; the descriptor is owned from here on.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let epoll = Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            id: IDS.fetch_add(1, Ordering::Relaxed),
        };
        epoll_ctl_token(
            &epoll,
            libc::EPOLL_CTL_ADD,
            wake,
            libc::EPOLLIN as u32,
            WAKE,
        )?;
        Ok(Arc::new(LoopReactor {
            epoll: Arc::new(epoll),
            connections: Mutex::new(HashMap::new()),
        }))
    }

    /// The descriptor the loop watches.
    pub fn fd(&self) -> RawFd {
        self.epoll.fd.as_raw_fd()
    }

    /// Calls polled on this thread while the guard lives are this loop's.
    pub fn enter(self: &Arc<Self>) -> Entered {
        Entered(CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(self))))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, Weak<Driven>>> {
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A call of this loop was sent on `driven`, whose replies it reads.
    pub(crate) fn adopt(&self, driven: &Arc<Driven>, owner: &ReadOwner) {
        if !owner.give_to(self) {
            let mut lent = lock_lent();
            let key = Arc::as_ptr(driven);
            if !lent.iter().any(|d| d.as_ptr() == key) {
                lent.push(Arc::downgrade(driven));
            }
        }
        self.lock()
            .insert(Arc::as_ptr(driven) as usize, Arc::downgrade(driven));
    }

    /// Whether this loop polls `driven` after its calls (see [`holds`]).
    fn has(&self, driven: *const Driven) -> bool {
        self.lock().contains_key(&(driven as usize))
    }

    /// Reads what arrived on the streams this loop watches (on the loop's
    /// thread, entered); whether the wake-up descriptor is readable.
    pub fn pump(&self) -> bool {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
        // SAFETY: our descriptor and buffer.
        let n = unsafe { libc::epoll_wait(self.fd(), events.as_mut_ptr(), events.len() as i32, 0) };
        let mut woken = false;
        let mut streams = false;
        for event in events.iter().take(n.max(0) as usize) {
            let token = event.u64;
            if token == WAKE {
                woken = true;
            } else {
                streams = true;
            }
        }
        if streams {
            for driven in self.connections() {
                driven.pump_loop();
            }
        }
        woken
    }

    fn connections(&self) -> Vec<Arc<Driven>> {
        let mut connections = self.lock();
        connections.retain(|_, d| d.strong_count() > 0);
        connections.values().filter_map(Weak::upgrade).collect()
    }

    /// After the loop polled its calls: polls the connections they woke, and
    /// forgets those it neither holds the stream of nor has calls on.
    pub fn settle(&self) {
        let mut done = Vec::new();
        for driven in self.connections() {
            if driven.settle_loop(self.epoll.id) {
                done.push(Arc::as_ptr(&driven) as usize);
            }
        }
        if !done.is_empty() {
            let mut connections = self.lock();
            for key in done {
                connections.remove(&key);
            }
        }
    }
}

impl Drop for LoopReactor {
    /// The loop is gone: the runtime's reactor takes its streams back.
    fn drop(&mut self) {
        for driven in self.connections() {
            driven.abandoned_by(self.epoll.id);
        }
    }
}
