//! The command line (the strict-mode switches included), and the one check on the environment: a CloudFormation
//! endpoint must be configured, so that the emulator never reads stacks from real AWS by accident. STS, which tells
//! a caller's account, is asked at the same local AWS unless `AWS_ENDPOINT_URL_STS` names another.

use std::time::Duration;

use crate::DEFAULT_ACCOUNT_ID;
use crate::catalog::ArtifactRules;
use crate::operations::OPERATIONS;
use crate::strict::{StrictMode, parse_latency};

pub const USAGE: &str = "\
usage: sc-emulator [--port PORT] [--cloudformation-endpoint URL] [--record-step-ms MS] [--account-id ID]
                   [--version-creating-ms MS] [--artifact-limit N]
                   [--search-lag-ms MS] [--failed-import-keeps-name] [--strict-idempotency]
                   [--https-template-urls] [--latency OPERATION=MS]...

  --port PORT                     port on 127.0.0.1 to listen on; 0 picks a free one (default 0)
  --cloudformation-endpoint URL   CloudFormation that imports read stacks from, e.g. moto on http://127.0.0.1:5000
                                  (default: AWS_ENDPOINT_URL_CLOUDFORMATION, else AWS_ENDPOINT_URL; one is required)
  --record-step-ms MS             time a record spends in CREATED and then in IN_PROGRESS (default 1000)
  --account-id ID                 account of requests without SigV4 credentials (default 123456789012, moto's
                                  default); a signed request is in the account STS (moto) gives its access key
  --version-creating-ms MS        time a provisioning artifact made from a stack (ImportFromPhysicalId) stays
                                  CREATING before it is AVAILABLE (default 1000); one loaded from a URL is
                                  AVAILABLE at once
  --artifact-limit N              provisioning artifacts one product may hold, its first included; one more is a
                                  LimitExceededException (default 100, the service's default quota; at least 1)

Strict mode (every switch is off by default; see emulator/README.md, \"Strict mode\"):
  --search-lag-ms MS              SearchProvisionedProducts lists a provisioned product only MS after it was
                                  created, modelling an eventually consistent search (not documented by AWS: our
                                  guess; default 0: at once)
  --failed-import-keeps-name      a FAILED import leaves its provisioned product in status ERROR (listed, name and
                                  stack taken, LastRecordId = the failed record) instead of removing it
  --strict-idempotency            an import whose IdempotencyToken was used with another product, artifact, name
                                  or physical id is refused (InvalidParametersException) instead of answered with
                                  the first record
  --https-template-urls           artifact answers report Info.TemplateUrl with https:// in place of http://
                                  (the emulator still fetches the URL as given)
  --latency OPERATION=MS          OPERATION (e.g. SearchProvisionedProducts=8000) holds back its answer MS after
                                  it has run; repeatable. At run time: POST /_emulator/latency
                                  {\"operation\": \"…\", \"ms\": …} (emulator-only, not an AWS API)

Keeps one catalog per account and region: a request's region is its SigV4 credential scope's, its account the one
moto's STS GetCallerIdentity gives its access key (at AWS_ENDPOINT_URL_STS, else the CloudFormation endpoint).
Prints `listening on http://127.0.0.1:PORT` on stdout once ready; stops on SIGTERM or SIGINT.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub port: u16,
    pub cloudformation_endpoint: Option<String>,
    pub record_step: Duration,
    pub account_id: String,
    pub artifacts: ArtifactRules,
    pub strict: StrictMode,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 0,
            cloudformation_endpoint: None,
            record_step: Duration::from_millis(1000),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            artifacts: ArtifactRules::default(),
            strict: StrictMode::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
}

/// Parses the arguments after the program name; `--flag value` and `--flag=value` both work.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        let no_value = || match &inline {
            Some(_) => Err(format!("{flag} takes no value")),
            None => Ok(true),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => options.port = value()?.parse().map_err(|_| "--port must be a number from 0 to 65535")?,
            "--cloudformation-endpoint" => {
                let endpoint = value()?;
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(format!("--cloudformation-endpoint '{endpoint}' must be an http:// or https:// URL"));
                }
                options.cloudformation_endpoint = Some(endpoint);
            }
            "--record-step-ms" => {
                let millis: u64 = value()?.parse().map_err(|_| "--record-step-ms must be a whole number of ms")?;
                options.record_step = Duration::from_millis(millis);
            }
            "--account-id" => {
                let account = value()?;
                if account.len() != 12 || !account.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(format!("--account-id '{account}' must be 12 digits"));
                }
                options.account_id = account;
            }
            "--version-creating-ms" => {
                let millis: u64 = value()?.parse().map_err(|_| "--version-creating-ms must be a whole number of ms")?;
                options.artifacts.creating = Duration::from_millis(millis);
            }
            "--artifact-limit" => {
                let limit: usize = value()?.parse().map_err(|_| "--artifact-limit must be a whole number")?;
                if limit == 0 {
                    return Err(
                        "--artifact-limit must be at least 1 (a product is created with its first artifact)".to_owned()
                    );
                }
                options.artifacts.limit = limit;
            }
            "--search-lag-ms" => {
                let millis: u64 = value()?.parse().map_err(|_| "--search-lag-ms must be a whole number of ms")?;
                options.strict.rules.search_lag = Duration::from_millis(millis);
            }
            "--failed-import-keeps-name" => options.strict.rules.failed_import_keeps_name = no_value()?,
            "--strict-idempotency" => options.strict.rules.strict_idempotency = no_value()?,
            "--https-template-urls" => options.strict.https_template_urls = no_value()?,
            "--latency" => {
                let (operation, delay) = parse_latency(&value()?)?;
                if !OPERATIONS.contains(&operation.as_str()) {
                    return Err(format!(
                        "--latency: '{operation}' is not an operation of this emulator ({})",
                        OPERATIONS.join(", ")
                    ));
                }
                options.strict.latency.insert(operation, delay);
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Command::Run(options))
}

