//! Turning the paths on the command line into named texts.
//!
//! A path may be a file, a directory or `-` for standard input. A directory is walked
//! the way ruff and ripgrep walk one (the `ignore` crate): recursively, in sorted order
//! so output is deterministic, skipping hidden files and what `.gitignore`, `.ignore`
//! and `--exclude` globs exclude, never following symlinked directories. Read failures
//! are reported per path and never stop the other paths from being read.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;

/// The name standard input has in every output.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// One input: its display name and its bytes.
pub(crate) struct Input {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    /// Named on the command line (or stdin), rather than found in a directory.
    pub(crate) explicit: bool,
}

/// Why a path could not be read.
pub(crate) struct InputError {
    pub(crate) name: String,
    pub(crate) message: String,
}

/// Reads every `*.yaml` / `*.yml` file named by `paths`, skipping in directories what
/// `exclude` (gitignore-style globs) and the ignore files exclude.
pub(crate) fn read_yaml_inputs(
    paths: &[PathBuf],
    exclude: &[String],
) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => inputs.push(Input {
                    name: STDIN_NAME.to_owned(),
                    bytes,
                    explicit: true,
                }),
                Err(error) => errors.push(InputError {
                    name: STDIN_NAME.to_owned(),
                    message: error.to_string(),
                }),
            }
            continue;
        }
        if path.is_dir() {
            match yaml_files_in(path, exclude) {
                Ok(files) if files.is_empty() => errors.push(InputError {
                    name: path.display().to_string(),
                    message: "directory holds no `.yaml` or `.yml` files".to_owned(),
                }),
                Ok(files) => files
                    .iter()
                    .for_each(|file| read_file(file, false, &mut inputs, &mut errors)),
                Err(message) => errors.push(InputError {
                    name: path.display().to_string(),
                    message,
                }),
            }
        } else {
            read_file(path, true, &mut inputs, &mut errors);
        }
    }
    (inputs, errors)
}

fn read_file(path: &Path, explicit: bool, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    match std::fs::read(path) {
        Ok(bytes) => inputs.push(Input {
            name: path.display().to_string(),
            bytes,
            explicit,
        }),
        Err(error) => errors.push(InputError {
            name: path.display().to_string(),
            message: describe_io_error(&error),
        }),
    }
}

/// How every command words an IO error: short, lowercase, without the OS error number.
pub(crate) fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => error.to_string(),
    }
}

/// Every `*.yaml` / `*.yml` file under `dir` that the ignore rules and `exclude` keep,
/// sorted.
fn yaml_files_in(dir: &Path, exclude: &[String]) -> Result<Vec<PathBuf>, String> {
    Ok(files_in(dir, exclude)?
        .into_iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect())
}

/// Every regular file under `dir` that the ignore rules (hidden files, `.gitignore`,
/// `.ignore`) and the `exclude` globs keep, sorted; symlinked directories are not
/// followed.
pub(crate) fn files_in(dir: &Path, exclude: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut overrides = OverrideBuilder::new(dir);
    for glob in exclude {
        overrides
            .add(&format!("!{glob}"))
            .map_err(|error| format!("invalid --exclude glob `{glob}`: {error}"))?;
    }
    let overrides = overrides.build().map_err(|error| error.to_string())?;
    let mut found = Vec::new();
    let walk = WalkBuilder::new(dir)
        .overrides(overrides)
        .follow_links(false)
        .sort_by_file_path(Path::cmp)
        .build();
    for entry in walk {
        let entry = entry.map_err(|error| error.to_string())?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            found.push(entry.path().to_path_buf());
        }
    }
    Ok(found)
}
