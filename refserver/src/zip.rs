//! A zip archive of a few files, stored without compression (PKWARE APPNOTE 6.3, the subset every unzip reads):
//! how a browser saves several files in one download.

/// The archive of `files` (name, bytes), in order. Names are marked UTF-8 (general-purpose flag bit 11).
pub fn stored<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    const UTF8_NAMES: u16 = 1 << 11;
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut count: u16 = 0;
    for (name, bytes) in files {
        let (crc, size, name_len) = (crc32fast::hash(bytes), len32(bytes.len()), len16(name.len()));
        let offset = len32(out.len());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for field in [20, UTF8_NAMES, 0, 0, 0x21] {
            // version needed 2.0, flags, method 0 (stored), time 00:00, date 1980-01-01
            out.extend_from_slice(&u16::to_le_bytes(field));
        }
        for field in [crc, size, size] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for field in [20, 20, UTF8_NAMES, 0, 0, 0x21] {
            // made by 2.0, needed 2.0, flags, method, time, date
            central.extend_from_slice(&u16::to_le_bytes(field));
        }
        for field in [crc, size, size] {
            central.extend_from_slice(&field.to_le_bytes());
        }
        for field in [name_len, 0, 0, 0, 0] {
            // name, extra and comment lengths, disk, internal attributes
            central.extend_from_slice(&field.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count = count.saturating_add(1);
    }
    let (central_offset, central_size) = (len32(out.len()), len32(central.len()));
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for field in [0, 0, count, count] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

// Uploads are bounded far below 4 GiB (`--max-body`), and names are short: the plain zip fields suffice.
fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// The entries of an archive [`stored`] wrote (name, bytes), each checked against its CRC-32: for tests and for
/// `careplan-refserver evidence verify` on a downloaded bundle.
pub fn entries(archive: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let word = |at: usize| Some(u32::from_le_bytes(archive.get(at..at + 4)?.try_into().ok()?));
    let half = |at: usize| Some(usize::from(u16::from_le_bytes(archive.get(at..at + 2)?.try_into().ok()?)));
    let mut entries = Vec::new();
    let mut at = 0;
    while word(at)? == 0x0403_4b50 {
        let (crc, size) = (word(at + 14)?, usize::try_from(word(at + 18)?).ok()?);
        let (name_len, extra_len) = (half(at + 26)?, half(at + 28)?);
        let name = String::from_utf8(archive.get(at + 30..at + 30 + name_len)?.to_vec()).ok()?;
        let start = at + 30 + name_len + extra_len;
        let bytes = archive.get(start..start + size)?.to_vec();
        if crc32fast::hash(&bytes) != crc || half(at + 8)? != 0 {
            return None;
        }
        entries.push((name, bytes));
        at = start + size;
    }
    (word(at)? == 0x0201_4b50 || entries.is_empty()).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_what_was_stored() {
        let archive = stored([("a.CSV", b"1,2\r\n".as_slice()), ("送受信記録.csv", b"".as_slice())]);
        let read = entries(&archive).unwrap();
        assert_eq!(read, vec![("a.CSV".to_string(), b"1,2\r\n".to_vec()), ("送受信記録.csv".to_string(), Vec::new())]);
        // The end record counts both entries and points at the central directory.
        let end = &archive[archive.len() - 22..];
        assert_eq!(&end[..4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        let mut corrupted = archive.clone();
        corrupted[30 + 5] ^= 1;
        assert!(entries(&corrupted).is_none(), "a changed byte fails its CRC");
    }
}
