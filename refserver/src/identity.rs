//! Where a client certificate carries the office number (事業所番号). Our test PKI puts it in the subject CN; an
//! operator's CA may put it in another subject attribute (serialNumber, OU, UID, any OID) or in a subject
//! alternative name. `serve --office-from` says which; whatever the place, the value must be exactly 10 digits
//! (after an optional prefix, for a SAN such as `urn:example:office:1370001002`), else the certificate names no
//! office and the connection is refused.

use std::fmt;
use std::str::FromStr;

use rustls::pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::Oid;

/// Where the office number is read from a verified client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfficeFrom {
    /// A subject attribute, by OID (dotted); `cn` (2.5.4.3) is the default.
    Subject { oid: String },
    /// A subject alternative name of one type, after `prefix`.
    San { kind: SanKind, prefix: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanKind {
    Dns,
    Email,
    Uri,
}

/// Subject attributes by the names operators know them by.
const NAMES: [(&str, &str); 7] = [
    ("cn", "2.5.4.3"),
    ("serialnumber", "2.5.4.5"),
    ("o", "2.5.4.10"),
    ("ou", "2.5.4.11"),
    ("title", "2.5.4.12"),
    ("uid", "0.9.2342.19200300.100.1.1"),
    ("dnqualifier", "2.5.4.46"),
];

impl Default for OfficeFrom {
    fn default() -> OfficeFrom {
        OfficeFrom::Subject { oid: "2.5.4.3".into() }
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "--office-from 「{0}」: cn, subject:<名前 name or OID> (serialNumber, OU, UID, 2.5.4.5 …) または or \
     san:<dns|email|uri>[:<prefix>] を指定してください / give one of these"
)]
pub struct OfficeFromError(String);

impl FromStr for OfficeFrom {
    type Err = OfficeFromError;

    fn from_str(text: &str) -> Result<OfficeFrom, OfficeFromError> {
        let wrong = || OfficeFromError(text.to_string());
        let attribute = |name: &str| -> Result<OfficeFrom, OfficeFromError> {
            let lower = name.to_ascii_lowercase();
            let oid = match NAMES.iter().find(|(known, _)| *known == lower) {
                Some((_, oid)) => oid.to_string(),
                None if Oid::from_str(name).is_ok() && name.contains('.') => name.to_string(),
                None => return Err(wrong()),
            };
            Ok(OfficeFrom::Subject { oid })
        };
        match text.split_once(':') {
            None => attribute(text),
            Some(("subject", name)) => attribute(name),
            Some(("san", rest)) => {
                let (kind, prefix) = rest.split_once(':').unwrap_or((rest, ""));
                let kind = match kind {
                    "dns" => SanKind::Dns,
                    "email" => SanKind::Email,
                    "uri" => SanKind::Uri,
                    _ => return Err(wrong()),
                };
                Ok(OfficeFrom::San { kind, prefix: prefix.to_string() })
            }
            _ => Err(wrong()),
        }
    }
}

impl fmt::Display for OfficeFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OfficeFrom::Subject { oid } => match NAMES.iter().find(|(_, known)| known == oid) {
                Some((name, _)) => write!(f, "subject:{name}"),
                None => write!(f, "subject:{oid}"),
            },
            OfficeFrom::San { kind, prefix } => {
                let kind = match kind {
                    SanKind::Dns => "dns",
                    SanKind::Email => "email",
                    SanKind::Uri => "uri",
                };
                write!(f, "san:{kind}:{prefix}")
            }
        }
    }
}

impl OfficeFrom {
    /// The office number of a verified client certificate, read from this place: exactly 10 digits, else none.
    pub fn office_of(&self, certificate: &CertificateDer<'_>) -> Option<String> {
        let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
        let candidates: Vec<String> = match self {
            OfficeFrom::Subject { oid } => {
                let oid = Oid::from_str(oid).ok()?;
                parsed
                    .subject()
                    .iter_attributes()
                    .filter(|attribute| attribute.attr_type() == &oid)
                    .filter_map(|attribute| attribute.as_str().ok().map(str::to_string))
                    .collect()
            }
            OfficeFrom::San { kind, prefix } => {
                let names = parsed.subject_alternative_name().ok()??;
                names
                    .value
                    .general_names
                    .iter()
                    .filter_map(|name| match (kind, name) {
                        (SanKind::Dns, GeneralName::DNSName(value))
                        | (SanKind::Email, GeneralName::RFC822Name(value))
                        | (SanKind::Uri, GeneralName::URI(value)) => value.strip_prefix(prefix.as_str()),
                        _ => None,
                    })
                    .map(str::to_string)
                    .collect()
            }
        };
        // The first value of that place decides: a certificate whose first such value is not a number names no
        // office, rather than one picked from further down.
        let first = candidates.into_iter().next()?;
        (first.len() == 10 && first.bytes().all(|b| b.is_ascii_digit())).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::{OfficeFrom, SanKind};

    #[test]
    fn places_are_named_as_operators_name_them() {
        assert_eq!("cn".parse::<OfficeFrom>().unwrap(), OfficeFrom::default());
        let serial = OfficeFrom::Subject { oid: "2.5.4.5".into() };
        assert_eq!("subject:serialNumber".parse::<OfficeFrom>().unwrap(), serial);
        assert_eq!("subject:2.5.4.5".parse::<OfficeFrom>().unwrap(), serial);
        assert_eq!(serial.to_string(), "subject:serialnumber");
        let uri = OfficeFrom::San { kind: SanKind::Uri, prefix: "urn:example:office:".into() };
        assert_eq!("san:uri:urn:example:office:".parse::<OfficeFrom>().unwrap(), uri);
        for wrong in ["", "subject:", "subject:nickname", "san:ip", "issuer:cn", "5"] {
            assert!(wrong.parse::<OfficeFrom>().is_err(), "{wrong}");
        }
    }
}
