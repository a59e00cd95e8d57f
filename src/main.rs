//! The `iru-fivetran` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    iru_fivetran::main()
}
