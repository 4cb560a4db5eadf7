//! Semantic comparison of CloudFormation templates: whether two template bodies (a stack's and a Service Catalog
//! provisioning artifact's, say) are the same template once JSON vs YAML, key order, formatting, comments and
//! short-form tags are set aside; if not, where they first differ; and a fingerprint that is equal exactly when
//! they are the same.
//!
//! ```text
//! body ──parse──▶ Template ──differences──▶ Vec<Difference> ──describe──▶ "Resources.Q only in the stack; …"
//!                    └──────fingerprint──▶ Fingerprint (SHA-256 hex)
//! ```
//!
//! Modules, in the order a body goes through them:
//!
//! - `limits`: the size cap ([`MAX_TEMPLATE_BYTES`]);
//! - `parse`: JSON or YAML, and [`Template::parse`];
//! - `alias_guard`: refuses YAML whose aliases would expand too far (in values or in text), before they are
//!   expanded, by counting them on a probe copy made by `alias_probe`;
//! - `yaml_tags`: YAML to JSON values, short-form tags (`!Ref`, `!GetAtt a.b`, `!Sub` …) to long form;
//! - `canonical`: the canonical form a [`Template`] holds (scalars as strings, `Fn::GetAtt` as a list);
//! - `differences`: [`Template::differences`], [`Difference`], [`DifferenceKind`], [`describe`];
//! - `fingerprint`: [`Template::fingerprint`], [`Fingerprint`], and [`Template::canonical_json`], the text hashed;
//! - `error`: [`TemplateParseError`].

mod alias_guard;
mod alias_probe;
mod canonical;
mod differences;
mod error;
mod fingerprint;
mod limits;
mod parse;
mod yaml_tags;

#[cfg(test)]
mod test_support;

pub use canonical::Template;
pub use differences::{Difference, DifferenceKind, MAX_DIFFERENCES, describe};
pub use error::TemplateParseError;
pub use fingerprint::Fingerprint;
pub use limits::MAX_TEMPLATE_BYTES;
