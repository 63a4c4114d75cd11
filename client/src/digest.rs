//! Digests of content: a file's SHA-256 (what the relay lists and the state records) and a send unit's
//! Idempotency-Key.

/// SHA-256 in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    conformance::hex::encode(&sha2::Sha256::digest(bytes))
}

/// The Idempotency-Key of a unit: SHA-256 over each file's name and bytes (lengths included, so no two different
/// units share a key), in name order.
pub fn content_key(files: &[(String, Vec<u8>)]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for (name, bytes) in files {
        hasher.update((name.len() as u64).to_be_bytes());
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    format!("cpc-{}", conformance::hex::encode(&hasher.finalize()))
}
