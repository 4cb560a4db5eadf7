//! The error for a body that cannot be read as a template, with the parser's position when it reported one.

use std::fmt;

/// Why a body is not a template that can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParseError {
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

impl TemplateParseError {
    pub(crate) fn new(message: String) -> Self {
        TemplateParseError { message, line: None, column: None }
    }

    pub(crate) fn json(error: &serde_json::Error) -> Self {
        TemplateParseError {
            message: format!("template is not valid JSON: {error}"),
            // serde_json reports line 0 when the error has no position.
            line: Some(error.line()).filter(|line| *line > 0),
            column: Some(error.column()).filter(|_| error.line() > 0),
        }
    }

    pub(crate) fn yaml(error: &serde_norway::Error) -> Self {
        let location = error.location();
        TemplateParseError {
            message: format!("template is not valid YAML: {error}"),
            line: location.as_ref().map(serde_norway::Location::line),
            column: location.as_ref().map(serde_norway::Location::column),
        }
    }

    /// The 1-based line the parser stopped at, when it reported one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column the parser stopped at, when it reported one.
    pub fn column(&self) -> Option<usize> {
        self.column
    }
}

impl fmt::Display for TemplateParseError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Both parsers already end their messages with "at line L column C".
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for TemplateParseError {}
