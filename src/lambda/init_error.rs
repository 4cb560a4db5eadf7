//! Reporting an init failure (a malformed configuration) to the Lambda Runtime API's `/init/error`, so that the
//! invoker sees the message naming the variable instead of a bare "Runtime.ExitError". lambda_runtime reports only
//! its own SnapStart phases there.

use std::time::Duration;

use serde_json::json;

/// `Lambda-Runtime-Function-Error-Type` and `errorType` of a configuration failure.
pub const CONFIGURATION_ERROR: &str = "Runtime.ConfigurationError";

/// Posts the error to `http://<runtime api>/2018-06-01/runtime/init/error`. Best effort: the process exits with the
/// error either way, and Lambda records that too.
pub async fn report_init_error(runtime_api: &str, message: &str) -> Result<(), String> {
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(2)).build().map_err(|error| error.to_string())?;
    let response = client
        .post(format!("http://{runtime_api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", CONFIGURATION_ERROR)
        .header("Content-Type", "application/json")
        .body(json!({ "errorType": CONFIGURATION_ERROR, "errorMessage": message }).to_string())
        .send()
        .await
        .map_err(|error| error.without_url().to_string())?;
    if response.status().is_success() { Ok(()) } else { Err(format!("/init/error answered {}", response.status())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn an_init_failure_is_posted_to_the_runtime_api() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Read until the JSON body has arrived whole.
            while !String::from_utf8_lossy(&request).trim_end().ends_with('}') {
                let read = socket.read(&mut buffer).await.unwrap();
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            socket.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await.unwrap();
            String::from_utf8(request).unwrap()
        });

        report_init_error(&address, "invalid IMPORT_RULES: not a JSON list of rules").await.unwrap();

        let request = server.await.unwrap();
        assert!(request.starts_with("POST /2018-06-01/runtime/init/error HTTP/1.1"), "{request}");
        assert!(
            request.to_ascii_lowercase().contains("lambda-runtime-function-error-type: runtime.configurationerror")
        );
        let body = request.split("\r\n\r\n").nth(1).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(body).unwrap(),
            json!({"errorType": "Runtime.ConfigurationError", "errorMessage": "invalid IMPORT_RULES: not a JSON list of rules"})
        );
    }

    #[tokio::test]
    async fn an_unreachable_runtime_api_is_an_error_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        assert!(report_init_error(&address, "x").await.is_err());
    }
}
