//! A small local AWS Service Catalog: the operations sc-stack-importer calls, plus what seeds them, over the real
//! AWS JSON 1.1 wire protocol, so the unchanged `aws-sdk-servicecatalog` client works against it with
//! `AWS_ENDPOINT_URL_SERVICE_CATALOG`. A dev tool: it listens on loopback only and checks no signatures.

pub mod catalog;
pub mod cli;
pub mod clock;
pub mod control;
pub mod error;
pub mod http_get;
pub mod ids;
pub mod operations;
pub mod params;
pub mod search;
pub mod server;
pub mod stacks;
pub mod strict;
pub mod wire;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use catalog::Catalog;
use clock::Clock;
use stacks::CloudFormationStacks;
use strict::{OperationDelays, StrictMode, reported_template_url};

/// Account id used in the ARNs the emulator makes (moto's default, so ARNs from both line up).
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// Everything one running emulator needs.
pub struct EmulatorConfig {
    /// Where imports read stacks from.
    pub stacks: CloudFormationStacks,
    /// Source of "now": the system clock, or a manual one in tests.
    pub clock: Arc<dyn Clock>,
    /// How long a record stays in each of CREATED and IN_PROGRESS before it ends.
    pub record_step: Duration,
    /// Account id put in product ARNs.
    pub account_id: String,
    /// The strict-mode switches; the default is the emulator's original behaviour.
    pub strict: StrictMode,
}

/// The emulator's state and collaborators, shared by every connection.
pub struct Emulator {
    catalog: Mutex<Catalog>,
    stacks: CloudFormationStacks,
    clock: Arc<dyn Clock>,
    delays: OperationDelays,
    https_template_urls: bool,
}

impl Emulator {
    pub fn new(config: EmulatorConfig) -> Self {
        let catalog = Catalog::new(config.record_step, config.account_id).with_rules(config.strict.rules);
        Self {
            catalog: Mutex::new(catalog),
            stacks: config.stacks,
            clock: config.clock,
            delays: OperationDelays::new(config.strict.latency),
            https_template_urls: config.strict.https_template_urls,
        }
    }

    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The state. A panic while holding it cannot leave it half-changed (every change is one push or field write),
    /// so a poisoned lock is still usable.
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stacks(&self) -> &CloudFormationStacks {
        &self.stacks
    }

    /// How long each operation holds back its answer (strict mode's `--latency`).
    pub fn delays(&self) -> &OperationDelays {
        &self.delays
    }

    /// An artifact's template URL as answers report it (strict mode's `--https-template-urls`).
    pub fn reported_template_url(&self, url: &str) -> String {
        reported_template_url(url, self.https_template_urls)
    }
}
