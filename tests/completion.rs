//! Completion in the real shells: bash (with bash-completion), zsh and fish run in a terminal
//! (tmux), a line is typed, Tab is pressed, and the screen is read. The scripts are the ones
//! `kubectl-ds_coverage completion SHELL` prints, installed as a user would; the kubectl plugin
//! path goes through the real kubectl's own completion and the kubectl_complete-ds_coverage shim,
//! with DaemonSet and node names from the simulated API server.
//!
//! Every program these tests drive is required: `.ci/run` installs them (Debian packages tmux,
//! bash-completion, zsh, fish); a missing one fails the test, loudly.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-ds_coverage");
const PROMPT: &str = "READY> ";
/// How long a screen may take to show what is awaited. Generous: on a loaded machine (CI
/// runners, several builds at once) a shell's start or a completion can take many seconds, and
/// the waits poll, so a fast run is not slowed by it.
const WAIT: Duration = Duration::from_secs(180);
/// How long one Tab's answer is awaited before the line is typed and Tab pressed again.
const ATTEMPT: Duration = Duration::from_secs(30);

fn require(program: &str) -> PathBuf {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(program))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("{program} is required by the completion tests (.ci/run installs it): not on PATH")
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }
}

/// A scratch directory removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ds-coverage-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One interactive shell in its own tmux server (its own socket), killed on drop.
struct Terminal {
    socket: String,
    shell: Shell,
    _home: Scratch,
}

