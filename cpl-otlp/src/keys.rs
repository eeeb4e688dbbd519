//! Which attributes a reader must keep.
//!
//! A replay reads a handful of attribute keys (those the policy's conditions name,
//! `service.name`, `http.route`), while a span in a real capture carries a dozen or
//! more, each a key and a value to allocate. [`AttributeKeys`] tells a reader which
//! keys must be kept; it may leave out the others. It never changes which documents
//! are accepted, nor the errors of those that are not: a left-out attribute is still
//! read and checked, only not stored (spec/replay.md, "Reading only what is read").

/// The span and resource attribute keys a reader must keep, or all of them.
///
/// With [`AttributeKeys::only`], every attribute whose key is listed is kept, in
/// input order (so the first of two attributes with one key is still the first), and
/// any other may be left out. The default keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributeKeys {
    span: Option<Box<[Box<str>]>>,
    resource: Option<Box<[Box<str>]>>,
}

impl AttributeKeys {
    /// Keep every attribute (the default).
    pub fn all() -> Self {
        Self::default()
    }

    /// Keep the span attributes whose key is in `span` and the resource attributes
    /// whose key is in `resource`; the others may be left out.
    pub fn only<S, R>(span: S, resource: R) -> Self
    where
        S: IntoIterator,
        S::Item: Into<Box<str>>,
        R: IntoIterator,
        R::Item: Into<Box<str>>,
    {
        let list = |keys: Vec<Box<str>>| {
            let mut keys = keys;
            keys.sort_unstable();
            keys.dedup();
            Some(keys.into_boxed_slice())
        };
        Self {
            span: list(span.into_iter().map(Into::into).collect()),
            resource: list(resource.into_iter().map(Into::into).collect()),
        }
    }

    /// Whether every attribute is kept.
    pub fn keeps_all(&self) -> bool {
        self.span.is_none() && self.resource.is_none()
    }

    /// Whether a span attribute with `key` must be kept.
    #[inline]
    pub fn keeps_span(&self, key: &str) -> bool {
        keeps(self.span.as_deref(), key)
    }

    /// Whether a resource attribute with `key` must be kept.
    #[inline]
    pub fn keeps_resource(&self, key: &str) -> bool {
        keeps(self.resource.as_deref(), key)
    }
}

#[inline]
fn keeps(list: Option<&[Box<str>]>, key: &str) -> bool {
    list.is_none_or(|keys| keys.iter().any(|k| cpl_eval::keys_equal(k, key)))
}

#[cfg(test)]
mod tests {
    use super::AttributeKeys;

    #[test]
    fn all_keeps_every_key_and_only_keeps_the_listed_ones() {
        let all = AttributeKeys::all();
        assert!(all.keeps_all() && all.keeps_span("x") && all.keeps_resource("y"));
        let only = AttributeKeys::only(["http.route", "tenant"], ["service.name"]);
        assert!(!only.keeps_all());
        assert!(only.keeps_span("http.route") && only.keeps_span("tenant"));
        assert!(!only.keeps_span("service.name") && !only.keeps_span("http.rout"));
        assert!(only.keeps_resource("service.name") && !only.keeps_resource("tenant"));
        let none = AttributeKeys::only(Vec::<String>::new(), Vec::<String>::new());
        assert!(!none.keeps_span("a") && !none.keeps_resource("a"));
    }
}
