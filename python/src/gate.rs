//! The exit gate: the one way a library thread (an activity handler's, the
//! log thread) attaches to the interpreter. At interpreter exit (an `atexit`
//! hook registered with the first user) the gate closes and waits for the
//! threads inside it to leave, so none is attached, or attaching, once the
//! interpreter finalizes (a thread that attaches then is killed in the
//! middle of Rust frames). Callers that find the gate closed do without
//! Python.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long the exit hook waits for library threads to leave Python.
const GATE_CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Whether the gate is closed, and how many library threads are inside.
static GATE: Mutex<(bool, usize)> = Mutex::new((false, 0));
static GATE_LEFT: Condvar = Condvar::new();
static EXIT_HOOK_REGISTERED: AtomicBool = AtomicBool::new(false);

/// A library thread's permission to attach to the interpreter.
pub(crate) struct GatePass;

impl GatePass {
    /// `None` once the interpreter is exiting.
    pub(crate) fn enter() -> Option<GatePass> {
        let mut gate = lock(&GATE);
        if gate.0 {
            return None;
        }
        gate.1 += 1;
        Some(GatePass)
    }
}

impl Drop for GatePass {
    fn drop(&mut self) {
        let mut gate = lock(&GATE);
        gate.1 -= 1;
        if gate.1 == 0 {
            GATE_LEFT.notify_all();
        }
    }
}

/// The exit hook: no library thread attaches to the interpreter from now
/// on; waits (without the GIL) for those attached to leave.
#[pyfunction]
fn _close_python_gate(py: Python<'_>) {
    lock(&GATE).0 = true;
    py.detach(|| {
        let gate = lock(&GATE);
        let _ = GATE_LEFT.wait_timeout_while(gate, GATE_CLOSE_WAIT, |gate| gate.1 > 0);
    });
}

pub(crate) fn register_exit_hook(py: Python<'_>) -> PyResult<()> {
    if EXIT_HOOK_REGISTERED.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    let hook = wrap_pyfunction!(_close_python_gate, py)?;
    if let Err(error) = py.import("atexit")?.call_method1("register", (hook,)) {
        EXIT_HOOK_REGISTERED.store(false, Ordering::Release);
        return Err(error);
    }
    Ok(())
}