impl Terminal {
    /// `shell`, with this crate's completion script installed as its docs say, the plugin and
    /// the shim on PATH, and `kubectl completion SHELL` loaded when `kubectl` is set.
    fn start(shell: Shell, kubeconfig: Option<&Path>, kubectl: bool) -> Terminal {
        let tmux = require("tmux");
        let shell_path = require(shell.name());
        let home = Scratch::new(&format!("term-{}", shell.name()));
        let h = &home.0;
        // The plugin, its kubectl shim and kubectl, and nothing else of this project.
        let bin = h.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(BIN, bin.join("kubectl-ds_coverage")).unwrap();
        let shim =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/kubectl_complete-ds_coverage");
        std::os::unix::fs::symlink(shim, bin.join("kubectl_complete-ds_coverage")).unwrap();
        if kubectl {
            std::os::unix::fs::symlink(require("kubectl"), bin.join("kubectl")).unwrap();
        }
        // A file in the working directory: offered only where file names belong.
        let work = h.join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("decoy-file.txt"), "").unwrap();
        let script = Command::new(BIN)
            .args(["completion", shell.name()])
            .output()
            .unwrap();
        assert!(script.status.success());
        let kubectl_line = |line: &str| {
            if kubectl {
                line.to_string()
            } else {
                String::new()
            }
        };
        match shell {
            Shell::Bash => {
                let completion = h.join("kubectl-ds_coverage.bash");
                std::fs::write(&completion, &script.stdout).unwrap();
                let rc = format!(
                    "source /usr/share/bash-completion/bash_completion\n\
                     source {}\n{}\n\
                     bind 'set show-all-if-ambiguous on'\n\
                     bind 'set completion-query-items 0'\n\
                     bind 'set page-completions off'\n\
                     bind 'set bell-style none'\n\
                     PS1='{PROMPT}'\n",
                    completion.display(),
                    kubectl_line("source <(kubectl completion bash)")
                );
                assert!(
                    Path::new("/usr/share/bash-completion/bash_completion").is_file(),
                    "bash-completion is required (.ci/run installs it)"
                );
                std::fs::write(h.join(".bashrc"), rc).unwrap();
            }
            Shell::Zsh => {
                let fpath = h.join("zfunc");
                std::fs::create_dir_all(&fpath).unwrap();
                std::fs::write(fpath.join("_kubectl-ds_coverage"), &script.stdout).unwrap();
                let rc = format!(
                    "fpath=({} $fpath)\nautoload -U compinit\ncompinit -u -D\n{}\n\
                     unsetopt beep\nPROMPT='{PROMPT}'\nRPROMPT=''\n",
                    fpath.display(),
                    kubectl_line("source <(kubectl completion zsh)")
                );
                std::fs::write(h.join(".zshrc"), rc).unwrap();
            }
            Shell::Fish => {
                let completions = h.join("config/fish/completions");
                std::fs::create_dir_all(&completions).unwrap();
                std::fs::write(completions.join("kubectl-ds_coverage.fish"), &script.stdout)
                    .unwrap();
                let rc = format!(
                    "set -g fish_greeting ''\nset -g fish_autosuggestion_enabled 0\n\
                     function fish_prompt; printf '{PROMPT}'; end\n\
                     function fish_right_prompt; end\n{}\n",
                    kubectl_line("kubectl completion fish | source")
                );
                std::fs::write(h.join("config/fish/config.fish"), rc).unwrap();
            }
        }
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let mut env = vec![
            format!("HOME={}", h.display()),
            format!("PATH={path}"),
            "TERM=xterm-256color".to_string(),
            "LANG=C.UTF-8".to_string(),
            format!("ZDOTDIR={}", h.display()),
            format!("XDG_CONFIG_HOME={}", h.join("config").display()),
            format!("XDG_DATA_HOME={}", h.join("data").display()),
            format!("XDG_CACHE_HOME={}", h.join("cache").display()),
        ];
        if let Some(kc) = kubeconfig {
            env.push(format!("KUBECONFIG={}", kc.display()));
        }
        let mut command = vec!["env".to_string(), "-i".to_string()];
        command.extend(env);
        command.push(shell_path.display().to_string());
        match shell {
            Shell::Bash => command.extend(["--noprofile".into(), "-i".into()]),
            Shell::Zsh => command.push("-i".into()),
            Shell::Fish => command.push("-i".into()),
        }
        let socket = h.file_name().unwrap().to_string_lossy().into_owned();
        let status = Command::new(&tmux)
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "200", "-y", "50", "-c"])
            .arg(&work)
            .args(["--"])
            .args(&command)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session failed");
        let t = Terminal {
            socket,
            shell,
            _home: home,
        };
        t.wait_for("the first prompt", |s| s.contains(PROMPT.trim_end()));
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// Poll the screen until it satisfies `ok` or `within` has passed: the screen when it did.
    /// Polls often at first, then every 250 ms, so a fast shell is not held up and a loaded
    /// machine is not hammered with tmux calls.
    fn poll(&self, within: Duration, ok: impl Fn(&str) -> bool) -> Result<String, String> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return Ok(screen);
            }
            if start.elapsed() >= within {
                return Err(screen);
            }
            std::thread::sleep(pause.min(within.saturating_sub(start.elapsed())));
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// Wait (bounded by [`WAIT`]) until the screen satisfies `ok`; fail with the screen otherwise.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.poll(WAIT, ok).unwrap_or_else(|screen| {
            panic!(
                "{}: never saw {what} within {WAIT:?}; the screen:\n{screen}",
                self.shell.name()
            )
        })
    }

    /// A fresh, empty prompt; then `line` typed and Tab pressed (twice where `twice`).
    fn complete(&self, line: &str) -> String {
        // Cancel whatever is shown (a pager may take a second C-c), until only a prompt is: each
        // round polls for the empty prompt a while before pressing the keys again.
        let start = Instant::now();
        loop {
            self.tmux(&["send-keys", "-t", "0", "C-c"]);
            self.tmux(&["send-keys", "-t", "0", "C-l"]);
            self.tmux(&["clear-history", "-t", "0"]);
            // The one fixed pause: C-c reaches the shell as a signal, handled on its own time;
            // a line typed before it is handled can be wiped by it (seen under load as a Tab
            // answered by a fresh, empty prompt). Everything awaited is polled.
            std::thread::sleep(Duration::from_millis(200));
            match self.poll(Duration::from_secs(2), |s| {
                s.trim_end() == PROMPT.trim_end()
            }) {
                Ok(_) => break,
                Err(screen) => assert!(
                    start.elapsed() < WAIT,
                    "{}: never got an empty prompt back within {WAIT:?}; the screen:\n{screen}",
                    self.shell.name()
                ),
            }
        }
        self.tmux(&["send-keys", "-t", "0", "-l", line]);
        self.wait_for("the typed line", |s| s.contains(line.trim_end()));
        self.tmux(&["send-keys", "-t", "0", "Tab"]);
        line.to_string()
    }

    /// The line being edited (the last line with the prompt).
    fn command_line(screen: &str) -> String {
        screen
            .lines()
            .rfind(|l| l.starts_with(PROMPT.trim_end()))
            .unwrap_or("")
            .to_string()
    }

    /// Type `line`, press Tab: every one of `offered` shows, and none of `absent`.
    fn offers(&self, line: &str, offered: &[&str], absent: &[&str]) {
        let screen = self.tab_until(line, &format!("{offered:?} offered"), |s| {
            let below: String = s
                .lines()
                .filter(|l| !l.starts_with(PROMPT.trim_end()))
                .collect::<Vec<_>>()
                .join("\n");
            offered.iter().all(|w| has_word(&below, w))
        });
        for a in absent {
            assert!(
                !has_word(&screen, a),
                "{}: {a:?} offered for {line:?}:\n{screen}",
                self.shell.name()
            );
        }
    }

    /// Type `line`, press Tab: the command line becomes `want` (the one candidate inserted).
    fn inserts(&self, line: &str, want: &str) {
        self.tab_until(line, &format!("completed to {want:?}"), |s| {
            Terminal::command_line(s).trim_end() == format!("{PROMPT}{want}").trim_end()
        });
    }

    /// Type `line` and press Tab until the screen satisfies `ok`: each attempt is awaited
    /// [`ATTEMPT`], all of them [`WAIT`]. An attempt may come back empty on a loaded machine by
    /// design: the engine gives up on cluster names after a short timeout (README, "Shell
    /// completion"), so one more attempt is made rather than a failure reported; an engine that
    /// never answers still fails.
    fn tab_until(&self, line: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut attempts = 0;
        loop {
            self.complete(line);
            attempts += 1;
            match self.poll(ATTEMPT, &ok) {
                Ok(screen) => return screen,
                Err(screen) if start.elapsed() >= WAIT => panic!(
                    "{}: never saw {line:?} {what} in {attempts} attempts within {WAIT:?}; the \
                     screen:\n{screen}",
                    self.shell.name()
                ),
                Err(_) => {}
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// `word` on the screen as a whole word (between spaces, line ends or a tab's padding).
/// fish's pager may elide a common prefix (`…-dry-run=server`): the rest must match the end.
fn has_word(screen: &str, word: &str) -> bool {
    screen.split(|c: char| c.is_whitespace()).any(|w| {
        w == word
            || w.strip_prefix('…')
                .is_some_and(|rest| rest.len() > 2 && word.ends_with(rest))
    })
}

/// What every shell must do with the binary's own completion script.
fn binary_completion(shell: Shell) {
    let t = Terminal::start(shell, None, false);
    let p = "kubectl-ds_coverage";
    t.offers(
        &format!("{p} "),
        &["explain", "schema", "completion", "fix", "help"],
        &["decoy-file.txt"],
    );
    let formats = [
        "table",
        "wide",
        "matrix",
        "json",
        "yaml",
        "markdown",
        "junit",
        "prometheus",
    ];
    t.offers(&format!("{p} -o "), &formats, &["decoy-file.txt"]);
    t.offers(
        &format!("{p} --color "),
        &["auto", "always", "never"],
        &["decoy-file.txt"],
    );
    // `--flag=<TAB>`: the shells show the values, and insert `--flag=value` once.
    match shell {
        // bash shows the part after `=`; fish the whole `--output=json`; zsh, the values.
        Shell::Fish => {
            let whole: Vec<String> = formats.iter().map(|f| format!("--output={f}")).collect();
            let whole: Vec<&str> = whole.iter().map(String::as_str).collect();
            t.offers(
                &format!("{p} --output="),
                &whole,
                &["--output=--output=json"],
            )
        }
        _ => t.offers(
            &format!("{p} --output="),
            &formats,
            &["--output=--output=json"],
        ),
    }
    t.inserts(
        &format!("{p} --output=mar"),
        &format!("{p} --output=markdown"),
    );
    t.inserts(
        &format!("{p} fix --dry-run=se"),
        &format!("{p} fix --dry-run=server"),
    );
    match shell {
        Shell::Fish => t.offers(
            &format!("{p} fix --dry-run="),
            &["--dry-run=client", "--dry-run=server", "--dry-run=none"],
            &[],
        ),
        _ => t.offers(
            &format!("{p} fix --dry-run="),
            &["client", "server", "none"],
            &[],
        ),
    }
    t.offers(
        &format!("{p} completion "),
        &["bash", "zsh", "fish", "powershell", "elvish"],
        &["explain", "decoy-file.txt"],
    );
    t.inserts(&format!("{p} sch"), &format!("{p} schema"));
    t.offers(
        &format!("{p} schema -o "),
        &["json", "yaml"],
        &["table", "decoy-file.txt"],
    );
    t.offers(
        &format!("{p} schema "),
        &["report", "explain", "plan"],
        &["bash", "decoy-file.txt"],
    );
    t.inserts(&format!("{p} schema pl"), &format!("{p} schema plan"));
    t.offers(&format!("{p} help "), &["explain", "fix", "schema"], &[]);
    t.inserts(
        &format!("{p} fix --max-unav"),
        &format!("{p} fix --max-unavailable"),
    );
    // Files where a file belongs, and only there.
    t.inserts(
        &format!("{p} --from-file dec"),
        &format!("{p} --from-file decoy-file.txt"),
    );
}

#[test]
fn bash_completes_the_binary() {
    binary_completion(Shell::Bash);
}

#[test]
fn zsh_completes_the_binary() {
    binary_completion(Shell::Zsh);
}

#[test]
fn fish_completes_the_binary() {
    binary_completion(Shell::Fish);
}

/// `kubectl ds-coverage <TAB>` in each shell: kubectl's own completion runs the shim, which runs
/// the plugin's engine; names come from the simulated API server.
fn kubectl_plugin_completion(shell: Shell) {
    let sim =
        ds_coverage_simulator::Simulator::start(support::example_objects(), Default::default());
    let dir = Scratch::new(&format!("kubeconfig-{}", shell.name()));
    let kc = dir.0.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, Some("logging"))).unwrap();
    let t = Terminal::start(shell, Some(&kc), true);
    let p = "kubectl ds-coverage";
    t.inserts(
        &format!("{p} explain fl"),
        &format!("{p} explain fluent-bit"),
    );
    t.offers(
        &format!("{p} explain fluent-bit worker-"),
        &["worker-1", "worker-2", "worker-3", "worker-4", "worker-5"],
        &["decoy-file.txt"],
    );
    t.inserts(
        &format!("{p} -n kube-system explain kube-p"),
        &format!("{p} -n kube-system explain kube-proxy"),
    );
    t.inserts(&format!("{p} --output=ya"), &format!("{p} --output=yaml"));
    t.inserts(
        &format!("{p} fix --dry-run=cl"),
        &format!("{p} fix --dry-run=client"),
    );
    t.inserts(&format!("{p} -o jun"), &format!("{p} -o junit"));
    t.inserts(&format!("{p} sch"), &format!("{p} schema"));
}

#[test]
fn bash_completes_the_kubectl_plugin() {
    kubectl_plugin_completion(Shell::Bash);
}

#[test]
fn zsh_completes_the_kubectl_plugin() {
    kubectl_plugin_completion(Shell::Zsh);
}

#[test]
fn fish_completes_the_kubectl_plugin() {
    kubectl_plugin_completion(Shell::Fish);
}

/// The protocol as kubectl sees it: `kubectl __complete ds-coverage ...` runs the shim.
#[test]
fn kubectl_relays_the_plugins_answers() {
    let kubectl = require("kubectl");
    let sim =
        ds_coverage_simulator::Simulator::start(support::example_objects(), Default::default());
    let dir = Scratch::new("kubectl-complete");
    let kc = dir.0.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, Some("logging"))).unwrap();
    let bin = dir.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("kubectl-ds_coverage")).unwrap();
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/kubectl_complete-ds_coverage"),
        bin.join("kubectl_complete-ds_coverage"),
    )
    .unwrap();
    let complete = |args: &[&str]| {
        let o = Command::new(&kubectl)
            .args(["__complete", "ds-coverage"])
            .args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("KUBECONFIG", &kc)
            .env("HOME", &dir.0)
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(
        complete(&["explain", "-n", "kube-system", ""]),
        "kube-proxy\n:4\n"
    );
    assert_eq!(
        complete(&["explain", "fluent-bit", "worker-"]),
        "worker-1\nworker-2\nworker-3\nworker-4\nworker-5\n:4\n"
    );
    // Cobra strips `--output=` and the shells put it back: bare values.
    assert_eq!(complete(&["--output=j"]), "json\njunit\n:4\n");
    assert_eq!(complete(&["fix", "--dry-run=s"]), "server\n:4\n");
}
