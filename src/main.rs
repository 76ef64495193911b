//! Thin entry point: parse arguments, run the library, print errors as one line, map exit codes.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ds_coverage::config::{Config, Env};
use ds_coverage::error::Exit;

/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which
/// the multi-megabyte list pages land in the heap and, freed, leave it fragmented: about 15% of
/// the peak RSS on a large cluster. A fixed threshold keeps each page's buffers in their own
/// mapping, returned to the system as soon as the page is decoded. It is 512 KiB, above hyper's
/// read buffer (at most about 400 KiB): at 128 KiB that buffer, allocated afresh as each body
/// chunk leaves it, was a new mapping every time, and each of its pages a fault as the socket
/// was read into it (15,000 nodes: 0.25 s less system time, 0.15 s less wall, 11-17 MiB more
/// peak RSS; BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_mmap_threshold() {
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only sets a tunable; it is called before any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 512 * 1024);
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
        proxy: ds_coverage::client::ProxyEnv {
            https_proxy: env_any(&["HTTPS_PROXY", "https_proxy"]),
            http_proxy: env_any(&["HTTP_PROXY", "http_proxy"]),
            no_proxy: env_any(&["NO_PROXY", "no_proxy"]),
        },
        width: terminal_width(&std::io::stdout()),
        stderr_width: terminal_width(&std::io::stderr()),
        height: terminal_height(&std::io::stdout()),
    };
    let result = Config::from_cli(cli, &env).and_then(|config| {
        let mut out = ClosablePipe::new(std::io::BufWriter::new(Stdout::open()));
        // Warnings and the gate's verdict name objects from the input: control characters in
        // them are escaped, the verdict's colours and the progress line's redraws pass.
        let allowed = ds_coverage::render::safe::Allowed {
            colour: config.render.stderr_color,
            // The progress line is redrawn only on a terminal.
            redraw: std::io::stderr().is_terminal(),
        };
        let err: ds_coverage::SharedWriter = std::sync::Arc::new(std::sync::Mutex::new(Box::new(
            ds_coverage::render::safe::TerminalSafe::new(
                ClosablePipe::new(std::io::stderr()),
                allowed,
            ),
        )));
        let code = ds_coverage::run(&config, &mut std::io::stdin(), &mut out, err.clone());
        let _ = err.lock().map(|mut e| e.flush());
        out.flush()?;
        code
    });
    match result {
        Ok(code) => code.into(),
        // Only reachable if a closed stdout escaped the guard; the run itself was not at fault.
        Err(e) if e.is_closed_output() => Exit::Ok.into(),
        Err(e) => {
            // Never `eprintln!`: it panics when stderr is closed.
            // An error can quote the API server or an input file: one line, nothing a
            // terminal would act on.
            let message = ds_coverage::render::safe::one_line(&e.to_string()).into_owned();
            let _ = writeln!(std::io::stderr(), "error: {message}");
            e.exit().into()
        }
    }
}

/// Standard output. Into a pipe (`| jq`, `| wc -c`) it is written straight to its descriptor
/// ([`PipeOut`]): whole lines, at most [`PIPE_WRITE`] bytes a write. Linux's pipe holds 64 KiB,
/// and a write that fills it (a DaemonSet's report is megabytes at scale) leaves the reader
/// and the writer taking turns, each waiting for the other to empty or fill it; writes of a
/// fraction of it let both work at once. Writing a 327 MB report into `wc -c`: 8 MiB writes
/// 0.29 s wall, 0.14 s of the writer's CPU; 64 KiB writes 0.45 s, 0.34 s; 16 KiB writes
/// 0.08 s, 0.07 s (BENCHMARKS.md). Into a regular file (`> report.json`) it is written by a
/// thread of its own ([`FileOut`]), so that the kernel's copy into the page cache is done
/// while the report goes on being produced. Anything else (a terminal, `/dev/null`) gets the
/// standard library's `Stdout`.
enum Stdout {
    Std(std::io::StdoutLock<'static>),
    #[cfg(unix)]
    Pipe(PipeOut<std::fs::File>),
    #[cfg(unix)]
    File(FileOut),
}

/// See [`Stdout`].
const PIPE_WRITE: usize = 16 * 1024;

impl Stdout {
    fn open() -> Stdout {
        let out = std::io::stdout();
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            use std::os::unix::fs::FileTypeExt;
            // A second descriptor for the same pipe: writes to it bypass the standard
            // library's line buffer. Nothing else writes to standard output during a run.
            if let Ok(fd) = out.as_fd().try_clone_to_owned() {
                let file = std::fs::File::from(fd);
                match file.metadata() {
                    Ok(m) if m.file_type().is_fifo() => return Stdout::Pipe(PipeOut::new(file)),
                    Ok(m) if m.file_type().is_file() => {
                        // Without a thread to be had, it falls back to `Stdout` below.
                        if let Ok(out) = FileOut::new(file) {
                            return Stdout::File(out);
                        }
                    }
                    _ => {}
                }
            }
        }
        Stdout::Std(out.lock())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stdout::Std(out) => out.write(buf),
            #[cfg(unix)]
            Stdout::Pipe(pipe) => pipe.write(buf),
            #[cfg(unix)]
            Stdout::File(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stdout::Std(out) => out.flush(),
            #[cfg(unix)]
            Stdout::Pipe(pipe) => pipe.flush(),
            #[cfg(unix)]
            Stdout::File(file) => file.flush(),
        }
    }
}

