//! A failed AWS call, classified by the adapter that made it into what the caller can do about it.

/// How an AWS call failed, by what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The caller's credentials may not do this: a person must grant it.
    AccessDenied,
    /// Throttling (after the SDK's own retries), 5xx, timeouts, connection failures: another attempt may succeed.
    Transient,
    /// Anything else: another attempt with the same input gets the same answer.
    Permanent,
}

/// A failed AWS call: which operation, how it failed, and the service's own code and message for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {code}: {message}")]
pub struct ServiceFailure {
    pub kind: FailureKind,
    pub operation: &'static str,
    /// The service's error code (e.g. `ThrottlingException`), or what went wrong on the way (`TransportError`).
    pub code: String,
    pub message: String,
}

impl ServiceFailure {
    pub fn new(
        kind: FailureKind,
        operation: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self { kind, operation, code: code.into(), message: message.into() }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        self.kind == FailureKind::Transient
    }
}
