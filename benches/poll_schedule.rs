//! How promptly the function notices that an import's record has ended, and how many DescribeRecord calls that
//! costs: the real `import::follow` against a record that ends after a given time, in tokio's virtual time (no real
//! waiting, the same answer on every machine). Prints, for imports of 1 to 60 s, when the end was noticed and after
//! how many reads, for the function's schedule and for the v1 schedule it replaced (1 s doubling to 10 s).
//!
//! Run: `cargo bench --bench poll_schedule` (or `make bench`).

use std::sync::Mutex;
use std::time::Duration;

use sc_stack_importer::ids::RecordId;
use sc_stack_importer::import::{PollSchedule, follow};
use sc_stack_importer::ports::{ImportError, ImportOrder, Importer, ServiceFailure};
use sc_stack_importer::record::{Record, RecordRequest, RecordStatus};
use tokio::time::Instant;

/// A record that ends `duration` after it was created, counting the reads.
struct TimedRecord {
    started: Instant,
    duration: Duration,
    reads: Mutex<u32>,
}

fn record(status: RecordStatus) -> Record {
    Record {
        id: RecordId::parse("rec-bench").unwrap_or_else(|error| unreachable!("{error}")),
        status,
        provisioned_product_id: None,
        errors: vec![],
        request: RecordRequest::default(),
    }
}

impl Importer for TimedRecord {
    async fn import(&self, _: &ImportOrder) -> Result<Record, ImportError> {
        Ok(record(RecordStatus::Created))
    }

    async fn record(&self, _: &RecordId) -> Result<Record, ServiceFailure> {
        *self.reads.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let done = self.started.elapsed() >= self.duration;
        Ok(record(if done { RecordStatus::Succeeded } else { RecordStatus::InProgress }))
    }
}

/// When the end of a `duration` import is noticed, and after how many reads.
async fn notice(schedule: &PollSchedule, duration: Duration) -> (Duration, u32) {
    let importer = TimedRecord { started: Instant::now(), duration, reads: Mutex::new(0) };
    let deadline = Instant::now() + Duration::from_secs(900);
    let ended = follow(&importer, record(RecordStatus::Created), schedule, deadline).await;
    assert_eq!(ended.status, RecordStatus::Succeeded);
    let reads = *importer.reads.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    (importer.started.elapsed(), reads)
}

/// v1 slept 1 s, then twice as long each time up to 10 s: reads at 1, 3, 7, 15, 25, 35 … s. Computed from those
/// times (v1's loop is gone), where this version's figures come from the real `follow`.
fn v1_notice(duration: Duration) -> (Duration, u32) {
    let (mut at, mut pause, mut reads) = (Duration::ZERO, Duration::from_secs(1), 0);
    loop {
        at += pause;
        reads += 1;
        if at >= duration {
            return (at, reads);
        }
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

struct Summary {
    mean_late: f64,
    worst_late: f64,
    worst_at: f64,
    reads_at_60: u32,
    max_reads: u32,
}

async fn summarise(schedule: Option<&PollSchedule>, print: bool) -> Summary {
    let durations: Vec<f64> = (2..=120).map(|half_seconds| f64::from(half_seconds) / 2.0).collect();
    let (mut total_late, mut worst_late, mut worst_at, mut max_reads, mut reads_at_60) = (0.0, 0.0, 0.0, 0, 0);
    for &seconds in &durations {
        let duration = Duration::from_secs_f64(seconds);
        let (noticed, reads) = match schedule {
            Some(schedule) => notice(schedule, duration).await,
            None => v1_notice(duration),
        };
        let late = noticed.as_secs_f64() / seconds - 1.0;
        total_late += late;
        if late > worst_late {
            (worst_late, worst_at) = (late, seconds);
        }
        max_reads = max_reads.max(reads);
        if (seconds - 60.0).abs() < f64::EPSILON {
            reads_at_60 = reads;
        }
        if print && [1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0].contains(&seconds) {
            println!(
                "  {seconds:>5.1} s import: noticed at {:>6.2} s ({:>+5.1} %), {reads:>2} DescribeRecord calls",
                noticed.as_secs_f64(),
                late * 100.0
            );
        }
    }
    Summary { mean_late: total_late / durations.len() as f64, worst_late, worst_at, reads_at_60, max_reads }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let schedule = PollSchedule::default();
    for (name, schedule) in
        [("this version (1 s, then +35 %)", Some(&schedule)), ("v1 (pauses of 1 s doubling to 10 s)", None)]
    {
        println!("{name}:");
        let summary = summarise(schedule, true).await;
        println!(
            "  imports of 1-60 s (every 0.5 s): noticed on average {:.1} % late, at worst {:.1} % (a {:.1} s import); \
             {} calls for a 60 s import, at most {}\n",
            summary.mean_late * 100.0,
            summary.worst_late * 100.0,
            summary.worst_at,
            summary.reads_at_60,
            summary.max_reads
        );
    }
}
