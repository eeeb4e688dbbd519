//! Walking the scanned paths with the `ignore` crate: `.gitignore` rules (even outside
//! a git repository), hidden files included (`.env`), `.git` left out, symbolic links
//! not followed (no loops), and only the files some reader wants are read.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use crate::code::language_for;
use crate::model::Language;
use crate::read::dockerfile::is_dockerfile;
use crate::read::pipeline::is_strategies_name;

/// Files larger than this are skipped (minified bundles, dumps).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What kind of file a reader wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.env`, `.env.NAME`.
    Dotenv,
    /// `.yaml`, `.yml`.
    Yaml,
    /// A JSON file that may hold Jaeger strategies; `true` when its name says so.
    Json(bool),
    /// A Dockerfile.
    Dockerfile,
    /// SDK source.
    Code(Language),
}

/// A file to read.
#[derive(Debug, Clone)]
pub struct Found {
    /// Relative to the scan root, `/`-separated (prefixed as the caller asks).
    pub path: String,
    /// On disk.
    pub full: PathBuf,
    /// Its kind.
    pub kind: FileKind,
}

/// Files skipped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Skipped {
    /// Holding a NUL byte in the first 8 KiB.
    pub binary: usize,
    /// Not UTF-8.
    pub not_utf8: usize,
    /// Larger than 4 MiB.
    pub too_large: usize,
    /// Helm templates (`templates/`, or YAML holding `{{`).
    pub templates: usize,
    /// Entries the walk could not read (permissions, a broken link).
    pub unreadable: usize,
}

/// The kind of a file, from its path.
pub fn kind_of(path: &str) -> Option<FileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".env"
        || (name.starts_with(".env.")
            && !["example", "sample", "template", "dist"]
                .iter()
                .any(|suffix| name.ends_with(suffix)))
    {
        return Some(FileKind::Dotenv);
    }
    if is_dockerfile(path) {
        return Some(FileKind::Dockerfile);
    }
    let lower = name.to_ascii_lowercase();
    if crate::read::has_extension(&lower, &["yaml", "yml"]) {
        return Some(FileKind::Yaml);
    }
    if crate::read::has_extension(&lower, &["json"]) {
        let named = is_strategies_name(path);
        return (named || lower.contains("sampling")).then_some(FileKind::Json(named));
    }
    language_for(Path::new(name)).map(FileKind::Code)
}

/// Walks `root`. `prefix` is put before every relative path (for several roots).
pub fn walk(root: &Path, prefix: &str, skipped: &mut Skipped) -> Vec<Found> {
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(std::cmp::Ord::cmp)
        .build();
    for entry in walker {
        let Ok(entry) = entry else {
            skipped.unreadable += 1;
            continue;
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let relative: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let mut path = relative.join("/");
        if path.is_empty() {
            // The root itself is a file.
            path = entry.file_name().to_string_lossy().into_owned();
        }
        if !prefix.is_empty() {
            path = format!("{prefix}/{path}");
        }
        let Some(kind) = kind_of(&path) else { continue };
        if kind == FileKind::Yaml && path.split('/').any(|p| p == "templates") {
            skipped.templates += 1;
            continue;
        }
        found.push(Found {
            path,
            full: entry.into_path(),
            kind,
        });
    }
    found
}

/// Reads a file as text, or counts why not.
pub fn read_text(found: &Found, skipped: &mut Skipped) -> Option<String> {
    let Ok(metadata) = std::fs::metadata(&found.full) else {
        skipped.unreadable += 1;
        return None;
    };
    if metadata.len() > MAX_FILE_BYTES {
        skipped.too_large += 1;
        return None;
    }
    let Ok(bytes) = std::fs::read(&found.full) else {
        skipped.unreadable += 1;
        return None;
    };
    if bytes.iter().take(8192).any(|&b| b == 0) {
        skipped.binary += 1;
        return None;
    }
    if let Ok(text) = String::from_utf8(bytes) {
        Some(text)
    } else {
        skipped.not_utf8 += 1;
        None
    }
}
