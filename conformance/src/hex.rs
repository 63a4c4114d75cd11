//! Lowercase hex, as digests are written in reports, the relay's records and its message ids.

/// `[0xab, 0x01]` → `"ab01"`.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lowercase_two_digits_per_byte() {
        assert_eq!(super::encode(&[0xab, 0x01, 0x00]), "ab0100");
        assert_eq!(super::encode(&[]), "");
    }
}
