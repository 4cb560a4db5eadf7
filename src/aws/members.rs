//! The organization hub's per-account seam (docs/CONTRACT.md §8): a stack in another account is read and imported
//! with the credentials of the member role there (STS AssumeRole), in the stack's own region; the function's own
//! account keeps its own credentials. Credentials are kept per account until shortly before they expire, and the
//! clients made from them per account and region, so a warm function assumes a role about once per credential
//! lifetime, not once per event.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::accounts::{AwsPorts, OwnAccount, ports_for};
use super::error::{ErrorClass, classify};
use crate::config::AcceptLanguage;
use crate::ids::{AccountId, Region, Scope};
use crate::ports::{Accounts, FailureKind, ServiceFailure};

const ASSUME_ROLE: &str = "AssumeRole";
const CALLER_IDENTITY: &str = "GetCallerIdentity";
const LIST_ACCOUNTS: &str = "ListAccounts";

/// Credentials this close to their expiry are renewed before use: an import and its record follow may take minutes.
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);
/// The session the hub asks for (STS's default); a role's maximum session may be shorter, STS then says so.
const SESSION: Duration = Duration::from_secs(60 * 60);
/// An organization of more accounts than this (at 20 a page) is more than ListAccounts is read for.
const MAX_ACCOUNT_PAGES: usize = 1000;

/// The member role: its name in every member account, and the external id its trust policy may require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRole {
    pub name: String,
    pub external_id: Option<String>,
}

/// Opens ports in any account of the organization: the own account with the function's credentials, every other
/// with the member role's. Without a member role, only the own account (as `OwnAccount`).
pub struct MemberAccounts {
    own: OwnAccount,
    config: SdkConfig,
    accept_language: AcceptLanguage,
    role: Option<MemberRole>,
    sts: aws_sdk_sts::Client,
    organizations: aws_sdk_organizations::Client,
    /// The function's own account, asked of STS once.
    own_account: tokio::sync::OnceCell<AccountId>,
    credentials: Mutex<HashMap<AccountId, Credentials>>,
    opened: Mutex<HashMap<(AccountId, Region), Opened>>,
}

/// A member account and region's ports, and when the credentials they were made with expire.
type Opened = (AwsPorts, Option<SystemTime>);

impl MemberAccounts {
    pub fn new(config: SdkConfig, accept_language: AcceptLanguage, role: Option<MemberRole>) -> Self {
        Self {
            own: OwnAccount::new(config.clone(), accept_language),
            sts: aws_sdk_sts::Client::new(&config),
            organizations: aws_sdk_organizations::Client::new(&config),
            config,
            accept_language,
            role,
            own_account: tokio::sync::OnceCell::new(),
            credentials: Mutex::new(HashMap::new()),
            opened: Mutex::new(HashMap::new()),
        }
    }

    /// The role's ARN in `account`, in the partition of the function's region.
    pub fn role_arn(&self, role: &MemberRole, account: &AccountId) -> String {
        let region = self.config.region().map(|region| region.as_ref()).unwrap_or_default();
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!("arn:{partition}:iam::{account}:role/{}", role.name)
    }

    async fn own_account(&self) -> Result<&AccountId, ServiceFailure> {
        self.own_account
            .get_or_try_init(|| async {
                let output = self.sts.get_caller_identity().send().await.map_err(|error| {
                    let failure = classify(error);
                    ServiceFailure::new(
                        kind_of(failure.class),
                        CALLER_IDENTITY,
                        failure.code,
                        format!("the function's own account could not be learnt: {}", failure.message),
                    )
                })?;
                AccountId::parse(output.account().unwrap_or_default()).map_err(|error| {
                    ServiceFailure::new(FailureKind::Permanent, CALLER_IDENTITY, "UnexpectedAnswer", error.to_string())
                })
            })
            .await
    }

