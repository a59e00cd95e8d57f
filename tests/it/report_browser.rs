//! The HTML report in a real browser: Debian's headless Chromium loads the page from a file,
//! and the test reads back what it built (the DOM), what it shows (a screenshot) and what it
//! prints (a PDF).
//!
//! Chromium is found at `IRU_FIVETRAN_CHROMIUM`, else `/usr/bin/chromium`. Without it the test
//! skips with a message, unless `IRU_FIVETRAN_REQUIRE_BROWSER` is set (`.ci/run` installs
//! Chromium and sets it), where a missing browser fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report::{HOSTILE_NAME, hostile_account};
use crate::support::{self, collect, run, server};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("IRU_FIVETRAN_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("IRU_FIVETRAN_REQUIRE_BROWSER").is_none(),
        "IRU_FIVETRAN_REQUIRE_BROWSER is set but there is no Chromium at {}; install Debian's chromium package",
        path.display()
    );
    eprintln!(
        "skipped: no Chromium at {} (apt-get install chromium)",
        path.display()
    );
    None
}

/// Runs headless Chromium on `page` with `args`, the way the machine allows: no sandbox (root),
/// nothing in the background that would try the network, a fresh profile. Returns stdout.
fn headless(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (word(16), word(20))
}

#[test]
fn the_html_report_renders_prints_and_keeps_hostile_names_as_text_in_chromium() {
    let Some(browser) = chromium() else {
        return;
    };
    let fake = server(hostile_account());
    let collected = collect(&fake, &[]);
    collected.assert_code(0);
    let work = tempfile::tempdir().expect("tmp");
    let page = work.path().join("report.html");
    let bundle = collected.bundle().display().to_string();
    let page_arg = page.display().to_string();
    run(&["report", &bundle, "--out", &page_arg], &[]).assert_code(0);
    support::assert_no_secret_in(&page);
    let profile = work.path().join("profile");

    // The DOM Chromium built: no element the page did not write, the hostile name as text.
    let dom =
        String::from_utf8(headless(&browser, &profile, &page, &["--dump-dom"])).expect("utf8 DOM");
    for element in ["<script", "<img", "<iframe", "<object", "<link"] {
        assert!(!dom.contains(element), "{element} in the DOM");
    }
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{HOSTILE_NAME} shown as text"
    );
    assert!(
        dom.contains("<svg class=\"chart\""),
        "the charts are in the DOM"
    );
    assert!(dom.contains("Access review"));

    // What it shows: a screenshot the size asked for, with content (a blank page of this size
    // compresses to about 13 KB).
    let shot = work.path().join("report.png");
    headless(
        &browser,
        &profile,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800",
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(png_size(&png), (1280, 1800));
    assert!(
        png.len() > 60_000,
        "a page with content: {} bytes",
        png.len()
    );

    // What it prints: several A4 pages (each section starts a page).
    let pdf_path = work.path().join("report.pdf");
    headless(
        &browser,
        &profile,
        &page,
        &[
            &format!("--print-to-pdf={}", pdf_path.display()),
            "--no-pdf-header-footer",
        ],
    );
    let pdf = std::fs::read(&pdf_path).expect("pdf written");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 7, "one page or more per section: {pages}");
}
