//! A small local AWS Service Catalog: the operations sc-stack-importer calls, plus what seeds them, over the real
//! AWS JSON 1.1 wire protocol, so the unchanged `aws-sdk-servicecatalog` client works against it with
//! `AWS_ENDPOINT_URL_SERVICE_CATALOG`. A dev tool: it listens on loopback only and checks no signatures.
//!
//! It keeps one catalog per account and region: a request acts in the account moto attributes its access key to,
//! in the region it was signed for (`accounts`), and reads stacks in moto as that caller (`stacks`). Templates of
//! artifacts made from stacks are served by the emulator itself (`template_urls`).

pub mod accounts;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod control;
pub mod error;
pub mod http_get;
pub mod ids;
pub mod operations;
pub mod params;
pub mod product_search;
pub mod sdk;
pub mod search;
pub mod server;
pub mod stacks;
pub mod strict;
pub mod template_urls;
pub mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use accounts::{Accounts, Caller, StsIdentities};
use catalog::{Artifact, ArtifactRules, Catalogs, Scope, TemplateSource};
use clock::Clock;
use error::ServiceError;
use stacks::CloudFormationStacks;
use strict::{OperationDelays, StrictMode, reported_template_url};

/// The account of requests without SigV4 credentials: moto's default account, which moto also gives every access
/// key it does not know, so that both name the same account.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// Everything one running emulator needs.
pub struct EmulatorConfig {
    /// Where imports read stacks from. Its region is the default region (that of requests without credentials).
    pub stacks: CloudFormationStacks,
    /// Where a signed request's account is learned (STS `GetCallerIdentity`, moto's).
    pub identities: StsIdentities,
    /// Source of "now": the system clock, or a manual one in tests.
    pub clock: Arc<dyn Clock>,
    /// How long a record stays in each of CREATED and IN_PROGRESS before it ends.
    pub record_step: Duration,
    /// The account of requests without SigV4 credentials (and of any request while STS cannot be reached).
    pub account_id: String,
    /// The strict-mode switches; the default is the emulator's original behaviour.
    pub strict: StrictMode,
    /// How long an artifact made from a stack is CREATING, and how many artifacts a product may hold.
    pub artifacts: ArtifactRules,
}

/// The emulator's state and collaborators, shared by every connection.
pub struct Emulator {
    catalogs: Mutex<Catalogs>,
    accounts: Accounts,
    stacks: CloudFormationStacks,
    clock: Arc<dyn Clock>,
    delays: OperationDelays,
    https_template_urls: bool,
    listener: OnceLock<SocketAddr>,
}

impl Emulator {
    pub fn new(config: EmulatorConfig) -> Self {
        let default = Scope::new(config.account_id, config.stacks.default_region());
        Self {
            catalogs: Mutex::new(Catalogs::new(config.record_step, config.strict.rules, config.artifacts)),
            accounts: Accounts::new(config.identities, default),
            stacks: config.stacks,
            clock: config.clock,
            delays: OperationDelays::new(config.strict.latency),
            https_template_urls: config.strict.https_template_urls,
            listener: OnceLock::new(),
        }
    }

    /// The address the server listens on, which the URLs of kept templates name; set once, when serving starts.
    pub fn listening_on(&self, address: SocketAddr) {
        let _ = self.listener.set(address);
    }

    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The state: every account's catalog in every region (`Catalogs::of` picks one). A panic while holding it cannot
    /// leave it half-changed (every change is one push or field write), so a poisoned lock is still usable.
    pub fn catalogs(&self) -> MutexGuard<'_, Catalogs> {
        self.catalogs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The caller of a request with these `Authorization` and `X-Amz-Security-Token` headers: its account (asked of
    /// STS once per access key) and region.
    pub async fn caller(
        &self,
        authorization: Option<&str>,
        security_token: Option<&str>,
    ) -> Result<Caller, ServiceError> {
        self.accounts.caller(authorization, security_token).await
    }

    /// The account and region of requests without SigV4 credentials.
    pub fn default_scope(&self) -> &Scope {
        self.accounts.default_scope()
    }

    /// CloudFormation as the emulator itself; `CloudFormationStacks::as_caller` reads as a caller.
    pub fn stacks(&self) -> &CloudFormationStacks {
        &self.stacks
    }

    /// How long each operation holds back its answer (strict mode's `--latency`).
    pub fn delays(&self) -> &OperationDelays {
        &self.delays
    }

    /// An artifact's template URL as answers report it: the URL it was loaded from, or the emulator's own URL of
    /// the template it keeps; with `https://` under strict mode's `--https-template-urls`.
    pub fn template_url(&self, artifact: &Artifact) -> String {
        let url = match &artifact.source {
            TemplateSource::Url(url) => url.clone(),
            TemplateSource::Stack { .. } => {
                template_urls::served_template_url(self.listener.get().copied(), &artifact.id)
            }
        };
        reported_template_url(&url, self.https_template_urls)
    }
}
