//! The sizes a template may have, shared by the parser and the alias guard.

/// CloudFormation accepts template bodies of at most 1 MB (from S3; 51,200 bytes inline), so a larger body cannot be
/// a deployable template and is refused before any parser sees it. Callers may also stop downloading at this size.
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;
