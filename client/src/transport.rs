//! The mutual-TLS HTTPS client an office talks to the relay with.
// TODO(#33): replaced by `transport::https_client_builder` when the transport crate lands.

/// An HTTPS client builder that trusts `ca_pem` and presents `identity_pem` (certificate then key), sending the API
/// client header ([`protocol::CLIENT_HEADER`]) on every request.
pub(crate) fn https_client_builder(ca_pem: &[u8], identity_pem: &[u8]) -> reqwest::Result<reqwest::ClientBuilder> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(protocol::CLIENT_HEADER, reqwest::header::HeaderValue::from_static("1"));
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem)?)
        .identity(reqwest::Identity::from_pem(identity_pem)?)
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(30)))
}
