//! Who a request comes from: the account and region it acts in (which catalog it sees), and the access key the
//! emulator acts with on its behalf when it reads a stack.
//!
//! The region is the one the request was signed for, from its SigV4 credential scope. The account is the one moto
//! attributes the access key to, found the way moto finds it: the emulator calls STS `GetCallerIdentity` signed
//! with the caller's access key id and a placeholder secret (moto checks no signature; a local-only shortcut), and
//! remembers the answer for that key. A key moto does not know is moto's default account (123456789012); a key from
//! an `AssumeRole` is the role's account. A request without SigV4 credentials acts in the default account and region.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_sts::Client;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{IdentityCache, Region};
use aws_sdk_sts::error::{DisplayErrorContext, SdkError};

use crate::catalog::Scope;
use crate::error::{ErrorCode, ServiceError};
use crate::sdk::{caller_credentials, local_config};
use crate::wire::CredentialScope;

/// How many access keys are remembered before the memory starts again (each is one small entry; a run that assumes
/// more roles than this only asks STS again).
const MAX_KNOWN_KEYS: usize = 10_000;

/// The credentials a request was signed with, as far as a request shows them: the access key id, and the session
/// token of temporary credentials. Never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerKey {
    pub access_key_id: String,
    pub session_token: Option<String>,
}

/// The account and region a request acts in, and its credentials (None for a request without SigV4 credentials,
/// which the emulator serves as itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scope: Scope,
    pub key: Option<CallerKey>,
}

/// Why STS could not tell an access key's account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Nothing answered (no moto running, a closed port, a timeout).
    #[error("STS could not be reached: {0}")]
    Unreachable(String),
    /// STS answered, but not with an account.
    #[error("STS did not tell the account: {0}")]
    Refused(String),
}

/// STS `GetCallerIdentity`, asked as a caller.
#[derive(Debug, Clone)]
pub struct StsIdentities {
    client: Client,
}

impl StsIdentities {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The account STS attributes `key` to, asked in `region` with `key`'s access key id and the placeholder secret.
    pub async fn account_of(&self, key: &CallerKey, region: &str) -> Result<String, IdentityError> {
        let config = self
            .client
            .config()
            .to_builder()
            .credentials_provider(caller_credentials(&key.access_key_id, key.session_token.as_deref()))
            .identity_cache(IdentityCache::no_cache())
            .region(Region::new(region.to_owned()))
            .build();
        match Client::from_conf(config).get_caller_identity().send().await {
            Ok(output) => match output.account() {
                Some(account) if account.len() == 12 && account.bytes().all(|byte| byte.is_ascii_digit()) => {
                    Ok(account.to_owned())
                }
                other => Err(IdentityError::Refused(format!("GetCallerIdentity answered the account {other:?}"))),
            },
            Err(error) => {
                let text = DisplayErrorContext(&error).to_string();
                if matches!(error, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
                    Err(IdentityError::Unreachable(text))
                } else {
                    Err(IdentityError::Refused(text))
                }
            }
        }
    }
}

/// The STS client, aimed at `endpoint` (the caller resolves it, so it is never the real STS). No retries and a
/// short timeout: the lookup is local, and a failed one is simply asked again by the next request.
pub async fn sts_identities(endpoint: &str) -> StsIdentities {
    let shared = local_config(Duration::from_secs(10)).await;
    let config =
        aws_sdk_sts::config::Builder::from(&shared).endpoint_url(endpoint).retry_config(RetryConfig::disabled());
    StsIdentities::new(Client::from_conf(config.build()))
}

/// Access key id → account, as STS told them. A key belongs to one account for its whole life (moto makes a new
/// key for every `AssumeRole`), so an answer is kept; only answers are kept, never failures.
#[derive(Debug, Default)]
struct KnownKeys {
    accounts: HashMap<String, String>,
}

impl KnownKeys {
    fn get(&self, access_key_id: &str) -> Option<String> {
        self.accounts.get(access_key_id).cloned()
    }

    fn remember(&mut self, access_key_id: &str, account: &str) {
        if self.accounts.len() >= MAX_KNOWN_KEYS {
            self.accounts.clear();
        }
        self.accounts.insert(access_key_id.to_owned(), account.to_owned());
    }
}

/// Tells each request's account and region.
#[derive(Debug)]
pub struct Accounts {
    identities: StsIdentities,
    known: Mutex<KnownKeys>,
    default: Scope,
}

