//! The options of an activity worker, and the heartbeat throttle they set.

use crate::duration::JsonDuration;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The share of the heartbeat timeout that heartbeats are throttled to.
const HEARTBEAT_THROTTLE_SHARE: f64 = 0.8;

/// Options of an activity worker; the JSON of `tb_worker_new` and Python's
/// `Worker(...)` keywords.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityWorkerOptions {
    /// The task queue to poll.
    pub task_queue: String,
    /// How many tasks may run at once.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// How many long polls may be in flight at once.
    #[serde(default = "default_pollers")]
    pub pollers: usize,
    /// At shutdown, how long running tasks may go on before they are cancelled.
    #[serde(default)]
    pub graceful_shutdown_timeout: JsonDuration,
    /// How long a handler may go on after its task was cancelled before the
    /// worker gives up on it (answering for it where the server still waits).
    #[serde(default = "default_cancel_grace")]
    pub cancel_grace: JsonDuration,
    /// Heartbeat throttle interval for activities without a heartbeat timeout.
    #[serde(default = "default_heartbeat_throttle")]
    pub default_heartbeat_throttle_interval: JsonDuration,
    /// Upper bound of the heartbeat throttle interval.
    #[serde(default = "max_heartbeat_throttle")]
    pub max_heartbeat_throttle_interval: JsonDuration,
    /// Hand arguments and heartbeat details to handlers as raw payloads
    /// (`raw_args`, `raw_heartbeat_details`) instead of decoded JSON values.
    #[serde(default)]
    pub raw: bool,
    /// Limit on the rate the server dispatches this queue's tasks (to all
    /// its workers), in tasks per second.
    #[serde(default)]
    pub max_tasks_per_second: Option<f64>,
}

pub(super) fn default_max_concurrent() -> usize {
    100
}

pub(super) fn default_pollers() -> usize {
    2
}

pub(super) fn default_cancel_grace() -> JsonDuration {
    JsonDuration(Duration::from_secs(10))
}

pub(super) fn default_heartbeat_throttle() -> JsonDuration {
    JsonDuration(Duration::from_secs(30))
}

pub(super) fn max_heartbeat_throttle() -> JsonDuration {
    JsonDuration(Duration::from_secs(60))
}

impl ActivityWorkerOptions {
    /// The defaults, on `task_queue`.
    pub fn new(task_queue: impl Into<String>) -> Self {
        ActivityWorkerOptions {
            task_queue: task_queue.into(),
            max_concurrent: default_max_concurrent(),
            pollers: default_pollers(),
            graceful_shutdown_timeout: JsonDuration::default(),
            cancel_grace: default_cancel_grace(),
            default_heartbeat_throttle_interval: default_heartbeat_throttle(),
            max_heartbeat_throttle_interval: max_heartbeat_throttle(),
            raw: false,
            max_tasks_per_second: None,
        }
    }

    pub(super) fn validate(&self) -> Result<()> {
        let field = |name: &str, message: String| {
            Err(Error::invalid_argument(message).with_detail("field", name))
        };
        if self.task_queue.trim().is_empty() {
            return field("task_queue", "task_queue must not be empty".into());
        }
        if !(1..=100_000).contains(&self.max_concurrent) {
            return field(
                "max_concurrent",
                format!(
                    "max_concurrent must be between 1 and 100000, got {}",
                    self.max_concurrent
                ),
            );
        }
        if !(1..=1_000).contains(&self.pollers) {
            return field(
                "pollers",
                format!("pollers must be between 1 and 1000, got {}", self.pollers),
            );
        }
        if let Some(rate) = self.max_tasks_per_second {
            if !(rate.is_finite() && rate > 0.0) {
                return field(
                    "max_tasks_per_second",
                    format!("max_tasks_per_second must be a positive number, got {rate}"),
                );
            }
        }
        if self.max_heartbeat_throttle_interval.0.is_zero() {
            return field(
                "max_heartbeat_throttle_interval",
                "max_heartbeat_throttle_interval must be positive".into(),
            );
        }
        Ok(())
    }

    /// How long heartbeats of an activity with this heartbeat timeout are
    /// throttled to.
    pub(super) fn heartbeat_throttle(&self, heartbeat_timeout: Option<Duration>) -> Duration {
        let interval = match heartbeat_timeout.filter(|t| !t.is_zero()) {
            Some(timeout) => timeout.mul_f64(HEARTBEAT_THROTTLE_SHARE),
            None => self.default_heartbeat_throttle_interval.0,
        };
        interval.min(self.max_heartbeat_throttle_interval.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn heartbeats_are_throttled_to_four_fifths_of_the_timeout_within_the_bounds() {
        let options = ActivityWorkerOptions::new("q");
        let throttle = |t: Option<f64>| {
            options
                .heartbeat_throttle(t.map(Duration::from_secs_f64))
                .as_secs_f64()
        };
        assert_eq!(throttle(Some(10.0)), 8.0);
        assert_eq!(throttle(Some(1.0)), 0.8);
        // No heartbeat timeout: the default; a long one: the maximum.
        assert_eq!(throttle(None), 30.0);
        assert_eq!(throttle(Some(0.0)), 30.0);
        assert_eq!(throttle(Some(600.0)), 60.0);
    }
}
