//! Scanning a generated 10 000-file repository (services with compose, manifests,
//! overlays, `.env`, Dockerfiles, source files and unrelated files), timed end to end:
//! walk, reads, parsing, resolution and findings. Run with
//! `cargo bench -p cpl-scan --bench scan_tree`; prints the median of 5 runs.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

fn generate(root: &Path, files: usize) {
    let services = files / 20;
    let mut compose = String::from("services:\n");
    for s in 0..services {
        let dir = root.join(format!("src/svc{s}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let _ = write!(
            compose,
            "  svc{s}:\n    build:\n      context: .\n      dockerfile: src/svc{s}/Dockerfile\n    environment:\n      - OTEL_TRACES_SAMPLER=parentbased_traceidratio\n      - OTEL_TRACES_SAMPLER_ARG=${{RATIO_{s}:-0.{}}}\n",
            s % 9 + 1
        );
        std::fs::write(
            dir.join("Dockerfile"),
            "FROM scratch\nENV OTEL_SERVICE_NAME=x\n",
        )
        .expect("write");
        for env in ["prod", "staging"] {
            let overlay = root.join(format!("deploy/overlays/{env}"));
            std::fs::create_dir_all(&overlay).expect("mkdir");
            std::fs::write(
                overlay.join(format!("svc{s}.yaml")),
                format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{s}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: OTEL_TRACES_SAMPLER_ARG\n              value: \"{}\"\n", if env == "prod" { "0.1" } else { "1.0" }),
            )
            .expect("write");
        }
        for f in 0..17 {
            std::fs::write(
                dir.join(format!("file{f}.go")),
                "package main\n\nfunc f() {}\n",
            )
            .expect("write");
        }
    }
    std::fs::write(root.join("compose.yaml"), compose).expect("write");
    std::fs::write(root.join(".env"), "RATIO_0=0.5\n").expect("write");
}

#[allow(clippy::print_stdout)] // a benchmark reports on stdout
fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path(), 10_000);
    let count = ignore::WalkBuilder::new(dir.path())
        .hidden(false)
        .build()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_type().is_some_and(|t| t.is_file()))
        })
        .count();
    let mut times = Vec::new();
    let mut settings = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let scan = cpl_scan::scan(&[dir.path().to_path_buf()], &cpl_scan::Options::default())
            .expect("scans");
        times.push(start.elapsed());
        settings = scan.report.settings.len();
    }
    times.sort();
    println!(
        "scan_tree: {count} files, {settings} settings: median {:.3} s (min {:.3} s, max {:.3} s)",
        times[2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[4].as_secs_f64()
    );
}
