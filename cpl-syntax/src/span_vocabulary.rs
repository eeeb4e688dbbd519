//! The span vocabulary every phase shares: OTLP's span kinds and status codes.
//!
//! The policy loader checks `kind == SERVER`, the logic engine reasons over the
//! six kinds and three statuses, the evaluator compares a span's kind with a
//! compiled constant, and trace readers decode the OTLP enums. They all use these
//! two enums, so the constants (`SERVER`, `ERROR`), their integer values and their
//! OTLP enum names (`SPAN_KIND_SERVER`) are written down once, here.

/// `Span.kind` (OTLP `SpanKind`), with the proto's integer values.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[repr(u8)]
pub enum SpanKind {
    /// 0: not specified (the proto3 default when `kind` is absent).
    #[default]
    Unspecified = 0,
    /// 1: an internal operation.
    Internal = 1,
    /// 2: the server side of a synchronous remote call.
    Server = 2,
    /// 3: the client side of a synchronous remote call.
    Client = 3,
    /// 4: the sender of an asynchronous message.
    Producer = 4,
    /// 5: the receiver of an asynchronous message.
    Consumer = 5,
}

impl SpanKind {
    /// Every kind, in OTLP order (index = integer value).
    pub const ALL: [SpanKind; 6] = [
        SpanKind::Unspecified,
        SpanKind::Internal,
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Producer,
        SpanKind::Consumer,
    ];

    /// The CPL constants (`kind == SERVER`), in OTLP order.
    pub const CONSTANTS: [&'static str; 6] = [
        "UNSPECIFIED",
        "INTERNAL",
        "SERVER",
        "CLIENT",
        "PRODUCER",
        "CONSUMER",
    ];

    /// The kind for an OTLP integer value, `None` outside 0..=5.
    pub fn from_i64(v: i64) -> Option<Self> {
        usize::try_from(v)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// The kind a CPL constant names (`SERVER`), case-sensitive.
    pub fn from_constant(name: &str) -> Option<Self> {
        Self::CONSTANTS
            .iter()
            .position(|c| *c == name)
            .map(|i| Self::ALL[i])
    }

    /// The kind an OTLP enum name names (`SPAN_KIND_SERVER`), as proto3 JSON writes it.
    pub fn from_otlp_name(name: &str) -> Option<Self> {
        name.strip_prefix("SPAN_KIND_")
            .and_then(Self::from_constant)
    }

    /// The CPL constant (`SERVER`).
    pub fn constant(self) -> &'static str {
        Self::CONSTANTS[self as usize]
    }

    /// The lower-case name reports use (`server`, `client`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// `Span.status.code` (OTLP `Status.StatusCode`), with the proto's integer values.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[repr(u8)]
pub enum StatusCode {
    /// 0: unset (the default when `status` or `code` is absent).
    #[default]
    Unset = 0,
    /// 1: explicitly OK.
    Ok = 1,
    /// 2: an error.
    Error = 2,
}

impl StatusCode {
    /// Every status, in OTLP order (index = integer value).
    pub const ALL: [StatusCode; 3] = [StatusCode::Unset, StatusCode::Ok, StatusCode::Error];

    /// The CPL constants (`status == ERROR`), in OTLP order.
    pub const CONSTANTS: [&'static str; 3] = ["UNSET", "OK", "ERROR"];

    /// The status for an OTLP integer value, `None` outside 0..=2.
    pub fn from_i64(v: i64) -> Option<Self> {
        usize::try_from(v)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }

    /// The status a CPL constant names (`ERROR`), case-sensitive.
    pub fn from_constant(name: &str) -> Option<Self> {
        Self::CONSTANTS
            .iter()
            .position(|c| *c == name)
            .map(|i| Self::ALL[i])
    }

    /// The status an OTLP enum name names (`STATUS_CODE_ERROR`), as proto3 JSON writes it.
    pub fn from_otlp_name(name: &str) -> Option<Self> {
        name.strip_prefix("STATUS_CODE_")
            .and_then(Self::from_constant)
    }

    /// The CPL constant (`ERROR`).
    pub fn constant(self) -> &'static str {
        Self::CONSTANTS[self as usize]
    }

    /// The lower-case name reports use (`unset`, `ok`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_integers_and_otlp_names_agree() {
        for (i, kind) in SpanKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i);
            assert_eq!(
                SpanKind::from_i64(i64::try_from(i).unwrap_or(-1)),
                Some(*kind)
            );
            assert_eq!(SpanKind::from_constant(kind.constant()), Some(*kind));
            let otlp = format!("SPAN_KIND_{}", kind.constant());
            assert_eq!(SpanKind::from_otlp_name(&otlp), Some(*kind));
        }
        for (i, status) in StatusCode::ALL.iter().enumerate() {
            assert_eq!(*status as usize, i);
            assert_eq!(
                StatusCode::from_i64(i64::try_from(i).unwrap_or(-1)),
                Some(*status)
            );
            let otlp = format!("STATUS_CODE_{}", status.constant());
            assert_eq!(StatusCode::from_otlp_name(&otlp), Some(*status));
        }
        assert_eq!(SpanKind::from_i64(6), None);
        assert_eq!(SpanKind::from_i64(-1), None);
        assert_eq!(StatusCode::from_i64(3), None);
        assert_eq!(SpanKind::from_otlp_name("SERVER"), None);
    }
}
