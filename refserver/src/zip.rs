//! Zip archives of a few files, through the `zip` crate (zip-rs): how a browser saves several files in one
//! download (the anonymised unit, the signed exchange-record bundle), and how `evidence verify` reads a bundle back —
//! including one an office re-packed with another tool (deflate, data descriptors, ZIP64).

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// Bytes read back from an archive at the most: a record bundle is a few MiB; more is a zip bomb, not a record.
const MAX_READ_BYTES: u64 = 256 << 20;

/// The archive of `files` (name, bytes), in order, stored without compression (what every unzip reads) and with a
/// fixed date, so the same files give the same bytes. Names are UTF-8.
pub fn stored<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, bytes) in files {
        writer.start_file(name, options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// The entries of an archive (name, bytes), in order; `None` when it is no zip, an entry fails its CRC-32 or the
/// entries would unpack to more than [`MAX_READ_BYTES`].
pub fn entries(archive: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut zip = ZipArchive::new(Cursor::new(archive)).ok()?;
    let mut entries = Vec::with_capacity(zip.len());
    let mut budget = MAX_READ_BYTES;
    for index in 0..zip.len() {
        let entry = zip.by_index(index).ok()?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        // Reading to the end checks the entry's CRC-32; a read cut at the budget is refused as a whole.
        let read = entry.take(budget + 1).read_to_end(&mut bytes).ok()?;
        budget = budget.checked_sub(u64::try_from(read).ok()?)?;
        entries.push((name, bytes));
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_what_was_stored() {
        let archive = stored([("a.CSV", b"1,2\r\n".as_slice()), ("送受信記録.csv", b"".as_slice())]).unwrap();
        let read = entries(&archive).unwrap();
        assert_eq!(read, vec![("a.CSV".to_string(), b"1,2\r\n".to_vec()), ("送受信記録.csv".to_string(), Vec::new())]);
        assert_eq!(
            stored([("a.CSV", b"1,2\r\n".as_slice())]).unwrap(),
            stored([("a.CSV", b"1,2\r\n".as_slice())]).unwrap()
        );
        // A changed byte of the first entry's data fails its CRC.
        let at = archive.windows(5).position(|w| w == b"1,2\r\n").unwrap();
        let mut corrupted = archive.clone();
        corrupted[at] ^= 1;
        assert!(entries(&corrupted).is_none(), "a changed byte fails its CRC");
        assert!(entries(b"not a zip").is_none());
    }

    /// Another reader opens what the relay writes: Python's `zipfile` tests every entry's CRC and lists the names.
    #[test]
    fn pythons_zipfile_reads_the_relays_archives() {
        let archive =
            stored([("送受信記録_1370001002.csv", b"a,b\r\n".as_slice()), ("x.sig", b"TWE=".as_slice())]).unwrap();
        let path = std::env::temp_dir().join(format!("careplan-zip-{}.zip", std::process::id()));
        std::fs::write(&path, &archive).unwrap();
        let output = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('|'.join(z.namelist()))"])
            .arg(&path)
            .output()
            .expect("python3 runs (every machine of this project has it)");
        let _ = std::fs::remove_file(&path);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "送受信記録_1370001002.csv|x.sig");
    }

    /// A bundle an office re-packed with another tool: deflated entries, as `zip -r` or Windows write them.
    #[test]
    fn deflated_archives_from_other_tools_read_back() {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let text = "送受信記録,".repeat(1000);
        writer.start_file("送受信記録.csv", options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
        let archive = writer.finish().unwrap().into_inner();
        assert!(archive.len() < text.len() / 10, "the entry was compressed");
        assert_eq!(entries(&archive).unwrap(), vec![("送受信記録.csv".to_string(), text.into_bytes())]);
    }
}
