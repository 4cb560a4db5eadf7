//! The sweep (docs/CONTRACT.md §1d): every existing stack of some accounts and regions, not only those that change
//! from now on. Per account and region: list the stacks once (tags included), load the provisioned products once,
//! decide locally what needs no import, and queue (or, without a queue, decide in place) the rest — until the
//! invocation's time is nearly spent, when a cursor says where to go on.

pub mod request;
pub mod summary;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::eligibility;
use crate::ids::{AccountId, Region, Scope};
use crate::outcome::{Outcome, Trigger, TriggerKind, now_rfc3339};
use crate::pipeline::{self, Pipeline, StackRequest, Task, WorkItem};
use crate::ports::{
    Accounts, FingerprintStore, ImportQueue, OutcomePublisher, ProvisionedProduct, ProvisionedProducts, QueueMessage,
    StackReader, TemplateFetcher,
};
use crate::provisioned;
use crate::queue::QueuedImport;
use crate::routing::{self, RouteFields};
use crate::stack::{Stack, StackRef};
use crate::text::{digest, glob_matches};
pub use request::{AccountChoice, Cursor, SweepRequest};
pub use summary::{ScopeFailure, SweepSummary, Totals};

/// SQS takes at most ten messages per SendMessageBatch.
const QUEUE_BATCH: usize = 10;
/// Skip outcomes published at once: enough to hide each call's latency, few enough not to be throttled.
const PUBLISH_CONCURRENCY: usize = 16;
/// Kept free, beyond the publish reserve, for the last queue batch and the continuation.
const QUEUE_MARGIN: Duration = Duration::from_secs(3);

/// Where the function itself runs: a sweep's default account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Home {
    pub account: Option<AccountId>,
    pub region: Option<Region>,
}

/// What a sweep decides about one stack without any call of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Triage {
    /// Decided: not importable, opted out, already held, or nothing routes it.
    Skip(Verdict),
    /// Needs the pipeline: a template check and, unless a dry run, an import (or a held record to follow).
    Decide,
}

/// The event pipeline's rules, on what DescribeStacks and the loaded provisioned products already say.
pub fn triage(stack: &Stack, holders: &HashMap<String, ProvisionedProduct>, settings: &pipeline::Settings) -> Triage {
    let prefix = &settings.tag_prefix;
    if let Err(verdict) = eligibility::check(stack, prefix) {
        return Triage::Skip(verdict);
    }
    if let Some(holder) = holders.get(stack.arn.as_str()) {
        // A held stack whose product is still changing or failed is the pipeline's (§6) to follow or report.
        return if provisioned::is_settled(holder) {
            Triage::Skip(provisioned::already_provisioned(stack, holder))
        } else {
            Triage::Decide
        };
    }
    match routing::resolve(&RouteFields::default(), stack, prefix, &settings.rules) {
        Ok(Some(_)) => Triage::Decide,
        // With discovery, the stack's template may route it: that needs the pipeline's reads.
        Ok(None) if settings.discovery => Triage::Decide,
        Ok(None) => Triage::Skip(routing::no_route(stack, prefix)),
        Err(verdict) => Triage::Skip(verdict),
    }
}

/// One sweep invocation: the pipeline decides what needs AWS, the publisher delivers, the queue (when there is one)
/// takes the work items.
pub struct Sweeper<'a, A, T, P, Q, S> {
    pub pipeline: &'a Pipeline<A, T, S>,
    pub publisher: &'a P,
    pub queue: Option<&'a Q>,
}

/// How far one account and region got.
enum Progress {
    /// Every stack was decided or queued, or the scope failed (and says so in the totals).
    Done,
    /// Time ran out; the last stack decided, if any.
    Stopped(Option<String>),
}

/// One sweep's state through an invocation.
struct Run {
    id: String,
    trigger: Trigger,
    dry_run: bool,
    totals: Totals,
    deadline: Instant,
    stop_by: Instant,
}

