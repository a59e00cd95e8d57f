//! Unit tests of `files`: private writes that no planted name can bend, and bounded reads of
//! the files a user names.

use super::*;

/// Everything directly in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn create_private_refuses_an_existing_file_and_any_link() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("there");
    fs::write(&file, b"kept").expect("write");
    let err = create_private(&file).expect_err("exists");
    assert_eq!(err.source.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(fs::read(&file).expect("read"), b"kept", "not truncated");
    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("link");
        let err = create_private(&dangling).expect_err("a link");
        assert_eq!(err.source.kind(), io::ErrorKind::AlreadyExists);
        assert!(
            !dir.path().join("nowhere").exists(),
            "the link was not followed"
        );
    }
}

/// A planted link at the old predictable name (`<path>.partial`), at the first temporary name
/// the writer picks and at the destination itself: the files they point to stay as they were,
/// the output is right and `0600`, and nothing else is left.
#[cfg(unix)]
#[test]
fn planted_links_at_temporary_names_are_never_written_through() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tmp");
    let outside = tempfile::tempdir().expect("tmp");
    let victim = |n: &str| {
        let path = outside.path().join(n);
        fs::write(&path, format!("victim {n}")).expect("victim");
        path
    };
    let dest = dir.path().join("report.html");
    let old = dir.path().join("report.html.partial");
    symlink(victim("old"), &old).expect("link");
    let guessed = dir.path().join("report.html.partial-guessed");
    symlink(victim("guessed"), &guessed).expect("link");
    let dangling = dir.path().join("report.html.partial-dangling");
    symlink(outside.path().join("created-through-a-link"), &dangling).expect("link");
    symlink(victim("dest"), &dest).expect("link");

    let candidates = [guessed.clone(), dangling.clone()]
        .into_iter()
        .chain(temp_names(&dest));
    let written = write_private_via(&dest, candidates, |w| w.write_all(b"<html>report</html>"))
        .expect("written");

    assert_eq!(written, Digest::of(b"<html>report</html>"));
    for n in ["old", "guessed", "dest"] {
        let text = fs::read_to_string(outside.path().join(n)).expect("victim");
        assert_eq!(text, format!("victim {n}"), "{n} untouched");
    }
    assert!(
        !outside.path().join("created-through-a-link").exists(),
        "nothing created through the dangling link"
    );
    assert!(
        fs::symlink_metadata(&dest).expect("dest").is_file(),
        "the link was replaced"
    );
    assert_eq!(fs::read(&dest).expect("dest"), b"<html>report</html>");
    assert_eq!(mode(&dest), 0o600);
    assert_eq!(
        names(dir.path()),
        [
            "report.html",
            "report.html.partial",
            "report.html.partial-dangling",
            "report.html.partial-guessed"
        ],
        "the planted links stay, nothing else is left"
    );
}

#[test]
fn temporary_names_are_unpredictable_and_say_what_they_are_for() {
    let dest = Path::new("/out/report.html");
    let names: Vec<PathBuf> = temp_names(dest).take(2).collect();
    assert_ne!(names[0], names[1]);
    for name in &names {
        let file = name.file_name().expect("name").to_string_lossy();
        let random = file.strip_prefix("report.html.partial-").expect("prefix");
        assert_eq!(random.len(), 16, "{file}");
        assert!(random.bytes().all(|b| b.is_ascii_hexdigit()), "{file}");
        assert_eq!(name.parent(), dest.parent(), "beside the destination");
    }
    let long = format!("/out/{}", "x".repeat(250));
    let name = temp_names(Path::new(&long)).next().expect("one");
    assert!(
        name.file_name().expect("name").len() < 255,
        "fits a name limit"
    );
}

#[test]
fn every_name_taken_is_an_error_naming_the_file_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let dest = dir.path().join("summary.json");
    let taken = dir.path().join("summary.json.partial-taken");
    fs::write(&taken, b"someone else's").expect("write");
    let err = write_private_via(&dest, std::iter::repeat(taken.clone()), |w| {
        w.write_all(b"{}")
    })
    .expect_err("no free name");
    assert!(
        err.to_string().contains("summary.json.partial-taken"),
        "{err}"
    );
    assert_eq!(fs::read(&taken).expect("read"), b"someone else's");
    assert!(!dest.exists());
}

#[test]
fn a_failed_fill_removes_its_own_temporary_file_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let dest = dir.path().join("out.json");
    let err =
        write_private(&dest, |_| Err(io::Error::other("disk on fire"))).expect_err("fill failed");
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[test]
fn input_files_are_read_whole_within_their_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("ca.pem");
    fs::write(&file, b"0123456789").expect("write");
    assert_eq!(read_input(&file, 10).expect("read"), b"0123456789");
    let err = read_input(&file, 9).expect_err("too large");
    assert!(matches!(err, InputFailure::TooLarge(9)), "{err}");
    assert_eq!(err.to_string(), "larger than 9 bytes");
    let err = read_input(&dir.path().join("nope"), 10).expect_err("missing");
    assert!(matches!(err, InputFailure::Missing), "{err}");
    let err = read_input(dir.path(), 10).expect_err("a directory");
    assert_eq!(err.to_string(), "a directory, not a regular file");
}

#[cfg(unix)]
#[test]
fn a_link_the_user_named_is_followed_to_a_regular_file_only() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("key");
    fs::write(&file, b"key").expect("write");
    let link = dir.path().join("link");
    symlink(&file, &link).expect("link");
    assert_eq!(read_input(&link, 10).expect("followed"), b"key");
    let to_dir = dir.path().join("to-dir");
    symlink(dir.path(), &to_dir).expect("link");
    let err = read_input(&to_dir, 10).expect_err("a directory");
    assert!(
        matches!(err, InputFailure::NotAFile("a directory")),
        "{err}"
    );
}

/// `/dev/zero` never ends and a FIFO nobody writes never answers: both are refused at once,
/// before they are opened.
#[cfg(unix)]
#[test]
fn devices_and_fifos_are_refused_without_reading() {
    let err = read_input(Path::new("/dev/zero"), 1024).expect_err("a device");
    assert_eq!(err.to_string(), "a character device, not a regular file");
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped the FIFO: mkfifo is not available");
        return;
    }
    // On a thread, so that a read that blocks fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(
            read_input(&fifo, 1024)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("refused without blocking");
    assert_eq!(
        result,
        Err("a FIFO (named pipe), not a regular file".into())
    );
    let meta = input_metadata(Path::new("/dev/null")).expect_err("a device");
    assert!(matches!(meta, InputFailure::NotAFile("a character device")));
}
