//! What a sweep counted (docs/CONTRACT.md §1d): the answer, and the summary published once when the sweep completes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;
use crate::text::truncate;

/// A failure message in a summary is a sentence, not a dump, whatever the service said.
const MAX_FAILURE_CHARS: usize = 500;

/// The counts a sweep carries from one invocation to the next (inside its cursor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Stacks in an importable status whose name matched, in every account and region swept so far.
    pub stacks: u64,
    /// Work items put on the import queue.
    pub queued: u64,
    /// Outcomes decided by the sweep itself: skips, and every stack when there is no queue.
    pub by_outcome: BTreeMap<String, u64>,
    pub by_reason: BTreeMap<String, u64>,
    /// Accounts and regions that could not be swept; the others were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<ScopeFailure>,
    /// Outcomes decided but not delivered to SNS or EventBridge (the sweep's answer still counts them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unpublished: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeFailure {
    /// An account id, or `*` for the organization's list.
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub message: String,
}

impl ScopeFailure {
    pub fn new(account: &str, region: Option<&str>, message: impl AsRef<str>) -> Self {
        Self {
            account: account.to_owned(),
            region: region.map(str::to_owned),
            message: truncate(message.as_ref(), MAX_FAILURE_CHARS),
        }
    }
}

impl Totals {
    /// Counts one outcome decided in the sweep.
    pub fn count(&mut self, outcome: &Outcome) {
        *self.by_outcome.entry(outcome.kind().as_str().to_owned()).or_default() += 1;
        *self.by_reason.entry(outcome.reason().as_str().to_owned()).or_default() += 1;
    }
}

/// The answer to a sweep invocation and, once complete, the published summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    pub id: String,
    #[serde(flatten)]
    pub totals: Totals,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub dry_run: bool,
    pub complete: bool,
    /// Present when not complete: the next invocation's `cursor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// The rest of the sweep was queued as a continuation (with an import queue), rather than left to the caller.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub continued: bool,
    pub time: String,
}

impl SweepSummary {
    /// `SWEEP: <N> stacks, <Q> queued`, the SNS subject.
    pub fn subject(&self) -> String {
        format!("SWEEP: {} stacks, {} queued", self.totals.stacks, self.totals.queued)
    }

    /// `{"sweep":{…}}`: the answer, and the published message.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "sweep": self })
    }
}
