//! The memory one large page costs the collector: the fake serves `/v1/roles` as a single page
//! of `--items` small roles (a million by default, 24 MB), and `iru-fivetran collect
//! --resources roles` reads it, measured as the benchmark measures (`examples/bench/`: the
//! collector's `VmHWM`, read while it runs). A page parsed whole into a tree of values takes
//! about thirty times its size; read as spans of its body, one item at a time, a few times.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example page_memory                      # target/release/iru-fivetran
//! cargo run --release --example page_memory -- --bin OLD/iru-fivetran --items 1000000
//! ```
//!
//! It prints one line on stdout: the page's items and bytes, the collector's peak RSS and wall
//! time, and whether the run was complete. `--numbers` gives each role a number beyond 64 bits
//! too (what `arbitrary_precision` keeps as text).

// The line on stdout is what the measurement is for.
#![allow(clippy::print_stdout)]

#[path = "bench/measure.rs"]
#[allow(dead_code)]
mod measure;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use iru_fivetran_fake::{FakeAccount, FakeOptions, FakeServer, Fault};

struct Args {
    bin: PathBuf,
    items: usize,
    numbers: bool,
}

fn args() -> Result<Args, String> {
    let mut bin = None;
    let mut items = 1_000_000;
    let mut numbers = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--bin" => bin = it.next().map(PathBuf::from),
            "--items" => {
                items = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--items needs a number")?;
            }
            "--numbers" => numbers = true,
            other => {
                return Err(format!(
                    "unknown argument {other}\nhint: --bin PATH, --items N, --numbers"
                ));
            }
        }
    }
    let bin = match bin {
        Some(bin) => bin,
        None => {
            let me = std::env::current_exe().map_err(|e| e.to_string())?;
            let dir = me
                .parent()
                .and_then(|examples| examples.parent())
                .ok_or("cannot find target/<profile>/")?;
            dir.join("iru-fivetran")
        }
    };
    if !bin.is_file() {
        return Err(format!(
            "{} not found\nhint: cargo build --release, or pass --bin PATH",
            bin.display()
        ));
    }
    Ok(Args {
        bin,
        items,
        numbers,
    })
}

/// One page of `items` roles, `{"name":"r0000001"}`, with a number beyond 64 bits if asked.
fn page(items: usize, numbers: bool) -> Vec<u8> {
    let mut body = Vec::with_capacity(items * 32 + 64);
    body.extend_from_slice(br#"{"code":"Success","data":{"items":["#);
    for n in 0..items {
        if n > 0 {
            body.push(b',');
        }
        if numbers {
            body.extend_from_slice(
                format!(r#"{{"name":"r{n:07}","n":123456789012345678901234567890}}"#).as_bytes(),
            );
        } else {
            body.extend_from_slice(format!(r#"{{"name":"r{n:07}"}}"#).as_bytes());
        }
    }
    body.extend_from_slice(b"]}}");
    body
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = args()?;
    let account = FakeAccount::load(std::path::Path::new("fixtures/accounts/acme.json"))?;
    let options = FakeOptions {
        api_key: "fake-key".into(),
        api_secret: "fake-secret".into(),
        ..FakeOptions::default()
    };
    let fake = FakeServer::start(account, options).map_err(|e| e.to_string())?;
    let body = page(args.items, args.numbers);
    let bytes = body.len();
    fake.inject(
        Fault::status("/v1/roles", 200, "", "")
            .bytes(body)
            .times(u32::MAX),
    );
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&args.bin);
    cmd.env_clear()
        .env("FIVETRAN_API_KEY", "fake-key")
        .env("FIVETRAN_API_SECRET", "fake-secret")
        .args(["collect", "-q", "--resources", "roles", "--rate", "1000"])
        .arg("--api-url")
        .arg(fake.api_url())
        .arg("--out")
        .arg(out.path());
    let child = match measure::run_measured(cmd, &args.bin, "the collector") {
        Ok(child) => child,
        // Exit 3 (partial) is a measured run too; anything else is an error.
        Err(e) if e.contains("exit status: 3") => return Err(format!("partial run: {e}")),
        Err(e) => return Err(e),
    };
    println!(
        "{} items in one page ({:.1} MB{}): peak RSS {:.0} MiB, wall {:.1} s ({})",
        args.items,
        bytes as f64 / 1e6,
        if args.numbers {
            ", each with a 30-digit number"
        } else {
            ""
        },
        child.peak_rss_kib as f64 / 1024.0,
        child.wall.as_secs_f64(),
        args.bin.display(),
    );
    Ok(())
}
