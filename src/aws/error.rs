//! SDK errors, whatever the service, as the port's `ServiceError`.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::ports::{ServiceError, ServiceErrorKind};

/// Classifies a failed call by error code (the same codes across services) and, failing that, by HTTP status.
pub fn service_error<E>(error: SdkError<E, HttpResponse>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("Unknown").to_owned();
            let message = context.err().message().unwrap_or_default().to_owned();
            let status = context.raw().status().as_u16();
            ServiceError::new(kind_of(&code, &message, status), code, message)
        }
        // No answer, or no usable answer: the network, a timeout, a truncated response. Another attempt may work.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ServiceError::new(ServiceErrorKind::Transient, "TransportError", display_chain(&error))
        }
        _ => ServiceError::new(ServiceErrorKind::Other, "RequestNotSent", display_chain(&error)),
    }
}

fn kind_of(code: &str, message: &str, status: u16) -> ServiceErrorKind {
    match code {
        "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException" => ServiceErrorKind::Throttled,
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
        | "MissingAuthenticationToken" => ServiceErrorKind::AccessDenied,
        "ResourceNotFoundException" | "NotFound" | "NotFoundException" => ServiceErrorKind::NotFound,
        // CloudFormation reports an unknown stack as a ValidationError "Stack with id X does not exist".
        "ValidationError" if message.contains("does not exist") => ServiceErrorKind::NotFound,
        "DuplicateResourceException" => ServiceErrorKind::DuplicateResource,
        "InvalidStateException" => ServiceErrorKind::InvalidState,
        "InvalidParametersException" => ServiceErrorKind::InvalidParameters,
        "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException" => ServiceErrorKind::Transient,
        _ if status == 429 => ServiceErrorKind::Throttled,
        _ if status >= 500 => ServiceErrorKind::Transient,
        _ if status == 403 => ServiceErrorKind::AccessDenied,
        _ => ServiceErrorKind::Other,
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
    fn codes_map_to_the_kinds_the_importer_reacts_to() {
        assert_eq!(kind_of("ThrottlingException", "", 400), ServiceErrorKind::Throttled);
        assert_eq!(kind_of("Throttling", "Rate exceeded", 400), ServiceErrorKind::Throttled);
        assert_eq!(kind_of("AccessDeniedException", "", 400), ServiceErrorKind::AccessDenied);
        assert_eq!(kind_of("AuthorizationError", "", 403), ServiceErrorKind::AccessDenied);
        assert_eq!(kind_of("ResourceNotFoundException", "", 400), ServiceErrorKind::NotFound);
        assert_eq!(kind_of("ValidationError", "Stack with id x does not exist", 400), ServiceErrorKind::NotFound);
        assert_eq!(kind_of("ValidationError", "Template format error", 400), ServiceErrorKind::Other);
        assert_eq!(kind_of("DuplicateResourceException", "", 400), ServiceErrorKind::DuplicateResource);
        assert_eq!(kind_of("InvalidStateException", "", 400), ServiceErrorKind::InvalidState);
        assert_eq!(kind_of("InvalidParametersException", "", 400), ServiceErrorKind::InvalidParameters);
        assert_eq!(kind_of("InternalFailure", "", 500), ServiceErrorKind::Transient);
        assert_eq!(kind_of("Whatever", "", 503), ServiceErrorKind::Transient);
        assert_eq!(kind_of("Whatever", "", 429), ServiceErrorKind::Throttled);
        assert_eq!(kind_of("Whatever", "", 400), ServiceErrorKind::Other);
    }
}
