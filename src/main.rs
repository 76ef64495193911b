//! Thin entry point: parse arguments, run the library, print errors as one line, map exit codes.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ds_coverage::config::{Config, Env};
use ds_coverage::error::{Error, Exit};

/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which
/// the multi-megabyte list pages land in the heap and, freed, leave it fragmented: about 15% of
/// the peak RSS on a large cluster. A fixed threshold keeps each page's buffers in their own
/// mapping, returned to the system as soon as the page is decoded.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_mmap_threshold() {
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only sets a tunable; it is called before any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_mmap_threshold() {}

fn main() -> ExitCode {
    fix_mmap_threshold();
    // kubectl's plugin completion calls `kubectl_complete-ds_coverage`, whose shim runs
    // `kubectl-ds_coverage __complete WORDS...`: answered before clap sees the words.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__complete") {
        let env = ds_coverage::complete::CompletionEnv {
            kubeconfig_env: std::env::var_os("KUBECONFIG"),
            default_kubeconfig: std::env::home_dir().map(|h| h.join(".kube").join("config")),
            in_cluster: std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
        };
        let _ = ds_coverage::complete::run(&args[2..], &env, &mut std::io::stdout().lock());
        return Exit::Ok.into();
    }
    let cli = match ds_coverage::cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are successes; everything else clap rejects is a usage error.
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    let env = Env {
        now: jiff::Timestamp::now(),
        kubeconfig: std::env::var_os("KUBECONFIG"),
        home: std::env::home_dir(),
        in_cluster: std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
        stderr_is_terminal: std::io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        stdout_is_terminal: std::io::stdout().is_terminal(),
        stdin_is_terminal: std::io::stdin().is_terminal(),
    };
    let result = Config::from_cli(cli, &env).and_then(|config| {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let err: ds_coverage::SharedWriter =
            std::sync::Arc::new(std::sync::Mutex::new(Box::new(std::io::stderr())));
        let code = ds_coverage::run(&config, &mut std::io::stdin(), &mut out, err)?;
        // A reader that stopped early (`| head`) loses output, not the verdict: keep the code.
        match out.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
            _ => Ok(code),
        }
    });
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit().into()
        }
    }
}
