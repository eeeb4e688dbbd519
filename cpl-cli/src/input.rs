//! Turning the paths on the command line into named texts.
//!
//! A path may be a file, a directory (searched recursively for `*.yaml` and `*.yml`,
//! in sorted order so output is deterministic) or `-` for standard input. Read
//! failures are reported per path and never stop the other paths from being read.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One input: its display name and its bytes.
pub(crate) struct Input {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// Why a path could not be read.
pub(crate) struct InputError {
    pub(crate) name: String,
    pub(crate) message: String,
}

/// Reads every policy named by `paths`.
pub(crate) fn read_policies(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => inputs.push(Input {
                    name: "<stdin>".to_owned(),
                    bytes,
                }),
                Err(error) => errors.push(InputError {
                    name: "<stdin>".to_owned(),
                    message: error.to_string(),
                }),
            }
            continue;
        }
        if path.is_dir() {
            match policy_files_in(path) {
                Ok(files) if files.is_empty() => errors.push(InputError {
                    name: path.display().to_string(),
                    message: "directory holds no `.yaml` or `.yml` files".to_owned(),
                }),
                Ok(files) => files
                    .iter()
                    .for_each(|file| read_file(file, &mut inputs, &mut errors)),
                Err(error) => errors.push(InputError {
                    name: path.display().to_string(),
                    message: error.to_string(),
                }),
            }
        } else {
            read_file(path, &mut inputs, &mut errors);
        }
    }
    (inputs, errors)
}

fn read_file(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    match std::fs::read(path) {
        Ok(bytes) => inputs.push(Input {
            name: path.display().to_string(),
            bytes,
        }),
        Err(error) => errors.push(InputError {
            name: path.display().to_string(),
            message: describe_io_error(&error),
        }),
    }
}

fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// Every `*.yaml` / `*.yml` file under `dir`, sorted, without following symlinked
/// directories (no cycles).
fn policy_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}
