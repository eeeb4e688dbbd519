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
    span: Option<KeyList>,
    resource: Option<KeyList>,
}

/// Sorted keys, and bit `n` set when some key is `n` bytes long (bit 63: 63 or
/// more), which rejects most other keys without a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyList {
    keys: Box<[Box<str>]>,
    lengths: u64,
}

impl KeyList {
    fn new(mut keys: Vec<Box<str>>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        let lengths = keys.iter().fold(0, |mask, key| mask | length_bit(key));
        KeyList {
            keys: keys.into_boxed_slice(),
            lengths,
        }
    }
}

#[inline]
fn length_bit(key: &str) -> u64 {
    1 << key.len().min(63)
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
        Self {
            span: Some(KeyList::new(span.into_iter().map(Into::into).collect())),
            resource: Some(KeyList::new(resource.into_iter().map(Into::into).collect())),
        }
    }

    /// The keys either keeps: what two readers of one input need.
    #[must_use]
    pub fn union(&self, other: &AttributeKeys) -> AttributeKeys {
        let merge = |a: &Option<KeyList>, b: &Option<KeyList>| {
            let (a, b) = (a.as_ref()?, b.as_ref()?);
            Some(KeyList::new(
                a.keys.iter().chain(b.keys.iter()).cloned().collect(),
            ))
        };
        AttributeKeys {
            span: merge(&self.span, &other.span),
            resource: merge(&self.resource, &other.resource),
        }
    }

    /// Whether every attribute is kept.
    pub fn keeps_all(&self) -> bool {
        self.span.is_none() && self.resource.is_none()
    }

    /// Whether a span attribute with `key` must be kept.
    #[inline]
    pub fn keeps_span(&self, key: &str) -> bool {
        keeps(self.span.as_ref(), key)
    }

    /// Whether a resource attribute with `key` must be kept.
    #[inline]
    pub fn keeps_resource(&self, key: &str) -> bool {
        keeps(self.resource.as_ref(), key)
    }
}

#[inline]
fn keeps(list: Option<&KeyList>, key: &str) -> bool {
    list.is_none_or(|list| {
        list.lengths & length_bit(key) != 0
            && list.keys.iter().any(|k| cpl_eval::keys_equal(k, key))
    })
}

/// `spans` with the attributes `keys` does not keep left out (span and resource):
/// what a reader keeping only `keys` must give, for tests of both decoders.
#[cfg(test)]
pub(crate) fn kept_only(spans: &[crate::Span], keys: &AttributeKeys) -> Vec<crate::Span> {
    spans
        .iter()
        .map(|span| {
            let mut span = span.clone();
            span.attributes.retain(|kv| keys.keeps_span(&kv.key));
            let mut resource = (*span.resource).clone();
            resource
                .attributes
                .retain(|kv| keys.keeps_resource(&kv.key));
            span.resource = std::sync::Arc::new(resource);
            span
        })
        .collect()
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
        let both = only.union(&AttributeKeys::only(["a"], Vec::<String>::new()));
        assert!(both.keeps_span("a") && both.keeps_span("tenant") && !both.keeps_span("b"));
        assert!(both.keeps_resource("service.name") && !both.keeps_resource("a"));
        assert!(only.union(&all).keeps_all() && all.union(&only).keeps_all());
    }
}
