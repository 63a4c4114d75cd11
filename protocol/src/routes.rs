//! The endpoints of the API. The relay dispatches on this table, labels its metrics with the route names, and its
//! test checks `openapi.yaml` documents exactly these.

/// Declares the routes once: the enum, their methods, path templates and names.
macro_rules! routes {
    ($($(#[doc = $doc:literal])* $variant:ident = $method:literal $template:literal $name:literal;)+) => {
        /// One endpoint of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Route {
            $($(#[doc = $doc])* $variant,)+
        }

        impl Route {
            pub const ALL: &'static [Route] = &[$(Route::$variant,)+];

            pub fn method(self) -> &'static str {
                match self {
                    $(Route::$variant => $method,)+
                }
            }

            /// The path with `{id}` / `{name}` placeholders, as `openapi.yaml` writes it.
            pub fn template(self) -> &'static str {
                match self {
                    $(Route::$variant => $template,)+
                }
            }

            /// A short name for logs and metrics.
            pub fn name(self) -> &'static str {
                match self {
                    $(Route::$variant => $name,)+
                }
            }
        }
    };
}

routes! {
    /// liveness (no office needed)
    Healthz = "GET" "/healthz" "healthz";
    /// Prometheus metrics
    Metrics = "GET" "/metrics" "metrics";
    /// the caller's directory entry
    Me = "GET" "/v1/me" "me";
    /// the office directory
    Offices = "GET" "/v1/offices" "offices";
    /// a dry run of the validation a send would do
    Validate = "POST" "/v1/validate" "validate";
    /// send a unit of files
    Send = "POST" "/v1/messages" "send";
    /// messages to the caller
    Inbox = "GET" "/v1/inbox" "inbox";
    /// messages from the caller
    Outbox = "GET" "/v1/outbox" "outbox";
    /// one message
    Message = "GET" "/v1/messages/{id}" "message";
    /// one file of a message, as sent
    Download = "GET" "/v1/messages/{id}/files/{name}" "download";
    /// the recipient's acknowledgement
    Ack = "POST" "/v1/messages/{id}/ack" "ack";
    /// every file of a message with the personal data replaced, in one zip (for a vendor)
    Anonymised = "GET" "/v1/messages/{id}/anonymised" "anonymised";
    /// the caller's exchange record (送受信記録) for a period, signed by the relay
    Evidence = "GET" "/v1/evidence" "evidence";
}

impl Route {
    /// The route of a request's path segments (`/v1/inbox` → `["v1", "inbox"]`) and method: `Ok(route)`, or
    /// `Err(true)` when the path exists with another method.
    pub fn of(method: &str, segments: &[&str]) -> Result<Route, bool> {
        let mut path_known = false;
        for route in Route::ALL {
            let parts: Vec<&str> = route.template().trim_matches('/').split('/').collect();
            let matches =
                parts.len() == segments.len() && parts.iter().zip(segments).all(|(p, s)| p.starts_with('{') || p == s);
            if matches {
                if method == route.method() {
                    return Ok(*route);
                }
                path_known = true;
            }
        }
        Err(path_known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_templates_and_methods() {
        assert_eq!(Route::of("GET", &["v1", "messages", "m_1", "files", "A.CSV"]), Ok(Route::Download));
        assert_eq!(Route::of("POST", &["v1", "messages"]), Ok(Route::Send));
        assert_eq!(Route::of("DELETE", &["v1", "messages", "m_1"]), Err(true));
        assert_eq!(Route::of("GET", &["v2"]), Err(false));
    }
}
