//! The anonymiser's secret: HMAC-SHA-256 (RFC 2104, RustCrypto's `hmac`) under the caller's key starts a chain that walks a value's
//! characters, so each replacement depends on the key, the value's class and the characters before it — and
//! nothing can be replaced back without the key.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A key, kept as the HMAC state it starts every message from (RustCrypto's `hmac`: the pads are computed once).
#[derive(Clone)]
pub struct Key {
    hmac: Hmac<Sha256>,
}

impl Key {
    pub fn new(secret: &[u8]) -> Key {
        // HMAC takes a key of any length (a longer one is hashed first, RFC 2104 §2): `new_from_slice` cannot fail.
        let hmac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        Key { hmac }
    }

    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        self.hmac.clone().chain_update(message).finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

/// A keyed walk over one value: [`Chain::draw`] gives the number that picks the replacement of the character at
/// hand, [`Chain::step`] moves past that (original) character. Equal values walk alike; two values that first
/// differ at one character draw alike up to it, which keeps the replacement a bijection (see `replace`).
pub(crate) struct Chain {
    state: [u8; 32],
}

impl Chain {
    pub(crate) fn start(key: &Key, namespace: &str) -> Chain {
        Chain { state: key.mac(namespace.as_bytes()) }
    }

    pub(crate) fn draw(&self) -> u64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.state[..8]);
        u64::from_le_bytes(word)
    }

    pub(crate) fn step(&mut self, original: &[u8]) {
        self.state = Sha256::new().chain_update(self.state).chain_update(original).finalize().into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 ("Jefe").
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let mac = Key::new(b"Jefe").mac(b"what do ya want for nothing?");
        assert_eq!(crate::hex::encode(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    /// RFC 4231 test case 6: a key longer than the block is hashed first.
    #[test]
    fn long_keys_are_hashed_first() {
        let mac = Key::new(&[0xaa; 131]).mac(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(crate::hex::encode(&mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
}
