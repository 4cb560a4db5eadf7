//! The invocation's deadline as time left, from the Runtime API's `Lambda-Runtime-Deadline-Ms`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;

/// Lambda's longest timeout; also the largest value read as a relative deadline.
const MAX_LAMBDA_TIMEOUT_MS: u64 = 15 * 60 * 1000;

/// Time left before the invocation's deadline; `default_budget` when the runtime gave none.
pub fn time_left(context: &Context, default_budget: Duration) -> Duration {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|now| now.as_millis()).unwrap_or_default();
    time_left_at(context.deadline, now_ms, default_budget)
}

/// Time left before `deadline_ms` (epoch milliseconds) at `now_ms`.
///
/// Local Runtime API emulators do not all follow that: cargo-lambda's `watch` sends the function timeout itself
/// (`600000`), and a bare context has 0. A value no larger than Lambda's 15-minute maximum cannot be an epoch time of
/// this century, so it is read as the time left; 0 means no deadline was given.
pub fn time_left_at(deadline_ms: u64, now_ms: u128, default_budget: Duration) -> Duration {
    match u128::from(deadline_ms) {
        0 => default_budget,
        deadline if deadline <= u128::from(MAX_LAMBDA_TIMEOUT_MS) => Duration::from_millis(deadline_ms),
        deadline => {
            let left = deadline.saturating_sub(now_ms);
            Duration::from_millis(u64::try_from(left).unwrap_or(MAX_LAMBDA_TIMEOUT_MS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u128 = 1_795_891_428_000;
    const BUDGET: Duration = Duration::from_secs(120);

    #[test]
    fn an_epoch_deadline_leaves_the_time_until_it() {
        assert_eq!(time_left_at(1_795_891_458_000, NOW_MS, BUDGET), Duration::from_secs(30));
    }

    #[test]
    fn a_deadline_already_passed_leaves_no_time() {
        assert_eq!(time_left_at(1_795_891_000_000, NOW_MS, BUDGET), Duration::ZERO);
    }

    #[test]
    fn an_emulator_s_relative_deadline_is_read_as_the_time_left() {
        // cargo-lambda's Runtime API sends the function timeout, not an epoch time.
        assert_eq!(time_left_at(600_000, NOW_MS, BUDGET), Duration::from_secs(600));
    }

    #[test]
    fn no_deadline_gives_the_default_budget() {
        assert_eq!(time_left_at(0, NOW_MS, BUDGET), BUDGET);
    }
}
