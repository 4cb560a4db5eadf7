//! The per-account seam for the function's own account: the ports of a stack's region, made from the one
//! `SdkConfig` loaded at init, with the function's own credentials.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_config::SdkConfig;

use super::{
    CloudFormationStackReader, ServiceCatalogImporter, ServiceCatalogProductVersions, ServiceCatalogProvisionedProducts,
};
use crate::config::AcceptLanguage;
use crate::ids::Scope;
use crate::ports::{AccountPorts, Accounts, ServiceFailure};

/// The AWS ports of one region.
pub type AwsPorts = AccountPorts<
    CloudFormationStackReader,
    ServiceCatalogProvisionedProducts,
    ServiceCatalogProductVersions,
    ServiceCatalogImporter,
>;

/// Opens ports with the function's own credentials, in the stack's region (Service Catalog imports a stack only in
/// its own region). Another account's stack is looked up with these credentials too, and CloudFormation answers
/// that it does not exist: importing in other accounts needs a member role, which this seam does not assume.
pub struct OwnAccount {
    config: SdkConfig,
    accept_language: AcceptLanguage,
    /// Clients per region, built on first use and kept for the warm invocations after it. `None`: the home region.
    opened: Mutex<HashMap<Option<String>, AwsPorts>>,
}

impl OwnAccount {
    pub fn new(config: SdkConfig, accept_language: AcceptLanguage) -> Self {
        Self { config, accept_language, opened: Mutex::new(HashMap::new()) }
    }

    fn ports(&self, region: Option<&str>) -> AwsPorts {
        let home = self.config.region().map(|home| home.as_ref());
        // The home region's stacks share the clients built without a region override.
        let region = region.filter(|region| Some(*region) != home).map(str::to_owned);
        let mut opened = self.opened.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        opened.entry(region.clone()).or_insert_with(|| self.build(region)).clone()
    }

    fn build(&self, region: Option<String>) -> AwsPorts {
        ports_for(&self.config, region, self.accept_language)
    }
}

/// The ports made from `config` (its credentials), in `region` when given, else in the config's own.
pub fn ports_for(config: &SdkConfig, region: Option<String>, accept_language: AcceptLanguage) -> AwsPorts {
    let mut cloudformation = aws_sdk_cloudformation::config::Builder::from(config);
    let mut catalog = aws_sdk_servicecatalog::config::Builder::from(config);
    if let Some(region) = region.map(aws_config::Region::new) {
        cloudformation = cloudformation.region(region.clone());
        catalog = catalog.region(region);
    }
    let catalog = aws_sdk_servicecatalog::Client::from_conf(catalog.build());
    AccountPorts {
        stacks: CloudFormationStackReader::new(aws_sdk_cloudformation::Client::from_conf(cloudformation.build())),
        provisioned: ServiceCatalogProvisionedProducts::new(catalog.clone(), accept_language),
        versions: ServiceCatalogProductVersions::new(catalog.clone(), accept_language),
        importer: ServiceCatalogImporter::new(catalog, accept_language),
    }
}

impl Accounts for OwnAccount {
    type Stacks = CloudFormationStackReader;
    type Provisioned = ServiceCatalogProvisionedProducts;
    type Versions = ServiceCatalogProductVersions;
    type Importer = ServiceCatalogImporter;

    async fn open(&self, scope: &Scope) -> Result<AwsPorts, ServiceFailure> {
        Ok(match scope {
            Scope::Home => self.ports(None),
            Scope::Stack { region, .. } => self.ports(Some(region.as_str())),
        })
    }
}
