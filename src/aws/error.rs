//! SDK errors, whatever the service, classified by their code; each adapter decides what a class means for its
//! operation. The only place that reads AWS exception names and messages.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::ports::{FailureKind, Missing, ServiceFailure};

/// What a service's error code says, before an adapter decides what it means for its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// ResourceNotFoundException, or CloudFormation's ValidationError "… does not exist".
    NotFound,
    AccessDenied,
    /// Throttled (after the SDK's own retries), 5xx, no usable answer.
    Transient,
    DuplicateResource,
    InvalidState,
    InvalidParameters,
    /// A quota is reached (LimitExceededException): not throttling, so no retry frees it.
    LimitExceeded,
    Other,
}

/// A failed SDK call: its class, and the service's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SdkFailure {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for SdkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl SdkFailure {
    /// The port's failure for `operation`: what the caller can do about it.
    pub fn into_failure(self, operation: &'static str) -> ServiceFailure {
        let kind = match self.class {
            ErrorClass::AccessDenied => FailureKind::AccessDenied,
            ErrorClass::Transient => FailureKind::Transient,
            _ => FailureKind::Permanent,
        };
        ServiceFailure::new(kind, operation, self.code, self.message)
    }

    /// Which resource a ResourceNotFoundException is about, by what its message names (the exception has no field
    /// for it); an artifact when the message names nothing.
    pub fn missing(&self) -> Missing {
        let said = self.message.to_ascii_lowercase();
        if said.contains("artifact") {
            Missing::Artifact
        } else if said.contains("product") {
            Missing::Product
        } else if said.contains("stack") {
            Missing::Stack
        } else {
            Missing::Artifact
        }
    }
}

/// Classifies a failed call by error code (the same codes across services) and, failing that, by HTTP status.
pub(crate) fn classify<E>(error: SdkError<E, HttpResponse>) -> SdkFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = |class, code: &str, message: String| SdkFailure { class, code: code.to_owned(), message };
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown");
            let message = context.err().message().unwrap_or_default().to_owned();
            let status = context.raw().status().as_u16();
            failure(class_of(code, &message, status), code, message)
        }
        // No answer, or no usable answer: the network, a timeout, a truncated response. Another attempt may work.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            failure(ErrorClass::Transient, "TransportError", display_chain(&error))
        }
        _ => failure(ErrorClass::Other, "RequestNotSent", display_chain(&error)),
    }
}

/// A failed call whose every class but access and transience means the same to the caller.
pub(crate) fn failure<E>(operation: &'static str) -> impl Fn(SdkError<E, HttpResponse>) -> ServiceFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |error| classify(error).into_failure(operation)
}

/// An answer the adapter cannot use (a missing id, a malformed one): not worth another attempt.
pub(crate) fn unexpected(operation: &'static str, what: impl Into<String>) -> ServiceFailure {
    ServiceFailure::new(FailureKind::Permanent, operation, "UnexpectedResponse", what)
}

fn class_of(code: &str, message: &str, status: u16) -> ErrorClass {
    match code {
        "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException" => ErrorClass::Transient,
        "AccessDeniedException"
        | "AccessDenied"
        | "AuthorizationError"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => ErrorClass::AccessDenied,
        "ResourceNotFoundException" | "NotFound" | "NotFoundException" => ErrorClass::NotFound,
        // CloudFormation reports an unknown stack as a ValidationError "Stack with id X does not exist".
        "ValidationError" if message.contains("does not exist") => ErrorClass::NotFound,
        "DuplicateResourceException" => ErrorClass::DuplicateResource,
        "InvalidStateException" => ErrorClass::InvalidState,
        "InvalidParametersException" => ErrorClass::InvalidParameters,
        "LimitExceededException" => ErrorClass::LimitExceeded,
        "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException" => ErrorClass::Transient,
        _ if status == 429 || status >= 500 => ErrorClass::Transient,
        _ if status == 403 => ErrorClass::AccessDenied,
        _ => ErrorClass::Other,
    }
}

/// The error and its causes on one line: the SDK's top-level Display alone often says only "dispatch failure".
pub(crate) fn display_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_classes_the_adapters_react_to() {
        assert_eq!(class_of("ThrottlingException", "", 400), ErrorClass::Transient);
        assert_eq!(class_of("Throttling", "Rate exceeded", 400), ErrorClass::Transient);
        assert_eq!(class_of("AccessDeniedException", "", 400), ErrorClass::AccessDenied);
        assert_eq!(class_of("AuthorizationError", "", 403), ErrorClass::AccessDenied);
        assert_eq!(class_of("ResourceNotFoundException", "", 400), ErrorClass::NotFound);
        assert_eq!(class_of("ValidationError", "Stack with id x does not exist", 400), ErrorClass::NotFound);
        assert_eq!(class_of("ValidationError", "Template format error", 400), ErrorClass::Other);
        assert_eq!(class_of("DuplicateResourceException", "", 400), ErrorClass::DuplicateResource);
        assert_eq!(class_of("InvalidStateException", "", 400), ErrorClass::InvalidState);
        assert_eq!(class_of("InvalidParametersException", "", 400), ErrorClass::InvalidParameters);
        assert_eq!(class_of("InternalFailure", "", 500), ErrorClass::Transient);
        assert_eq!(class_of("Whatever", "", 503), ErrorClass::Transient);
        assert_eq!(class_of("Whatever", "", 429), ErrorClass::Transient);
        assert_eq!(class_of("Whatever", "", 400), ErrorClass::Other);
    }

    fn not_found(message: &str) -> SdkFailure {
        SdkFailure { class: ErrorClass::NotFound, code: "ResourceNotFoundException".into(), message: message.into() }
    }

    #[test]
    fn a_not_found_message_names_the_missing_resource() {
        assert_eq!(not_found("Provisioning artifact pa-1 not found for product prod-1").missing(), Missing::Artifact);
        assert_eq!(not_found("Product prod-1 not found").missing(), Missing::Product);
        assert_eq!(not_found("Stack arn:… does not exist").missing(), Missing::Stack);
        assert_eq!(not_found("").missing(), Missing::Artifact);
    }

    #[test]
    fn only_access_and_transience_survive_into_the_port() {
        let failure = |class| SdkFailure { class, code: "C".into(), message: "m".into() }.into_failure("Op");
        assert_eq!(failure(ErrorClass::AccessDenied).kind, FailureKind::AccessDenied);
        assert_eq!(failure(ErrorClass::Transient).kind, FailureKind::Transient);
        assert_eq!(failure(ErrorClass::InvalidState).kind, FailureKind::Permanent);
        assert_eq!(failure(ErrorClass::Other).to_string(), "Op failed: C: m");
    }
}