/// The emulator refuses to start without an explicit CloudFormation endpoint: without one the SDK would read
/// stacks from the real regional endpoint.
pub fn check_cloudformation_endpoint(options: &Options, env: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let configured = |name: &str| env(name).is_some_and(|value| !value.trim().is_empty());
    if options.cloudformation_endpoint.is_some()
        || configured("AWS_ENDPOINT_URL_CLOUDFORMATION")
        || configured("AWS_ENDPOINT_URL")
    {
        Ok(())
    } else {
        Err("no CloudFormation endpoint: pass --cloudformation-endpoint URL or set AWS_ENDPOINT_URL_CLOUDFORMATION \
             (or AWS_ENDPOINT_URL); the emulator does not read stacks from real AWS"
            .to_owned())
    }
}

/// Where callers' accounts are asked (STS `GetCallerIdentity`): `AWS_ENDPOINT_URL_STS`, else the CloudFormation
/// endpoint (the flag, `AWS_ENDPOINT_URL_CLOUDFORMATION`, `AWS_ENDPOINT_URL`), since moto serves every service on
/// one port. Always an explicit endpoint, so the real STS is never asked; None only when
/// `check_cloudformation_endpoint` fails.
pub fn sts_endpoint(options: &Options, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let configured = |name: &str| env(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
    configured("AWS_ENDPOINT_URL_STS")
        .or_else(|| options.cloudformation_endpoint.clone())
        .or_else(|| configured("AWS_ENDPOINT_URL_CLOUDFORMATION"))
        .or_else(|| configured("AWS_ENDPOINT_URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn every_flag_is_read_in_both_spellings() {
        let parsed = parse(args(
            "--port 4599 --cloudformation-endpoint=http://127.0.0.1:5000 --record-step-ms 50 --account-id=111122223333 \
             --version-creating-ms=250 --artifact-limit 7",
        ));
        let expected = Options {
            port: 4599,
            cloudformation_endpoint: Some("http://127.0.0.1:5000".to_owned()),
            record_step: Duration::from_millis(50),
            account_id: "111122223333".to_owned(),
            artifacts: ArtifactRules { creating: Duration::from_millis(250), limit: 7 },
            strict: StrictMode::default(),
        };
        assert_eq!(parsed, Ok(Command::Run(expected)));
        let Ok(Command::Run(options)) = parse(args("--version-creating-ms 0 --artifact-limit=1")) else {
            panic!("zero creating time")
        };
        assert_eq!(options.artifacts, ArtifactRules { creating: Duration::ZERO, limit: 1 });
    }

    #[test]
    fn every_strict_switch_is_read_and_latency_repeats() {
        let parsed = parse(args(
            "--search-lag-ms 1500 --failed-import-keeps-name --strict-idempotency --https-template-urls \
             --latency SearchProvisionedProducts=8000 --latency=DescribeRecord=20 --latency DescribeRecord=30",
        ));
        let Ok(Command::Run(options)) = parsed else { panic!("{parsed:?}") };
        let strict = options.strict;
        assert_eq!(strict.rules.search_lag, Duration::from_millis(1500));
        assert!(strict.rules.failed_import_keeps_name && strict.rules.strict_idempotency);
        assert!(strict.https_template_urls);
        let latency: Vec<_> = strict.latency.iter().map(|(name, delay)| (name.as_str(), delay.as_millis())).collect();
        assert_eq!(latency, [("DescribeRecord", 30), ("SearchProvisionedProducts", 8000)]);
    }

    #[test]
    fn without_strict_switches_the_emulator_is_as_lenient_as_before() {
        let Ok(Command::Run(options)) = parse(Vec::new()) else { panic!("no arguments") };
        assert_eq!(options.strict, StrictMode::default());
        assert!(options.strict.rules.search_lag.is_zero() && options.strict.latency.is_empty());
        assert!(!options.strict.rules.failed_import_keeps_name && !options.strict.rules.strict_idempotency);
        assert!(!options.strict.https_template_urls);
    }

    #[test]
    fn a_bad_strict_switch_is_an_error_naming_it() {
        assert!(parse(args("--latency ProvisionProduct=5")).expect_err("unknown op").contains("ProvisionProduct"));
        assert!(parse(args("--latency DescribeRecord")).expect_err("no ms").contains("OPERATION=MS"));
        assert!(parse(args("--strict-idempotency=yes")).expect_err("value").contains("takes no value"));
        assert!(parse(args("--search-lag-ms soon")).expect_err("lag").contains("--search-lag-ms"));
    }

    #[test]
    fn the_help_names_every_flag() {
        for flag in [
            "--port",
            "--cloudformation-endpoint",
            "--record-step-ms",
            "--account-id",
            "--version-creating-ms",
            "--artifact-limit",
            "--search-lag-ms",
            "--failed-import-keeps-name",
            "--strict-idempotency",
            "--https-template-urls",
            "--latency",
            "/_emulator/latency",
        ] {
            assert!(USAGE.contains(flag), "{flag}");
        }
    }

    #[test]
    fn no_arguments_mean_any_port_and_one_second_steps() {
        assert_eq!(parse(Vec::new()), Ok(Command::Run(Options::default())));
        assert_eq!(Options::default().record_step, Duration::from_secs(1));
    }

    #[test]
    fn by_default_a_version_is_creating_for_one_second_and_a_product_holds_100() {
        let artifacts = Options::default().artifacts;
        assert_eq!((artifacts.creating, artifacts.limit), (Duration::from_secs(1), 100));
    }

    #[test]
    fn a_bad_artifact_switch_is_an_error_naming_it() {
        assert!(parse(args("--version-creating-ms soon")).expect_err("ms").contains("--version-creating-ms"));
        assert!(parse(args("--version-creating-ms -1")).expect_err("negative").contains("--version-creating-ms"));
        assert!(parse(args("--artifact-limit 0")).expect_err("zero").contains("at least 1"));
        assert!(parse(args("--artifact-limit many")).expect_err("limit").contains("--artifact-limit"));
        assert!(parse(args("--artifact-limit")).expect_err("missing").contains("needs a value"));
    }

    #[test]
    fn a_bad_or_unknown_argument_is_an_error_naming_it() {
        assert!(parse(args("--port lots")).expect_err("port").contains("--port"));
        assert!(parse(args("--verbose")).expect_err("unknown").contains("--verbose"));
        assert!(parse(args("--record-step-ms")).expect_err("missing").contains("needs a value"));
        assert!(parse(args("--cloudformation-endpoint 127.0.0.1:5000")).is_err());
    }

    #[test]
    fn sts_is_asked_at_its_own_endpoint_else_where_cloudformation_is() {
        let moto = "http://127.0.0.1:5000";
        let flagged = Options { cloudformation_endpoint: Some(moto.to_owned()), ..Options::default() };
        let none = |_: &str| None;
        assert_eq!(sts_endpoint(&flagged, none).as_deref(), Some(moto));
        let sts_env = |name: &str| (name == "AWS_ENDPOINT_URL_STS").then(|| "http://127.0.0.1:5001".to_owned());
        assert_eq!(sts_endpoint(&flagged, sts_env).as_deref(), Some("http://127.0.0.1:5001"));
        let cloudformation_env =
            |name: &str| (name == "AWS_ENDPOINT_URL_CLOUDFORMATION").then(|| "http://127.0.0.1:5002".to_owned());
        assert_eq!(sts_endpoint(&Options::default(), cloudformation_env).as_deref(), Some("http://127.0.0.1:5002"));
        let global = |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:5003".to_owned());
        assert_eq!(sts_endpoint(&Options::default(), global).as_deref(), Some("http://127.0.0.1:5003"));
        assert_eq!(sts_endpoint(&Options::default(), none), None);
    }

    #[test]
    fn help_is_a_command() {
        assert_eq!(parse(args("--help")), Ok(Command::Help));
    }

    #[test]
    fn a_cloudformation_endpoint_must_come_from_the_flag_or_the_environment() {
        let none = |_: &str| None;
        assert!(check_cloudformation_endpoint(&Options::default(), none).is_err());
        let global = |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:5000".to_owned());
        assert!(check_cloudformation_endpoint(&Options::default(), global).is_ok());
        let flagged =
            Options { cloudformation_endpoint: Some("http://127.0.0.1:5000".to_owned()), ..Options::default() };
        assert!(check_cloudformation_endpoint(&flagged, none).is_ok());
    }
}
