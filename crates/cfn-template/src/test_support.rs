//! Helpers the modules' unit tests share: parsing that fails the test on an unexpected outcome, and one template
//! written both as YAML and as JSON.

use crate::{Difference, DifferenceKind, Template, TemplateParseError, describe};

pub(crate) fn template(body: &str) -> Template {
    match Template::parse(body) {
        Ok(template) => template,
        Err(error) => panic!("expected a template, got: {error}\n{body}"),
    }
}

pub(crate) fn parse_error(body: &str) -> TemplateParseError {
    match Template::parse(body) {
        Ok(template) => panic!("expected an error, got: {template:?}"),
        Err(error) => error,
    }
}

pub(crate) fn same(stack: &str, artifact: &str) {
    let differences = template(stack).differences(&template(artifact));
    assert!(differences.is_empty(), "{}", describe(&differences, 5));
}

pub(crate) fn only(kind: DifferenceKind, path: &str) -> Difference {
    Difference { path: path.to_owned(), kind }
}

pub(crate) const YAML_TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: Payments API
Parameters:
  Stage:
    Type: String
    Default: prod
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
      VersioningConfiguration:
        Status: Enabled
Outputs:
  BucketArn:
    Value: !GetAtt Bucket.Arn
"#;

pub(crate) const JSON_TEMPLATE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "Payments API",
  "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
  "Resources": {
    "Bucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-data"},
        "VersioningConfiguration": {"Status": "Enabled"}
      }
    }
  },
  "Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}}
}"#;
