//! `klp`: the command-line entry point (see the crate README).

use clap::Parser;
use klp::cli::{Cli, Command, WaitArgs};
use klp::commands::{self, Ctx};
use klp::error::Result;
use klp::kernel::Syscalls;
use klp::sys::Sys;
use klp::wait::WaitOptions;
use std::io::{self, BufRead, IsTerminal, Write};
use std::time::Duration;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        let _ = io::stdout().flush();
        eprintln!("klp: error: {e}");
        std::process::exit(e.exit_code());
    }
}

fn run(cli: Cli) -> Result<()> {
    let kernel = Syscalls;
    let ctx = |wait: Option<&WaitArgs>| Ctx {
        sys: Sys::new(&cli.root),
        kernel: &kernel,
        wait: match wait {
            Some(w) => WaitOptions::new(Duration::from_secs(w.timeout), !w.no_progress),
            None => WaitOptions::new(Duration::from_secs(60), true),
        },
    };
    let out = &mut io::stdout().lock();
    match &cli.command {
        Command::List { json } => commands::list(&ctx(None), *json, out),
        Command::Load(a) => match (&a.all, &a.file) {
            (Some(dir), _) => commands::load_all(&ctx(Some(&a.wait)), dir, out),
            (None, Some(file)) => {
                commands::load_file(&ctx(Some(&a.wait)), file, &a.params, false, out).map(drop)
            }
            (None, None) => unreachable!("clap requires a file or --all"),
        },
        Command::Disable { name, wait } => commands::disable(&ctx(Some(wait)), name, out),
        Command::Unload { name, wait } => commands::unload(&ctx(Some(wait)), name, out),
        Command::Force { name, yes } => commands::force(
            &ctx(None),
            name,
            || *yes || ask_yes(),
            out,
            &mut io::stderr(),
        ),
        Command::Info { file, json } => commands::info(&ctx(None), file, *json, out),
        Command::New(a) => commands::new(
            &cli.root,
            &commands::NewOptions {
                function: a.function.clone(),
                object: a.object.clone(),
                dir: a.dir.clone(),
                name: a.name.clone(),
                btf: a.btf.clone(),
                vmlinux_btf: a.vmlinux_btf.clone(),
                kdir: a.kdir.clone(),
                source: a.source.clone(),
            },
            out,
        ),
        Command::Build(a) => commands::build(
            &commands::BuildOptions {
                dir: a.dir.clone().unwrap_or_else(|| ".".into()),
                kdir: a.kdir.clone(),
                kernel: a.kernel.clone(),
                vmlinux_btf: a.vmlinux_btf.clone(),
                btf_modules: a.btf_modules.clone(),
                sign: a.sign.as_ref().map(|s| (s[0].clone(), s[1].clone())),
                make_args: a.make_args.clone(),
            },
            &commands::BuildEnv::current(),
            out,
            &mut io::stderr(),
        ),
        Command::PostLink { files } => commands::post_link(files, out),
        Command::Status { all, json } => commands::status(&ctx(None), *all, *json, out),
    }
}

/// Asks on the terminal; no terminal means no.
fn ask_yes() -> bool {
    if !io::stdin().is_terminal() {
        return false;
    }
    eprint!("Type 'yes' to force: ");
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}