impl Accounts {
    /// `default`: the account and region of requests without SigV4 credentials.
    pub fn new(identities: StsIdentities, default: Scope) -> Self {
        Self { identities, known: Mutex::new(KnownKeys::default()), default }
    }

    pub fn default_scope(&self) -> &Scope {
        &self.default
    }

    /// The caller of a request with these `Authorization` and `X-Amz-Security-Token` headers. When STS cannot be
    /// reached at all, the request is the default account's (logged; not remembered, so the next request asks again):
    /// without moto no stack can be read anyway, and the catalog stays usable on its own. When STS answers without an
    /// account, the request fails with InternalFailure.
    pub async fn caller(
        &self,
        authorization: Option<&str>,
        security_token: Option<&str>,
    ) -> Result<Caller, ServiceError> {
        let Some(CredentialScope { access_key_id, region }) = crate::wire::credential_scope(authorization) else {
            return Ok(Caller { scope: self.default.clone(), key: None });
        };
        let key = CallerKey { access_key_id, session_token: security_token.map(str::to_owned) };
        let known = self.known_keys().get(&key.access_key_id);
        let account = match known {
            Some(account) => account,
            None => match self.identities.account_of(&key, &region).await {
                Ok(account) => {
                    tracing::debug!(access_key_id = %key.access_key_id, %account, "STS: the access key's account");
                    self.known_keys().remember(&key.access_key_id, &account);
                    account
                }
                Err(IdentityError::Unreachable(reason)) => {
                    tracing::warn!(access_key_id = %key.access_key_id, account = %self.default.account, %reason,
                        "STS could not be reached: the request is the default account's");
                    self.default.account.clone()
                }
                Err(error @ IdentityError::Refused(_)) => {
                    return Err(ServiceError::new(
                        ErrorCode::InternalFailure,
                        format!("the account of access key {} could not be learned: {error}", key.access_key_id),
                    ));
                }
            },
        };
        Ok(Caller { scope: Scope::new(account, region), key: Some(key) })
    }

    /// A panic while holding the lock cannot leave the map half-changed (each change is one insert or clear).
    fn known_keys(&self) -> std::sync::MutexGuard<'_, KnownKeys> {
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_key_keeps_its_account_and_the_memory_is_bounded() {
        let mut known = KnownKeys::default();
        assert_eq!(known.get("ASIAEXAMPLE"), None);
        known.remember("ASIAEXAMPLE", "210987654321");
        assert_eq!(known.get("ASIAEXAMPLE").as_deref(), Some("210987654321"));
        for index in 0..MAX_KNOWN_KEYS {
            known.remember(&format!("KEY{index}"), "123456789012");
        }
        assert!(known.accounts.len() <= MAX_KNOWN_KEYS);
        assert_eq!(known.get(&format!("KEY{}", MAX_KNOWN_KEYS - 1)).as_deref(), Some("123456789012"));
    }

    #[tokio::test]
    async fn a_request_without_sigv4_credentials_is_the_default_account_in_the_default_region() {
        // Nothing listens on port 9: a signed request would fall back too, but an unsigned one never asks.
        let accounts =
            Accounts::new(sts_identities("http://127.0.0.1:9").await, Scope::new("123456789012", "eu-west-2"));
        for authorization in [None, Some("Bearer x")] {
            let caller = accounts.caller(authorization, Some("token")).await.expect("caller");
            assert_eq!(caller, Caller { scope: Scope::new("123456789012", "eu-west-2"), key: None });
        }
    }

    #[tokio::test]
    async fn a_signed_request_while_sts_is_unreachable_is_the_default_account_in_its_own_region() {
        let accounts =
            Accounts::new(sts_identities("http://127.0.0.1:9").await, Scope::new("123456789012", "us-east-1"));
        let header = "AWS4-HMAC-SHA256 Credential=ASIAMEMBER/20261128/eu-west-1/servicecatalog/aws4_request, x";
        let caller = accounts.caller(Some(header), Some("session")).await.expect("caller");
        assert_eq!(caller.scope, Scope::new("123456789012", "eu-west-1"));
        let key = CallerKey { access_key_id: "ASIAMEMBER".to_owned(), session_token: Some("session".to_owned()) };
        assert_eq!(caller.key, Some(key));
        assert_eq!(accounts.known_keys().get("ASIAMEMBER"), None, "a failure is not remembered");
    }
}
