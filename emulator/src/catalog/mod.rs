//! The catalog: products, their provisioning artifacts, provisioned products and records, and the rules each
//! operation applies to them. Pure: "now" is an argument, and stacks arrive as facts already read from CloudFormation.
//!
//! A record is not moved by a timer: its status is computed from its age whenever it is read (CREATED for one step,
//! IN_PROGRESS for the next, then its ending), so a stopped clock in tests stops every record with it.
//!
//! A `Catalog` is one account's in one region; `Catalogs` holds one per account and region.
//!
//! Layers, lowest first (a module imports only those before it): `state` (the types), `products` (products and
//! artifacts, SearchProducts), `records` (records and provisioned products as they stand at a moment), `import` (the import
//! lifecycle), `scopes` (one catalog per account and region); `fixtures` (tests only) builds on `state`. This file
//! only re-exports them, so callers keep writing `crate::catalog::X`.

mod import;
mod products;
mod records;
mod scopes;
mod state;

#[cfg(test)]
mod fixtures;

pub use import::check_stack;
pub use scopes::Catalogs;
pub use state::{
    Artifact, ArtifactPlan, ArtifactRef, ArtifactRequest, ArtifactRules, ArtifactStatus, ArtifactUpdate, Catalog,
    CatalogRules, DEFAULT_ARTIFACT_LIMIT, DEFAULT_VERSION_CREATING, Guidance, IMPORT_RECORD_TYPE,
    IMPORTABLE_STACK_STATUSES, ImportPlan, ImportRequest, NewArtifact, NewProduct, PROVISIONED_PRODUCT_TYPE, Product,
    ProductPage, ProductRef, ProvisionedProduct, ProvisionedProductView, Record, RecordEnding, RecordError,
    RecordStatus, RecordView, Scope, SearchPage, StackFacts, TEMPLATE_ARTIFACT_TYPE, TemplateOrigin, TemplateSource,
};
