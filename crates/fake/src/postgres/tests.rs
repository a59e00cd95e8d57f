//! Unit tests of the local server's settings: written as `postgresql.conf` lines, or refused
//! when a name or value could break out of its line.

use super::settings_lines;

#[test]
fn settings_become_quoted_conf_lines_and_unsafe_ones_are_refused() {
    assert_eq!(settings_lines(&[]).as_deref(), Ok(""));
    assert_eq!(
        settings_lines(&[
            ("shared_preload_libraries", "pg_stat_statements"),
            ("pg_stat_statements.track", "all"),
        ])
        .as_deref(),
        Ok("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = 'all'")
    );
    for (name, value) in [
        ("", "x"),
        ("port = 1\nssl", "on"),
        ("work_mem", "4MB'\nssl = 'off"),
        ("work_mem", "4MB\\"),
        ("work_mem", "4MB\r"),
    ] {
        assert!(
            settings_lines(&[(name, value)]).is_err(),
            "{name:?} = {value:?}"
        );
    }
}