impl<A, T, P, Q, S> Sweeper<'_, A, T, P, Q, S>
where
    A: Accounts + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
    P: OutcomePublisher + Sync,
    Q: ImportQueue + Sync,
{
    /// Sweeps from the start (a new sweep with id `sweep-<new_id>`) or from the request's cursor, until done or
    /// until the invocation's time is nearly spent.
    pub async fn run(&self, request: &SweepRequest, home: &Home, new_id: &str, deadline: Instant) -> SweepSummary {
        let settings = &self.pipeline.settings;
        let reserve = settings.publish_reserve + if self.queue.is_some() { QUEUE_MARGIN } else { Duration::ZERO };
        let (id, totals, first_scope, after) = match &request.cursor {
            Some(cursor) => (cursor.id.clone(), cursor.totals.clone(), cursor.scope, cursor.after.clone()),
            None => (format!("sweep-{new_id}"), Totals::default(), 0, None),
        };
        let mut run = Run {
            trigger: Trigger::new(TriggerKind::Sweep, &id),
            id,
            dry_run: request.dry_run.unwrap_or(settings.dry_run),
            totals,
            deadline,
            stop_by: deadline.checked_sub(reserve).unwrap_or(deadline),
        };
        let plan = self.plan(request, home).await;
        if request.cursor.is_none() {
            run.totals.failed.extend(plan.failures.iter().cloned());
        }

        let mut cursor = None;
        for (index, (account, region)) in plan.scopes.iter().enumerate().skip(first_scope) {
            let after = if index == first_scope { after.as_deref() } else { None };
            if let Progress::Stopped(last) = self.sweep_scope(&mut run, request, account, region, after).await {
                cursor = Some(Cursor {
                    id: run.id.clone(),
                    request: request.fingerprint(),
                    scope: index,
                    after: last,
                    totals: run.totals.clone(),
                });
                break;
            }
        }

        let continued = match (&cursor, self.queue) {
            (Some(cursor), Some(queue)) => self.continue_later(queue, request, cursor).await,
            _ => false,
        };
        let summary = SweepSummary {
            id: run.id,
            totals: run.totals,
            accounts: plan.accounts,
            regions: plan.regions,
            dry_run: run.dry_run,
            complete: cursor.is_none(),
            cursor: cursor.as_ref().map(Cursor::encode),
            continued,
            time: now_rfc3339(),
        };
        if summary.complete {
            // Once per sweep: only the invocation that finishes it publishes the summary.
            let published = tokio::time::timeout_at(deadline, self.publisher.publish_summary(&summary)).await;
            if !matches!(published, Ok(Ok(()))) {
                tracing::error!(sweep = %summary.id, "the sweep summary was not published");
            }
        }
        summary
    }

    /// The accounts and regions to sweep, in request order, and those that cannot be.
    async fn plan(&self, request: &SweepRequest, home: &Home) -> Plan {
        let mut plan = Plan::default();
        let accounts: Vec<AccountId> = match (&request.accounts, &home.account) {
            (AccountChoice::Listed(accounts), _) => accounts.clone(),
            (AccountChoice::Own, Some(own)) => vec![own.clone()],
            (AccountChoice::Own, None) => {
                plan.fail("self", None, "the function's own account is unknown (no invoked function ARN)");
                Vec::new()
            }
            // Sorted: a resumed sweep plans the same list, so that its cursor's position means the same.
            (AccountChoice::Organization, _) => match self.pipeline.accounts.organization().await {
                Ok(mut accounts) => {
                    accounts.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                    accounts
                }
                Err(failure) => {
                    plan.fail("*", None, &failure.to_string());
                    Vec::new()
                }
            },
        };
        let regions: Vec<Region> = match (&request.regions, &home.region) {
            (Some(regions), _) => regions.clone(),
            (None, Some(own)) => vec![own.clone()],
            (None, None) => {
                plan.fail("self", None, "the function's own region is unknown (no invoked function ARN)");
                Vec::new()
            }
        };
        plan.regions = regions.iter().map(|region| region.to_string()).collect();
        for account in accounts {
            plan.accounts.push(account.to_string());
            let reachable = home.account.as_ref().is_some_and(|own| self.pipeline.accounts.reaches(&account, own));
            if !reachable {
                plan.fail(
                    account.as_str(),
                    None,
                    "the function reaches only its own account: other accounts need a member role \
                     (MEMBER_ROLE_NAME, docs/CONTRACT.md §8), which is not configured",
                );
                continue;
            }
            plan.scopes.extend(regions.iter().map(|region| (account.clone(), region.clone())));
        }
        plan
    }

    /// One account and region: list, load, triage, then queue or decide, in stack ARN order after `after`.
    async fn sweep_scope(
        &self,
        run: &mut Run,
        request: &SweepRequest,
        account: &AccountId,
        region: &Region,
        after: Option<&str>,
    ) -> Progress {
        let failed = |run: &mut Run, message: String| {
            tracing::warn!(sweep = %run.id, %account, %region, %message, "account and region not swept");
            run.totals.failed.push(ScopeFailure::new(account.as_str(), Some(region.as_str()), message));
            Progress::Done
        };
        let scope = Scope::Stack { account: account.clone(), region: region.clone() };
        let ports = match self.pipeline.accounts.open(&scope).await {
            Ok(ports) => ports,
            Err(failure) => return failed(run, failure.to_string()),
        };
        let mut stacks = match ports.stacks.list().await {
            Ok(stacks) => stacks,
            Err(failure) => return failed(run, failure.to_string()),
        };
        stacks.retain(|stack| {
            stack.status.is_importable()
                && request.stack_name.as_deref().is_none_or(|glob| glob_matches(glob, stack.name().as_str()))
                && after.is_none_or(|after| stack.arn.as_str() > after)
        });
        stacks.sort_by(|a, b| a.arn.as_str().cmp(b.arn.as_str()));
        if stacks.is_empty() {
            return Progress::Done;
        }
        let holders: HashMap<String, ProvisionedProduct> = match ports.provisioned.all().await {
            Ok(products) => {
                products.into_iter().filter_map(|product| Some((product.physical_id.clone()?, product))).collect()
            }
            Err(failure) => return failed(run, failure.to_string()),
        };
        tracing::info!(sweep = %run.id, %account, %region, stacks = stacks.len(), "sweeping");

        let mut skipped: Vec<Outcome> = Vec::new();
        let mut batch: Vec<QueueMessage> = Vec::new();
        let mut last: Option<String> = after.map(str::to_owned);
        for stack in stacks {
            if Instant::now() >= run.stop_by {
                return self.stop(run, &mut skipped, &mut batch, last).await;
            }
            match triage(&stack, &holders, &self.pipeline.settings) {
                Triage::Skip(verdict) => {
                    skipped.push(pipeline::decided_locally(run.trigger.clone(), &stack, run.dry_run, verdict));
                    if skipped.len() >= PUBLISH_CONCURRENCY {
                        self.publish_all(run, &mut skipped).await;
                    }
                }
                Triage::Decide => match self.queue {
                    Some(queue) => {
                        let item = QueuedImport {
                            stack: stack.arn.clone(),
                            dry_run: Some(run.dry_run),
                            trigger: run.trigger.clone(),
                        };
                        batch.push(item.message());
                        if batch.len() >= QUEUE_BATCH && !self.send(queue, run, &mut batch).await {
                            self.publish_all(run, &mut skipped).await;
                            return failed(run, "the import queue refused work items; a rerun queues them".into());
                        }
                    }
                    None => {
                        let item = WorkItem {
                            trigger: run.trigger.clone(),
                            task: Task::Import(StackRequest {
                                stack: StackRef::Arn(stack.arn.clone()),
                                route: RouteFields::default(),
                                dry_run: Some(run.dry_run),
                            }),
                        };
                        let outcome = self.pipeline.decide(item, run.deadline).await;
                        if outcome.reason() == Reason::OutOfTime {
                            // Not decided: the cursor stays before this stack, so the next invocation decides it.
                            return self.stop(run, &mut skipped, &mut batch, last).await;
                        }
                        skipped.push(outcome);
                        self.publish_all(run, &mut skipped).await;
                    }
                },
            }
            run.totals.stacks += 1;
            last = Some(stack.arn.to_string());
        }
        self.publish_all(run, &mut skipped).await;
        if let Some(queue) = self.queue
            && !self.send(queue, run, &mut batch).await
        {
            return failed(run, "the import queue refused work items; a rerun queues them".into());
        }
        Progress::Done
    }

    /// Out of time: what was decided is delivered, and the cursor points after it.
    async fn stop(
        &self,
        run: &mut Run,
        skipped: &mut Vec<Outcome>,
        batch: &mut Vec<QueueMessage>,
        last: Option<String>,
    ) -> Progress {
        self.publish_all(run, skipped).await;
        if let Some(queue) = self.queue
            && !self.send(queue, run, batch).await
        {
            run.totals.failed.push(ScopeFailure::new(
                "queue",
                None,
                "the import queue refused the last work items before the invocation's time ran out; a rerun \
                 queues them",
            ));
        }
        Progress::Stopped(last)
    }

    /// Sends the batch; false when the queue refused it (then nothing of it counts as queued).
    async fn send(&self, queue: &Q, run: &mut Run, batch: &mut Vec<QueueMessage>) -> bool {
        if batch.is_empty() {
            return true;
        }
        let sent = queue.send(batch).await;
        if let Err(error) = &sent {
            tracing::error!(sweep = %run.id, %error, "work items not queued");
        } else {
            run.totals.queued += batch.len() as u64;
        }
        batch.clear();
        sent.is_ok()
    }

    /// Publishes the outcomes decided so far, several at once, and counts them.
    async fn publish_all(&self, run: &mut Run, outcomes: &mut Vec<Outcome>) {
        let publishes = outcomes.iter().map(|outcome| self.publisher.publish(outcome));
        // Past the deadline every one of them counts as not delivered.
        let results = tokio::time::timeout_at(run.deadline, join_all(publishes)).await.unwrap_or_default();
        for (index, outcome) in outcomes.iter().enumerate() {
            run.totals.count(outcome);
            if !matches!(results.get(index), Some(Ok(()))) {
                run.totals.unpublished += 1;
            }
        }
        outcomes.clear();
    }

    /// With a queue, the rest of the sweep is queued as its own work item; false when the queue refused it (the
    /// cursor in the answer still resumes it).
    async fn continue_later(&self, queue: &Q, request: &SweepRequest, cursor: &Cursor) -> bool {
        let encoded = cursor.encode();
        let message = QueueMessage {
            group: format!("sweep:{}", cursor.id),
            deduplication_id: digest(&["sweep", &cursor.id, &encoded]),
            body: request.resumed_at(cursor).to_string(),
        };
        match queue.send(&[message]).await {
            Ok(()) => true,
            Err(error) => {
                tracing::error!(sweep = %cursor.id, %error, "the sweep's continuation was not queued");
                false
            }
        }
    }
}

#[derive(Default)]
struct Plan {
    scopes: Vec<(AccountId, Region)>,
    accounts: Vec<String>,
    regions: Vec<String>,
    failures: Vec<ScopeFailure>,
}

impl Plan {
    fn fail(&mut self, account: &str, region: Option<&str>, message: &str) {
        self.failures.push(ScopeFailure::new(account, region, message));
    }
}
