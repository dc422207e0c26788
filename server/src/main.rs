//! The `mcvsphere` binary; see [`mcvsphere::app`].

fn main() -> std::process::ExitCode {
    mcvsphere::app::main()
}
