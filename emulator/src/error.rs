//! The errors the emulator answers with, named as the service names them in `__type`.

use std::fmt;

/// Exception names from the Service Catalog API reference, plus the generic AWS JSON protocol errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter is missing, malformed or not acceptable (including an inactive artifact and a nested stack).
    InvalidParameters,
    /// A product, artifact, record or stack does not exist.
    ResourceNotFound,
    /// A provisioned product with that name or that physical id already exists.
    DuplicateResource,
    /// The stack's status does not allow an import, or another import is running.
    InvalidState,
    /// A quota is reached: the provisioning artifacts of one product (`--artifact-limit`).
    LimitExceeded,
    /// The `X-Amz-Target` names no operation this emulator implements.
    UnknownOperation,
    /// The body is not a JSON object of the operation's shape.
    Serialization,
    /// The emulator could not do its part (CloudFormation unreachable): the caller may retry.
    InternalFailure,
}

impl ErrorCode {
    /// The `__type` the SDK matches on.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::InvalidParameters => "InvalidParametersException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::DuplicateResource => "DuplicateResourceException",
            Self::InvalidState => "InvalidStateException",
            Self::LimitExceeded => "LimitExceededException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::Serialization => "SerializationException",
            Self::InternalFailure => "InternalFailure",
        }
    }

    /// Client errors are 400 in AWS JSON 1.1; a failure on the service's side is 500 (which the SDK retries).
    pub fn http_status(self) -> u16 {
        match self {
            Self::InternalFailure => 500,
            _ => 400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn invalid_parameters(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameters, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFound, message)
    }

    pub fn duplicate(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DuplicateResource, message)
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, message)
    }

    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::LimitExceeded, message)
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.code.type_name(), self.message)
    }
}

impl std::error::Error for ServiceError {}