/// Writes whole lines, at most [`PIPE_WRITE`] bytes a write, as the standard library's
/// line-buffered stdout writes whole lines: an unfinished last line is held back until its
/// end comes (or a flush), so that what a run writes to standard error between two writes
/// (`2>&1`) falls between lines. A line longer than a write goes in pieces.
#[cfg_attr(not(unix), allow(dead_code))]
struct PipeOut<W: Write> {
    inner: W,
    /// The start of a line whose end has not come yet (always shorter than `PIPE_WRITE`).
    held: Vec<u8>,
}

#[cfg_attr(not(unix), allow(dead_code))]
impl<W: Write> PipeOut<W> {
    fn new(inner: W) -> PipeOut<W> {
        PipeOut {
            inner,
            held: Vec::with_capacity(PIPE_WRITE),
        }
    }

    fn write_held(&mut self) -> std::io::Result<()> {
        let written = self.inner.write_all(&self.held);
        self.held.clear();
        written
    }
}

impl<W: Write> Write for PipeOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.held.is_empty() {
            // The line held back takes `buf` up to its end (or as much as a write holds),
            // then goes in one write.
            let room = &buf[..buf.len().min(PIPE_WRITE - self.held.len())];
            let take = memchr::memchr(b'\n', room).map_or(room.len(), |i| i + 1);
            self.held.extend_from_slice(&buf[..take]);
            if self.held.last() == Some(&b'\n') || self.held.len() >= PIPE_WRITE {
                self.write_held()?;
            }
            return Ok(take);
        }
        let head = &buf[..buf.len().min(PIPE_WRITE)];
        match memchr::memrchr(b'\n', head) {
            Some(end) => self.inner.write(&head[..=end]),
            None if head.len() == PIPE_WRITE => self.inner.write(head),
            None => {
                self.held.extend_from_slice(head);
                Ok(head.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.held.is_empty() {
            self.write_held()?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for PipeOut<W> {
    fn drop(&mut self) {
        if !self.held.is_empty() {
            let _ = self.write_held();
        }
    }
}

/// At least this many bytes go to [`FileOut`]'s thread at a time (ending at a line's end).
#[cfg_attr(not(unix), allow(dead_code))]
const FILE_WRITE: usize = 256 * 1024;

/// How many chunks of [`FILE_WRITE`] bytes may wait for [`FileOut`]'s thread: what a run holds
/// beyond its report's production is at most this many and the one being filled.
#[cfg_attr(not(unix), allow(dead_code))]
const FILE_QUEUE: usize = 2;

/// What [`FileOut`]'s thread is given.
#[cfg_attr(not(unix), allow(dead_code))]
enum FileChunk {
    Bytes(Vec<u8>),
    /// Answered once everything sent before is written.
    Sync(std::sync::mpsc::SyncSender<()>),
}

/// Standard output into a regular file, written by a thread of its own. Writing a fresh file
/// costs the kernel a page-cache page per 4 KiB, and on a virtual machine that hands freed
/// memory back to its host a host fault per page too: 0.8-1.7 s of system time for the
/// 327 MB report of 15,000 nodes, which here overlaps producing the report rather than adding
/// to it, in writes of 256 KiB rather than a DaemonSet's 8 MB at once (15,000 nodes, eight
/// interleaved runs: median wall 3.64 -> 3.38 s, system time 1.2-1.6 -> 0.6-0.9 s, peak RSS
/// the same; BENCHMARKS.md). Chunks end at a line's end, as [`PipeOut`]'s writes do, so that
/// standard error's text (`> report 2>&1`) falls between lines; [`FileOut::flush`] returns
/// once everything written before it is in the file, as a flush of `Stdout` does. The first
/// write error is returned by the next write or flush, and nothing is written after it.
#[cfg_attr(not(unix), allow(dead_code))]
struct FileOut {
    /// What has not gone to the thread yet.
    pending: Vec<u8>,
    to_writer: Option<std::sync::mpsc::SyncSender<FileChunk>>,
    /// Buffers the thread has written, to be filled again.
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    failed: std::sync::Arc<std::sync::Mutex<Option<std::io::Error>>>,
    /// The kind and text of the error already returned: every later write or flush fails too.
    failed_before: Option<(std::io::ErrorKind, String)>,
    writer: Option<std::thread::JoinHandle<()>>,
}

#[cfg_attr(not(unix), allow(dead_code))]
impl FileOut {
    /// Fails only when no thread can be started.
    fn new<W: Write + Send + 'static>(mut inner: W) -> std::io::Result<FileOut> {
        let (to_writer, chunks) = std::sync::mpsc::sync_channel::<FileChunk>(FILE_QUEUE);
        let (give_back, spare) = std::sync::mpsc::sync_channel::<Vec<u8>>(FILE_QUEUE);
        let failed = std::sync::Arc::new(std::sync::Mutex::new(None));
        let failure = failed.clone();
        let writer = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || {
                let mut broken = false;
                for chunk in chunks {
                    match chunk {
                        FileChunk::Bytes(mut bytes) => {
                            if !broken && let Err(e) = inner.write_all(&bytes) {
                                broken = true;
                                *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            }
                            bytes.clear();
                            let _ = give_back.try_send(bytes);
                        }
                        FileChunk::Sync(done) => {
                            if !broken && let Err(e) = inner.flush() {
                                broken = true;
                                *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            }
                            let _ = done.send(());
                        }
                    }
                }
            });
        Ok(FileOut {
            pending: Vec::with_capacity(FILE_WRITE),
            to_writer: Some(to_writer),
            spare,
            failed,
            failed_before: None,
            writer: Some(writer?),
        })
    }

    /// The write error the thread met: the first call gets it, later ones its like.
    fn failure(&mut self) -> std::io::Result<()> {
        if let Some((kind, text)) = &self.failed_before {
            return Err(std::io::Error::new(*kind, text.clone()));
        }
        match self.failed.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => {
                self.failed_before = Some((e.kind(), e.to_string()));
                Err(e)
            }
            None => Ok(()),
        }
    }

    fn send(&mut self, chunk: FileChunk) -> std::io::Result<()> {
        match &self.to_writer {
            Some(to) if to.send(chunk).is_ok() => Ok(()),
            _ => Err(std::io::Error::other(
                "standard output's writer thread stopped",
            )),
        }
    }

    /// Sends what is pending up to its last line end (all of it with `all`, or when no line
    /// ends in it).
    fn send_pending(&mut self, all: bool) -> std::io::Result<()> {
        let end = if all {
            self.pending.len()
        } else {
            memchr::memrchr(b'\n', &self.pending).map_or(self.pending.len(), |i| i + 1)
        };
        let mut next = self.spare.try_recv().unwrap_or_default();
        next.reserve(FILE_WRITE);
        next.extend_from_slice(&self.pending[end..]);
        self.pending.truncate(end);
        let full = std::mem::replace(&mut self.pending, next);
        if full.is_empty() {
            return Ok(());
        }
        self.send(FileChunk::Bytes(full))
    }
}

impl Write for FileOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.failure()?;
        // At most a chunk's worth at a time: a DaemonSet's text comes in one write of
        // megabytes (8 MB at 15,000 nodes), and chunks of its size waiting for the thread
        // would hold that many times over.
        let take = buf
            .len()
            .min(FILE_WRITE.saturating_sub(self.pending.len()).max(1));
        self.pending.extend_from_slice(&buf[..take]);
        if self.pending.len() >= FILE_WRITE {
            self.send_pending(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_pending(true)?;
        let (done, written) = std::sync::mpsc::sync_channel(1);
        self.send(FileChunk::Sync(done))?;
        if written.recv().is_err() {
            return Err(std::io::Error::other(
                "standard output's writer thread stopped",
            ));
        }
        self.failure()
    }
}

impl Drop for FileOut {
    /// What is pending is written, and the thread is waited for, so that everything is in
    /// the file before the process exits (a run that failed drops it without a flush).
    fn drop(&mut self) {
        let _ = self.send_pending(true);
        self.to_writer = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The first of `names` set to a non-empty value (Go's `httpproxy.getEnvAny`).
fn env_any(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// What `terminal_size` reads a terminal's size through: a file descriptor, or on Windows (a
/// release target) a handle.
#[cfg(unix)]
use std::os::fd::AsFd as TerminalStream;
#[cfg(windows)]
use std::os::windows::io::AsHandle as TerminalStream;

/// The columns of the terminal `stream` is (standard output, or standard error for the
/// gate's verdict), else `COLUMNS` (as shells export it, and as tests and CI set it); `None`
/// when neither tells.
fn terminal_width<S: IsTerminal + TerminalStream>(stream: &S) -> Option<usize> {
    if stream.is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(stream)
        && w > 0
    {
        return Some(usize::from(w));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
}

/// The rows of the terminal standard output is, else `LINES` (as shells may export it);
/// `None` when neither tells.
fn terminal_height<S: IsTerminal + TerminalStream>(stream: &S) -> Option<usize> {
    if stream.is_terminal()
        && let Some((_, terminal_size::Height(h))) = terminal_size::terminal_size_of(stream)
        && h > 0
    {
        return Some(usize::from(h));
    }
    std::env::var("LINES")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|h| *h > 0)
}

/// Standard output or error whose reader may go away (`| head`, `2>&-`). Once the pipe is closed,
/// everything written later is dropped and reported written: the run goes on to its verdict, so
/// a closed pipe never changes the exit code of any subcommand (as `kubectl get | head` keeps
/// kubectl's). Other write errors (a full disk) still fail the run.
struct ClosablePipe<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> ClosablePipe<W> {
    fn new(inner: W) -> Self {
        ClosablePipe {
            inner,
            closed: false,
        }
    }

    fn guard<T>(&mut self, r: std::io::Result<T>, done: T) -> std::io::Result<T> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(done)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for ClosablePipe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.guard(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.guard(r, ())
    }
}

#[cfg(test)]
mod tests {
    use super::{FILE_WRITE, FileOut, PIPE_WRITE, PipeOut};
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// Records each write it is given; with `short`, takes half of a long one now and then,
    /// as a pipe may.
    #[derive(Default)]
    struct Writes {
        writes: Vec<Vec<u8>>,
        short: bool,
    }

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = if self.short && buf.len() > 100 && self.writes.len() % 7 == 3 {
                buf.len() / 2
            } else {
                buf.len()
            };
            self.writes.push(buf[..n].to_vec());
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Text through a buffered writer in pieces of every size arrives whole and in order, in
    /// writes of at most `PIPE_WRITE` bytes that end at a line's end, but for the pieces of a
    /// line longer than a write and an unfinished last line.
    #[test]
    fn a_pipe_gets_whole_lines_in_small_writes() {
        let mut text = Vec::new();
        for i in 0..3000 {
            let len = match i % 500 {
                17 => 3 * PIPE_WRITE + 5,
                18 => PIPE_WRITE - 1,
                19 => PIPE_WRITE,
                _ => i % 97,
            };
            text.extend((0..len).map(|j| b'a' + (j % 26) as u8));
            text.push(b'\n');
        }
        text.extend_from_slice(b"no line end");
        for short in [false, true] {
            for piece in [1, 5, 100, 4096, 9000, PIPE_WRITE, 100_000, text.len()] {
                let mut recorded = Writes {
                    short,
                    ..Writes::default()
                };
                {
                    let mut out = std::io::BufWriter::new(PipeOut::new(&mut recorded));
                    for chunk in text.chunks(piece) {
                        out.write_all(chunk).unwrap();
                    }
                    out.flush().unwrap();
                }
                assert_eq!(recorded.writes.concat(), text, "pieces of {piece}");
                let (last, writes) = recorded.writes.split_last().unwrap();
                assert!(b"no line end".ends_with(last), "pieces of {piece}");
                for w in writes {
                    assert!(w.len() <= PIPE_WRITE, "pieces of {piece}: {}", w.len());
                    // A write the pipe took only half of ends where it stopped.
                    let piece_of_long_line = w.len() == PIPE_WRITE && !w.contains(&b'\n');
                    assert!(
                        short || w.ends_with(b"\n") || piece_of_long_line,
                        "pieces of {piece}: a write ends mid-line: {:?}",
                        String::from_utf8_lossy(&w[w.len().saturating_sub(20)..])
                    );
                }
            }
        }
        // Dropped without a flush (an error on the way out), the line held back still goes.
        let mut recorded = Writes::default();
        {
            let mut out = PipeOut::new(&mut recorded);
            out.write_all(b"a\nunfinished").unwrap();
        }
        assert_eq!(recorded.writes.concat(), b"a\nunfinished");
    }

    /// What [`FileOut`]'s thread writes, seen from the test; fails with a full disk from
    /// write number `fail_at` on.
    #[derive(Clone, Default)]
    struct Shared {
        writes: Arc<Mutex<Vec<Vec<u8>>>>,
        fail_at: Option<usize>,
    }

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut writes = self.writes.lock().unwrap();
            if self.fail_at.is_some_and(|n| writes.len() >= n) {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            writes.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(count: usize) -> Vec<u8> {
        let mut text = Vec::new();
        for i in 0..count {
            let len = match i % 5000 {
                17 => 2 * FILE_WRITE + 5,
                _ => i % 211,
            };
            text.extend((0..len).map(|j| b'a' + (j % 26) as u8));
            text.push(b'\n');
        }
        text
    }

    /// Everything written before a flush is in the file when the flush returns, in order, in
    /// writes of at most a chunk that end at a line's end but for the pieces of a line longer
    /// than a chunk.
    #[test]
    fn a_file_gets_everything_by_a_flush_in_whole_lines() {
        let text = lines(40_000);
        for piece in [1, 100, 8192, 1 << 16, FILE_WRITE + 3, text.len()] {
            let file = Shared::default();
            let mut out = FileOut::new(file.clone()).unwrap();
            let (head, tail) = text.split_at(text.len() / 2);
            for part in [head, tail] {
                for chunk in part.chunks(piece) {
                    out.write_all(chunk).unwrap();
                }
                out.write_all(b"unfinished").unwrap();
                out.flush().unwrap();
                let written = file.writes.lock().unwrap().concat();
                assert!(
                    written.ends_with(&[part, b"unfinished"].concat()),
                    "pieces of {piece}"
                );
            }
            let writes = file.writes.lock().unwrap().clone();
            assert_eq!(
                writes.concat().len(),
                text.len() + 2 * b"unfinished".len(),
                "pieces of {piece}"
            );
            // No write is larger than a chunk, however large the writes given.
            assert!(
                writes.iter().all(|w| w.len() <= FILE_WRITE),
                "pieces of {piece}"
            );
            // A flush ends a write wherever it comes; every other write ends a line, or is a
            // piece of a line longer than a chunk.
            for w in writes.iter().filter(|w| !w.ends_with(b"unfinished")) {
                assert!(
                    w.ends_with(b"\n") || !w.contains(&b'\n'),
                    "pieces of {piece}: a write of {} bytes ends mid-line",
                    w.len()
                );
            }
            assert!(
                writes.len() > 2,
                "pieces of {piece}: {} writes",
                writes.len()
            );
        }
    }

    /// Dropped without a flush (a run that failed), what was written still reaches the file
    /// before the drop returns.
    #[test]
    fn a_file_gets_everything_when_dropped() {
        let text = lines(30_000);
        let file = Shared::default();
        {
            let mut out = FileOut::new(file.clone()).unwrap();
            out.write_all(&text).unwrap();
            out.write_all(b"last").unwrap();
        }
        let written = file.writes.lock().unwrap().concat();
        assert_eq!(&written[..text.len()], &text[..]);
        assert_eq!(&written[text.len()..], b"last");
    }

    /// A full disk fails the run: the error comes back from a later write or the flush, and
    /// nothing is written after it.
    #[test]
    fn a_write_error_comes_back_and_stops_the_writes() {
        let text = lines(60_000);
        let file = Shared {
            fail_at: Some(2),
            ..Shared::default()
        };
        let mut out = FileOut::new(file.clone()).unwrap();
        let mut written = Ok(());
        for chunk in text.chunks(4096) {
            written = out.write_all(chunk);
            if written.is_err() {
                break;
            }
        }
        let failed = written
            .and_then(|()| out.flush())
            .expect_err("the full disk is reported");
        assert_eq!(failed.kind(), std::io::ErrorKind::StorageFull);
        // Every write and flush after it fails too: nothing goes on as if written.
        assert_eq!(
            out.write(b"more\n").unwrap_err().kind(),
            std::io::ErrorKind::StorageFull
        );
        assert_eq!(
            out.flush().unwrap_err().kind(),
            std::io::ErrorKind::StorageFull
        );
        drop(out);
        let writes = file.writes.lock().unwrap();
        assert_eq!(writes.len(), 2);
        assert!(text.starts_with(&writes.concat()));
    }
}
