//! Where the emulator serves the templates it keeps itself: an artifact made from a stack (`ImportFromPhysicalId`)
//! has no file anywhere else, so its `Info.TemplateUrl` is `http://127.0.0.1:<port>/_emulator/templates/<artifact
//! id>` on the emulator's own listener, where a plain GET answers the template. Emulator-only, not an AWS API.

use std::net::SocketAddr;

pub const TEMPLATES_PATH: &str = "/_emulator/templates/";

/// The URL of an artifact's kept template. Without a listener yet (a catalog used without a server), port 0.
pub fn served_template_url(listener: Option<SocketAddr>, artifact_id: &str) -> String {
    let address = listener.map_or_else(|| "127.0.0.1:0".to_owned(), |address| address.to_string());
    format!("http://{address}{TEMPLATES_PATH}{artifact_id}")
}

/// The artifact id a request path names, when it is a template path: one non-empty segment after the prefix.
pub fn artifact_id_in(path: &str) -> Option<&str> {
    path.strip_prefix(TEMPLATES_PATH).filter(|id| !id.is_empty() && !id.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_listener_and_the_artifact_and_its_path_gives_the_artifact_back() {
        let listener: SocketAddr = "127.0.0.1:41234".parse().expect("address");
        let url = served_template_url(Some(listener), "pa-abcdefghijklm");
        assert_eq!(url, "http://127.0.0.1:41234/_emulator/templates/pa-abcdefghijklm");
        let path = url.strip_prefix("http://127.0.0.1:41234").expect("path");
        assert_eq!(artifact_id_in(path), Some("pa-abcdefghijklm"));
        assert_eq!(served_template_url(None, "pa-x"), "http://127.0.0.1:0/_emulator/templates/pa-x");
        for other in ["/_emulator/templates/", "/_emulator/templates/a/b", "/_emulator/latency", "/"] {
            assert_eq!(artifact_id_in(other), None, "{other}");
        }
    }
}