    /// The member role's credentials in `account`: kept ones while they have more than `RENEW_BEFORE` left.
    async fn assume(&self, role: &MemberRole, account: &AccountId) -> Result<Credentials, ServiceFailure> {
        let fresh = |credentials: &Credentials| {
            credentials.expiry().is_none_or(|expiry| expiry > SystemTime::now() + RENEW_BEFORE)
        };
        if let Some(kept) = self.lock_credentials().get(account).filter(|kept| fresh(kept)) {
            return Ok(kept.clone());
        }
        let role_arn = self.role_arn(role, account);
        let output = self
            .sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name("sc-stack-importer")
            .set_external_id(role.external_id.clone())
            .duration_seconds(SESSION.as_secs() as i32)
            .send()
            .await
            .map_err(|error| {
                let failure = classify(error);
                ServiceFailure::new(
                    kind_of(failure.class),
                    ASSUME_ROLE,
                    failure.code,
                    format!("role {role_arn} cannot be assumed: {}", failure.message),
                )
            })?;
        let issued = output.credentials().ok_or_else(|| {
            ServiceFailure::new(FailureKind::Permanent, ASSUME_ROLE, "UnexpectedAnswer", "no credentials")
        })?;
        let expiry = SystemTime::try_from(*issued.expiration()).ok();
        let credentials = Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            expiry,
            "member-role",
        );
        tracing::info!(%account, role = %role_arn, "assumed the member role");
        self.lock_credentials().insert(account.clone(), credentials.clone());
        Ok(credentials)
    }

    fn lock_credentials(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, Credentials>> {
        self.credentials.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn member_ports(
        &self,
        role: &MemberRole,
        account: &AccountId,
        region: &Region,
    ) -> Result<AwsPorts, ServiceFailure> {
        let key = (account.clone(), region.clone());
        {
            let opened = self.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((ports, expiry)) = opened.get(&key)
                && expiry.is_none_or(|expiry| expiry > SystemTime::now() + RENEW_BEFORE)
            {
                return Ok(ports.clone());
            }
        }
        let credentials = self.assume(role, account).await?;
        let expiry = credentials.expiry();
        let config = self.config.to_builder().credentials_provider(SharedCredentialsProvider::new(credentials)).build();
        let ports = ports_for(&config, Some(region.to_string()), self.accept_language);
        let mut opened = self.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        opened.insert(key, (ports.clone(), expiry));
        Ok(ports)
    }
}

fn kind_of(class: ErrorClass) -> FailureKind {
    match class {
        ErrorClass::Transient => FailureKind::Transient,
        // STS refuses a role it cannot find or may not hand out the same way: the role's trust, or its absence.
        _ => FailureKind::AccessDenied,
    }
}

impl Accounts for MemberAccounts {
    type Stacks = <OwnAccount as Accounts>::Stacks;
    type Provisioned = <OwnAccount as Accounts>::Provisioned;
    type Versions = <OwnAccount as Accounts>::Versions;
    type Importer = <OwnAccount as Accounts>::Importer;

    fn reaches(&self, account: &AccountId, home: &AccountId) -> bool {
        self.role.is_some() || account == home
    }

    async fn open(&self, scope: &Scope) -> Result<AwsPorts, ServiceFailure> {
        let Scope::Stack { account, region } = scope else {
            return self.own.open(scope).await;
        };
        let own = self.own_account().await?;
        if account == own {
            return self.own.open(scope).await;
        }
        match &self.role {
            Some(role) => self.member_ports(role, account, region).await,
            // Read with the function's own credentials, another account's stack would only "not exist": say why.
            None => Err(ServiceFailure::new(
                FailureKind::AccessDenied,
                ASSUME_ROLE,
                "NoMemberRole",
                format!(
                    "the stack is in account {account}, not the function's own ({own}); importing in other accounts \
                     needs MEMBER_ROLE_NAME (docs/CONTRACT.md §8)"
                ),
            )),
        }
    }

    async fn organization(&self) -> Result<Vec<AccountId>, ServiceFailure> {
        if self.role.is_none() {
            return Err(crate::ports::no_organization());
        }
        let mut accounts = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_ACCOUNT_PAGES {
            let output =
                self.organizations.list_accounts().set_next_token(next_token.take()).send().await.map_err(|error| {
                    let failure = classify(error);
                    ServiceFailure::new(kind_of(failure.class), LIST_ACCOUNTS, failure.code, failure.message)
                })?;
            for account in output.accounts() {
                let active = account.state().is_some_and(|state| state.as_str() == "ACTIVE")
                    || account.status().is_some_and(|status| status.as_str() == "ACTIVE");
                if let (true, Some(Ok(id))) = (active, account.id().map(AccountId::parse)) {
                    accounts.push(id);
                }
            }
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(accounts),
            }
        }
        Ok(accounts)
    }
}
