//! Unit tests of `manual`.

use super::*;

fn page() -> String {
    let mut out = Vec::new();
    man_page(&mut out).expect("renders");
    String::from_utf8(out).expect("utf8")
}

#[test]
fn every_command_gets_its_own_section_with_its_options() {
    let page = page();
    for name in ["COLLECT", "DIFF", "COMPLETIONS", "MAN"] {
        assert!(
            page.contains(&format!(".SH \"IRU-FIVETRAN {name}\"")),
            "no section for {name}:\n{page}"
        );
    }
    // Exactly one top-level page: one title, first, and the subsections demoted below it.
    assert!(page.starts_with(".TH IRU-FIVETRAN 1 "), "{page}");
    assert_eq!(page.matches(".TH ").count(), 1);
    assert_eq!(page.matches(AQ_PREAMBLE[0]).count(), 1, "{page}");
    assert!(page.contains(".SS OPTIONS"), "{page}");
    assert!(page.contains(".SS NOTES"), "{page}");
    assert!(!page.contains(".SH EXTRA"), "{page}");
    assert!(
        !page.contains("iru-fivetran-collect(1)"),
        "no page of that name exists"
    );
}

#[test]
fn the_man_page_shows_flags_environment_variables_and_exit_codes() {
    let page = page();
    for needle in [
        "credentials\\-file",
        "IRU_FIVETRAN_CREDENTIALS_FILE",
        ".SH \"EXIT STATUS\"",
        "partial bundle",
    ] {
        assert!(page.contains(needle), "{needle} missing:\n{page}");
    }
}

#[test]
fn completions_leave_out_the_help_subcommand() {
    let mut out = Vec::new();
    completions(Shell::Fish, &mut out).expect("renders");
    let script = String::from_utf8(out).expect("utf8");
    assert!(script.contains("-a \"collect\""), "{script}");
    assert!(!script.contains("-a \"help\""), "{script}");
}
