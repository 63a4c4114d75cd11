//! The relay's clock: the times it stores and shows (RFC 3339, UTC), in one place.

pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

pub(crate) fn today() -> String {
    now().get(..10).unwrap_or("1970-01-01").to_string()
}
