use clap::Parser;
use parley_server::cli::{self, Cli};
use parley_server::config::Config;
use std::process::ExitCode;

fn main() -> ExitCode {
    map_large_buffers_apart();
    tokio::runtime::Runtime::new()
        .expect("the tokio runtime starts")
        .block_on(run())
}

/// Allocations of 8 KiB and more get their own mapping, whose untouched pages take no memory.
/// Each open connection keeps an 8 KiB read buffer for its next request, mostly unused; from
/// glibc's heap those pages stay resident: 10,000 idle event streams cost about 19 KiB each
/// without this and 14–16 KiB with it (`parley-bench sse-idle`).
fn map_large_buffers_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc parameter; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 8192);
    }
}

async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = match Config::from_environment() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("parley: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    match cli::run(cli, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("parley: {error}");
            ExitCode::FAILURE
        }
    }
}
