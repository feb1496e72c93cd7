//! How a call runs once its C arguments are read: either blocking the calling
//! thread on the shared runtime, or spawned on it with a callback that fires
//! exactly once, on one of the library's callback threads
//! ([`crate::callback_threads`]). Every call owns copies of its inputs and
//! its own clone of the client, so the caller may free the request strings,
//! the token and even the client as soon as the call has started (freeing the
//! client closes it, which ends the call with `cancelled`).

use crate::boundary::guard;
use crate::callback_threads;
use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::pointers::{borrow, borrow_optional, str_argument, string_lent};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void, CString};
use std::future::Future;
use std::ptr;
use temporal_bridge_core::{runtime, CallOptions, CancellationToken, Client, Error};

/// Everything one call needs, owned.
pub(crate) struct CallInputs {
    client: Client,
    operation: String,
    request: String,
    cancel: Option<CancellationToken>,
}

impl CallInputs {
    /// Reads and copies the C arguments of a call.
    ///
    /// # Safety
    /// Pointers are NULL or valid as the public functions document.
    pub(crate) unsafe fn read(
        client: *const TbClient,
        operation: &str,
        request_json: *const c_char,
        cancel: *const TbCancelToken,
    ) -> Result<CallInputs, Error> {
        // SAFETY (all three): the caller's contract.
        let client = unsafe { borrow(client, "client") }?.client.clone();
        let request = unsafe { str_argument(request_json, "request_json") }?.to_owned();
        let cancel = unsafe { borrow_optional(cancel) }.map(|t| t.token.clone());
        Ok(CallInputs {
            client,
            operation: operation.to_owned(),
            request,
            cancel,
        })
    }

    /// Runs the call through the core's JSON contract.
    pub(crate) async fn run(self) -> Result<String, Error> {
        // The request's `call_timeout` and `rpc_timeout` fields set the
        // deadline and the attempts' timeout.
        let options = CallOptions {
            cancel: self.cancel,
            ..CallOptions::default()
        };
        self.client
            .call_json(&self.operation, &self.request, &options)
            .await
    }

    /// Runs the call, blocking the calling thread until it ends.
    pub(crate) fn run_blocking(self) -> Result<String, Error> {
        runtime::block_on(self.run())?
    }
}

/// `user_data` travels to a library thread; the header makes the caller
/// responsible for it being usable there.
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the pointer is only handed back to the caller's callback; the
// header documents that the callback runs on another thread.
unsafe impl Send for UserData {}

/// A C callback and how to deliver one outcome to it.
pub(crate) trait Deliver: Send + 'static {
    type Value: Send + 'static;
    fn deliver(self, result: Result<Self::Value, Error>);
}

/// A callback that fires exactly once, on a callback thread: through
/// [`Once::send`], or, should it be dropped unsent (a panic unwound the
/// call's task), with an `internal` error.
struct Once<D: Deliver>(Option<D>);

impl<D: Deliver> Once<D> {
    fn send(self, result: Result<D::Value, Error>) {
        // The job owns `self`: were it dropped unrun, `drop` still reports.
        callback_threads::run(Box::new(move || self.deliver_here(result)));
    }

    fn deliver_here(mut self, result: Result<D::Value, Error>) {
        if let Some(target) = self.0.take() {
            target.deliver(result);
        }
    }
}

impl<D: Deliver> Drop for Once<D> {
    fn drop(&mut self) {
        if let Some(target) = self.0.take() {
            let error =
                Error::internal("the call ended without a result (a panic inside the library?)");
            callback_threads::run(Box::new(move || target.deliver(Err(error))));
        }
    }
}

/// Starts `work` on the shared runtime and delivers its outcome to `reply`.
/// On `Err` nothing was started and `reply` will never fire.
pub(crate) fn spawn<D, W>(reply: D, work: W) -> Result<(), Error>
where
    D: Deliver,
    W: Future<Output = Result<D::Value, Error>> + Send + 'static,
{
    let runtime = runtime::shared()?;
    let pending = Once(Some(reply));
    // The runtime only runs the call; the callback goes to a callback thread,
    // so a callback that blocks (even in a blocking tb_ call) starves nothing.
    runtime.spawn(async move { pending.send(work.await) });
    Ok(())
}

/// Delivers a call's outcome to a `TbCallCallback`.
struct CallReply {
    callback: unsafe extern "C" fn(*mut c_void, TbStatus, *const c_char, *const c_char),
    user_data: UserData,
}

impl Deliver for CallReply {
    type Value = String;

    fn deliver(self, result: Result<String, Error>) {
        let user_data = self.user_data.0;
        let (status, response, error) = match result.and_then(string_lent) {
            Ok(response) => (TbStatus::Ok, Some(response), None),
            Err(error) => (
                TbStatus::from_kind(error.kind()),
                None,
                Some(string_lent(error.to_json()).unwrap_or_default()),
            ),
        };
        let as_ptr = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        // SAFETY: the callback's contract; both strings outlive the call.
        unsafe { (self.callback)(user_data, status, as_ptr(&response), as_ptr(&error)) }
    }
}

/// Starts an async call: reads and copies the arguments now, delivers every
/// outcome (argument errors included) to the callback.
///
/// # Safety
/// As for `tb_client_call_async`.
pub(crate) unsafe fn start_async(
    function: &str,
    client: *const TbClient,
    operation: Result<&str, Error>,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    let Some(callback) = callback else {
        return TbStatus::InvalidArgument;
    };
    let started = guard(function, || {
        // SAFETY: the caller's contract.
        let inputs = operation.and_then(|operation| unsafe {
            CallInputs::read(client, operation, request_json, cancel)
        });
        let reply = CallReply {
            callback,
            user_data: UserData(user_data),
        };
        spawn(reply, async move { inputs?.run().await })
    });
    started.map_or_else(|e| TbStatus::from_kind(e.kind()), |()| TbStatus::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Sender};
    use std::time::Duration;

    struct ToChannel(Sender<(Result<u32, Error>, std::thread::ThreadId)>);

    impl Deliver for ToChannel {
        type Value = u32;

        fn deliver(self, result: Result<u32, Error>) {
            let _ = self.0.send((result, std::thread::current().id()));
        }
    }

    #[test]
    fn a_call_calls_back_once_on_another_thread() {
        let (sender, receiver) = channel();
        spawn(ToChannel(sender), async { Ok(7) }).unwrap();
        let (result, thread) = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(result.unwrap(), 7);
        assert_ne!(thread, std::thread::current().id());
        // The sender went with the delivery: nothing else can arrive.
        assert!(receiver.recv_timeout(Duration::from_secs(1)).is_err());
    }

    fn explode() -> Result<u32, Error> {
        panic!("inside the call (as the test wants)")
    }

    #[test]
    fn a_call_that_panics_still_calls_back_once_with_internal() {
        let (sender, receiver) = channel();
        spawn(ToChannel(sender), async { explode() }).unwrap();
        let (result, _) = receiver.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(
            result.unwrap_err().kind(),
            temporal_bridge_core::ErrorKind::Internal
        );
        assert!(receiver.recv_timeout(Duration::from_secs(1)).is_err());
    }
}
