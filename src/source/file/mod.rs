//! Cluster state from saved captures: `kubectl get -o json|yaml` output (single objects, `List`
//! and typed lists, multi-document YAML with comments as must-gather writes it), the stream
//! `kubectl cluster-info dump` prints (JSON documents with container logs between them) and the
//! directory it writes with `--output-directory`, sonobuoy's bare arrays of kindless objects,
//! troubleshoot.sh and Rancher support bundles as directories, Python-client `to_dict()` dumps,
//! and stdin. Inputs are decoded object by object as they are read, never held whole. Kinds
//! other than Node, Pod, DaemonSet and ControllerRevision are skipped. README, "Reading saved
//! state", lists the shapes and the commands that produce them.

mod doc;
mod fastjson;
mod fastyaml;
mod hash;
mod kind;
mod pyclient;
mod scan;
mod stream;
mod tee;

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{DaemonSet, ObjectKeys};
use crate::report::Source;
use crate::snapshot::Snapshot;
use doc::{Decoded, Doc, Item};

/// How many conflicts are named one by one before the rest are counted.
const NAMED_CONFLICTS: usize = 5;

/// Read every path (`-` is stdin) into one snapshot; input without a single object the audit
/// reads is an error. Odd input (objects of two clusters, one object in two versions, no pods)
/// is read and reported in the snapshot's warnings.
pub fn load(paths: &[String], stdin: &mut dyn Read) -> Result<Snapshot> {
    let mut loader = Loader::new(paths);
    loader.load_all(paths, stdin)?;
    let snap = &loader.snap;
    if snap.nodes.is_empty()
        && snap.daemon_sets.is_empty()
        && snap.pods.is_empty()
        && snap.revisions.is_empty()
    {
        // An empty pipe from a failed `kubectl get` must not audit as "all fine".
        let mut message = "no nodes, DaemonSets, pods or ControllerRevisions in the input \
                           (expected `kubectl get nodes,daemonsets,pods,controllerrevisions -A \
                           -o json` output)"
            .to_string();
        if let Some(w) = loader.kindless_warning() {
            message = format!("{message}; {w}");
        }
        return Err(Error::Input {
            path: paths.join(", "),
            message,
        });
    }
    Ok(loader.finish(true))
}

/// DaemonSets from `--manifest` files (multi-document YAML as `helm template` prints it; other
/// kinds skipped). A file without any DaemonSet is a usage error: it is surely the wrong file.
pub fn load_manifests(paths: &[String], stdin: &mut dyn Read) -> Result<Vec<DaemonSet>> {
    let mut loader = Loader::new(paths);
    loader.load_all(paths, stdin)?;
    if loader.snap.daemon_sets.is_empty() {
        return Err(Error::Usage(format!(
            "no DaemonSet in --manifest {}",
            paths.join(", ")
        )));
    }
    Ok(loader.snap.daemon_sets)
}

/// Parse one input's text (JSON when it starts with `{` or `[`, else YAML) into the snapshot.
pub fn load_text(name: &str, text: &str, snap: &mut Snapshot) -> Result<()> {
    let mut loader = Loader::new(&[]);
    std::mem::swap(&mut loader.snap, snap);
    let res = loader.read(name, Path::new(name), text.as_bytes(), false, false);
    std::mem::swap(&mut loader.snap, snap);
    res?;
    snap.warnings.extend(loader.conflict_warnings());
    Ok(())
}

/// A DaemonSet with its raw template kept for revision comparison.
pub fn daemon_set_from_value(
    v: Value,
) -> std::result::Result<DaemonSet, (serde_json::Error, Value)> {
    let template_raw = v.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    match serde_json::from_value::<DaemonSet>(v.clone()) {
        Ok(mut ds) => {
            ds.template_raw = template_raw;
            Ok(ds)
        }
        Err(e) => Err((e, v)),
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot read: {e}"),
    }
}

/// A message of one short line: parser errors quote the input, which may be a huge string.
fn clip(message: &str) -> String {
    const MAX: usize = 300;
    let line = message.lines().next().unwrap_or("");
    if line.len() <= MAX {
        return line.to_string();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

fn hash_str(s: &str) -> u64 {
    let mut h = crate::fasthash::FastHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// What tells two copies of an object apart: the content hash ([`hash`]), or, for an item
/// read by the fast readers from a file that can be read again, the hash of its bytes and where
/// they are ([`doc::Decoded::text_at`]), its content hash taken from there only when it is
/// compared.
#[derive(Clone, Copy)]
struct Content {
    hash: u64,
    text_at: Option<doc::TextAt>,
    file: u32,
}

/// How many files [`Loader::content_hash`] keeps open.
const REOPENED_KEPT: usize = 8;

/// Reads inputs into a snapshot, noticing what does not fit together.
struct Loader {
    snap: Snapshot,
    files: Vec<String>,
    /// Each file's path when it can be read again at an offset (a regular file).
    rereadable: Vec<Option<PathBuf>>,
    /// Files opened to read items again, the most recent last: kept open for the next (two
    /// copies compared are mostly in two files), a few at a time (a directory may hold
    /// thousands).
    reopened: Vec<(u32, std::fs::File)>,
    /// Files found changed when read again (their items' bytes no longer there).
    changed: std::collections::BTreeSet<u32>,
    /// Each object by (kind, UID) ([`table_key`]): its place in `contents`, which holds what
    /// tells the copy kept from another. The table's entries are kept small (16 bytes; a
    /// `HashMap` of the pair and the content took 56), as it is probed at random once an object.
    by_uid: hashbrown::HashTable<(u64, u32)>,
    contents: Vec<Content>,
    /// Each object by (kind, namespace/name) ([`table_key`]): its UID's hash and the file it was
    /// first read from.
    by_name: hashbrown::HashTable<NameEntry>,
    /// "two UIDs for one name" and "one UID, two contents", as sentences.
    conflicts: Vec<String>,
    conflict_count: usize,
    /// Objects already warned about (one warning an object).
    warned: HashSet<(u8, u64)>,
    /// Files whose kindless objects were skipped (in directory walks), and how many objects.
    kindless: Vec<(String, usize)>,
    /// Files skipped in directory walks (FIFOs, sockets, devices, unreadable).
    skipped: Vec<String>,
}

/// An object known by its (kind, namespace/name).
struct NameEntry {
    key: u64,
    uid: u64,
    file: u32,
}

/// A (kind, hash) pair as one key of the loader's tables: the hash (of a UID, or of a
/// namespace and name) with the kind mixed in, so that a pod and a DaemonSet of one namespace and
/// name are two keys. The hash is [`crate::fasthash`]'s, whose bits are already spread: it is
/// its own hash in the tables.
fn table_key((code, hash): (u8, u64)) -> u64 {
    hash ^ u64::from(code).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn kind_code(kind: &str) -> u8 {
    match kind {
        "Node" => 0,
        "Pod" => 1,
        "DaemonSet" => 2,
        _ => 3,
    }
}

impl Loader {
    fn new(paths: &[String]) -> Loader {
        Loader {
            snap: Snapshot::new(Source::File {
                paths: paths.to_vec(),
            }),
            files: Vec::new(),
            rereadable: Vec::new(),
            reopened: Vec::new(),
            changed: std::collections::BTreeSet::new(),
            by_uid: hashbrown::HashTable::new(),
            contents: Vec::new(),
            by_name: hashbrown::HashTable::new(),
            conflicts: Vec::new(),
            conflict_count: 0,
            warned: HashSet::new(),
            kindless: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn load_all(&mut self, paths: &[String], stdin: &mut dyn Read) -> Result<()> {
        let mut stdin_used = false;
        for p in paths {
            if p == "-" {
                if stdin_used {
                    return Err(Error::Usage(
                        "standard input (-) can be given only once".into(),
                    ));
                }
                stdin_used = true;
                self.read("<stdin>", Path::new("-"), &mut *stdin, false, false)?;
                continue;
            }
            let path = Path::new(p);
            let meta = std::fs::metadata(path).map_err(|e| Error::Input {
                path: p.clone(),
                message: io_message(&e),
            })?;
            if meta.is_dir() {
                let mut files = Vec::new();
                let mut visited = HashSet::new();
                self.walk(path, &mut files, &mut visited)?;
                for f in files {
                    self.read_file(&f, true)?;
                }
            } else {
                // A FIFO or device named directly is read: the user asked for it.
                self.read_file(path, false)?;
            }
        }
        Ok(())
    }

    /// Files under a directory with a JSON or YAML extension, sorted for a stable order. Each
    /// real directory is entered once (symlink loops end); anything but regular files and
    /// directories (FIFOs, sockets, devices) is skipped, so that a walk never blocks.
    fn walk(
        &mut self,
        dir: &Path,
        out: &mut Vec<PathBuf>,
        visited: &mut HashSet<PathBuf>,
    ) -> Result<()> {
        let real = std::fs::canonicalize(dir).map_err(|e| Error::Input {
            path: dir.display().to_string(),
            message: io_message(&e),
        })?;
        if !visited.insert(real) {
            return Ok(());
        }
        let entries = std::fs::read_dir(dir).map_err(|e| Error::Input {
            path: dir.display().to_string(),
            message: io_message(&e),
        })?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let wanted = matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "yaml" | "yml")
            );
            // Follows symlinks: a link to a directory is walked, a broken one skipped.
            let Ok(meta) = std::fs::metadata(&p) else {
                if wanted {
                    self.skipped.push(format!("{} (broken link)", p.display()));
                }
                continue;
            };
            if meta.is_dir() {
                self.walk(&p, out, visited)?;
            } else if wanted {
                if meta.is_file() {
                    out.push(p);
                } else {
                    self.skipped
                        .push(format!("{} (not a regular file)", p.display()));
                }
            }
        }
        Ok(())
    }

    fn read_file(&mut self, path: &Path, in_walk: bool) -> Result<()> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::Input {
            path: name.clone(),
            message: io_message(&e),
        })?;
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        if let Some(size) = size {
            self.expect_objects(size);
        }
        self.read(&name, path, file, in_walk, size.is_some())
    }

    /// Read one input; `path` gives the kind of kindless objects (`Nodes.json`).
    /// `regular`: a regular file, which can be read again at an offset.
    fn read(
        &mut self,
        name: &str,
        path: &Path,
        r: impl Read,
        in_walk: bool,
        regular: bool,
    ) -> Result<()> {
        self.files.push(name.to_string());
        self.rereadable.push(regular.then(|| path.to_path_buf()));
        let hint = kind::from_path(path);
        let mut unknown = 0usize;
        let mut bare = 0usize;
        let mut first_unknown = String::new();
        // Kindless objects with `metadata` (Kubernetes objects whose kind is not said), not
        // other files' mappings (a compose file, a values file).
        let mut unknown_with_metadata = 0usize;
        let mut sink = |doc: Doc| -> std::result::Result<(), String> {
            for d in doc.items {
                match self.resolve(d, hint)? {
                    Resolved::Added | Resolved::Skipped => {}
                    Resolved::Unknown(v) => {
                        if unknown == 0 {
                            first_unknown = doc::object_name(&v);
                        }
                        unknown += 1;
                        unknown_with_metadata +=
                            usize::from(v.get("metadata").is_some_and(Value::is_object));
                    }
                    Resolved::Bare => bare += 1,
                }
            }
            Ok(())
        };
        stream::read_any(r, regular, &mut sink).map_err(|message| Error::Input {
            path: name.to_string(),
            message: clip(&message),
        })?;
        if bare > 0 && !in_walk {
            return Err(Error::Input {
                path: name.into(),
                message: "expected Kubernetes objects (kubectl get -o json|yaml output), found a \
                          bare value"
                    .into(),
            });
        }
        if unknown > 0 && unknown_with_metadata == 0 && !in_walk {
            return Err(Error::Input {
                path: name.into(),
                message: format!(
                    "expected Kubernetes objects (kubectl get -o json|yaml output), found \
                     {unknown} mapping(s) with neither `kind` nor `metadata`"
                ),
            });
        }
        if unknown > 0 {
            if in_walk {
                self.kindless.push((name.to_string(), unknown));
            } else {
                return Err(Error::Input {
                    path: name.into(),
                    message: format!(
                        "{unknown} object(s) without `kind` (first: {first_unknown}), and \
                         neither a selfLink nor the file name says which kind they are: name \
                         the file nodes.json, daemonsets.json, pods.json or \
                         controllerrevisions.json (as sonobuoy and support bundles do), or add \
                         `kind` to each object"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Put one decoded item in the snapshot, giving kindless ones a kind if anything tells it.
    fn resolve(
        &mut self,
        d: Decoded,
        hint: Option<&'static str>,
    ) -> std::result::Result<Resolved, String> {
        let hash = Content {
            hash: d.hash,
            text_at: d.text_at,
            file: (self.files.len() - 1) as u32,
        };
        match d.item {
            Item::Bare => Ok(Resolved::Bare),
            Item::Kindless(v) => {
                let kind = match kind::from_self_link(&v) {
                    Some("") => return Ok(Resolved::Skipped),
                    Some(k) => Some(k),
                    None => hint.filter(|k| kind::shape_fits(k, &v)),
                };
                let Some(kind) = kind else {
                    return Ok(Resolved::Unknown(v));
                };
                let mut out = Vec::new();
                doc::decode(kind, v, &mut out)?;
                for d in out {
                    self.resolve(d, None)?;
                }
                Ok(Resolved::Added)
            }
            Item::Node(n) => {
                let i = self.place("Node", n.metadata.keys(), hash, |s| &s.nodes);
                match i {
                    Place::New => self.snap.add_node(n),
                    Place::Replace(i) => self.snap.nodes[i] = n,
                    Place::Drop => {}
                }
                Ok(Resolved::Added)
            }
            Item::Pod(p) => {
                match self.place("Pod", p.metadata.keys(), hash, |s| &s.pods) {
                    Place::New => self.snap.add_pod(p),
                    Place::Replace(i) => self.snap.pods[i] = p,
                    Place::Drop => {}
                }
                Ok(Resolved::Added)
            }
            Item::DaemonSet(ds) => {
                match self.place("DaemonSet", ds.metadata.keys(), hash, |s| &s.daemon_sets) {
                    Place::New => self.snap.add_daemon_set(ds),
                    Place::Replace(i) => self.snap.daemon_sets[i] = ds,
                    Place::Drop => {}
                }
                Ok(Resolved::Added)
            }
            Item::Revision(r) => {
                match self.place("ControllerRevision", r.metadata.keys(), hash, |s| {
                    &s.revisions
                }) {
                    Place::New => self.snap.add_revision(r),
                    Place::Replace(i) => self.snap.revisions[i] = r,
                    Place::Drop => {}
                }
                Ok(Resolved::Added)
            }
        }
    }

    /// Where an object goes: new, in place of the copy kept (same UID, other content, higher
    /// resourceVersion), or nowhere (a repeat).
    fn place<T: HasMeta>(
        &mut self,
        kind: &'static str,
        meta: ObjectKeys<'_>,
        hash: Content,
        list: impl Fn(&Snapshot) -> &Vec<T>,
    ) -> Place {
        match self.first_sighting(kind, meta, hash) {
            Sight::New => Place::New,
            Sight::Repeat => Place::Drop,
            Sight::Changed(uid_key) => {
                let Some(rv) = meta.resource_version.parse::<u64>().ok() else {
                    return Place::Drop;
                };
                let all = list(&self.snap);
                let Some(i) = all.iter().position(|x| x.meta().uid == meta.uid) else {
                    return Place::Drop;
                };
                match all[i].meta().resource_version.parse::<u64>() {
                    Ok(kept) if rv > kept => {
                        if let Some(s) = self.content_mut(uid_key) {
                            *s = hash;
                        }
                        Place::Replace(i)
                    }
                    _ => Place::Drop,
                }
            }
        }
    }

    /// Whether the object is new. The same object seen again with the same content (dumps
    /// often list it twice) is dropped silently; with other content, or the same name under
    /// another UID, it is a conflict worth a warning (once an object); `place` then decides
    /// whether a changed copy replaces the one kept.
    fn first_sighting(&mut self, kind: &'static str, meta: ObjectKeys<'_>, hash: Content) -> Sight {
        let file = hash.file;
        let code = kind_code(kind);
        // `namespace/name`, made only for a message or an object without a UID.
        let id = || {
            if meta.namespace.is_empty() {
                meta.name.to_string()
            } else {
                format!("{}/{}", meta.namespace, meta.name)
            }
        };
        let id_hash = || {
            let mut h = crate::fasthash::FastHasher::default();
            h.write(meta.namespace.as_bytes());
            h.write(meta.name.as_bytes());
            h.finish()
        };
        let uid_key = (
            code,
            if meta.uid.is_empty() {
                id_hash()
            } else {
                hash_str(meta.uid)
            },
        );
        // One probe of each table for a new object (nearly every one read): the entry found
        // empty is filled in place.
        let key = table_key(uid_key);
        let new_uid = match self.by_uid.entry(key, |e| e.0 == key, |e| e.0) {
            hashbrown::hash_table::Entry::Vacant(v) => v,
            hashbrown::hash_table::Entry::Occupied(o) => {
                let first = self.contents[o.get().1 as usize];
                if self.same_content(uid_key, first, hash) {
                    return Sight::Repeat;
                }
                if self.warned.insert(uid_key) {
                    let id = id();
                    let msg = format!(
                        "{kind} {id} (UID {}) is in the input twice with different content ({} \
                         and {}): the input mixes captures taken at different times or edited \
                         copies; the one with the higher resourceVersion is used",
                        meta.uid, self.files[first.file as usize], self.files[file as usize]
                    );
                    self.conflict(msg);
                }
                return Sight::Changed(uid_key);
            }
        };
        let name_key = (code, id_hash());
        let nkey = table_key(name_key);
        let entry = NameEntry {
            key: nkey,
            uid: uid_key.1,
            file,
        };
        match self.by_name.entry(nkey, |e| e.key == nkey, |e| e.key) {
            hashbrown::hash_table::Entry::Occupied(o)
                if !meta.uid.is_empty() && o.get().uid != uid_key.1 =>
            {
                let other_file = o.get().file;
                let id = id();
                let msg = format!(
                    "{kind} {id} is in the input under two UIDs ({} and {}): the input mixes \
                     captures of different clusters, or of one cluster at different times; the \
                     first one read is used",
                    self.files[other_file as usize], self.files[file as usize]
                );
                if self.warned.insert(name_key) {
                    self.conflict(msg);
                }
                Sight::Repeat
            }
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                *o.get_mut() = entry;
                new_uid.insert((key, self.contents.len() as u32));
                self.contents.push(hash);
                Sight::New
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(entry);
                new_uid.insert((key, self.contents.len() as u32));
                self.contents.push(hash);
                Sight::New
            }
        }
    }

    /// Room in the tables for the objects a file of `size` bytes likely holds (a pod is 3–8 KB
    /// in a dump): growing tables of 250,000 objects moved each entry again at every doubling.
    /// At most a million (a 4 GB file): beyond, and for a large file of something else in a
    /// directory, the tables grow as they fill.
    fn expect_objects(&mut self, size: u64) {
        let n = usize::try_from(size / 4096)
            .unwrap_or(usize::MAX)
            .min(1 << 20);
        self.by_uid.reserve(n, |e| e.0);
        self.by_name.reserve(n, |e| e.key);
        self.contents.reserve(n);
    }

    /// What tells the copy kept under `uid_key` from another.
    fn content_mut(&mut self, uid_key: (u8, u64)) -> Option<&mut Content> {
        let key = table_key(uid_key);
        let &(_, at) = self.by_uid.find(key, |e| e.0 == key)?;
        self.contents.get_mut(at as usize)
    }

    /// Whether two copies of an object (the first kept under `uid_key`) hold the same data. Two
    /// hashes of the same sort are compared as they are; a copy known by its bytes is otherwise
    /// read again and hashed by its content (remembered for the first copy). A copy that cannot
    /// be read again as it was (the file changed since) differs.
    fn same_content(&mut self, uid_key: (u8, u64), first: Content, other: Content) -> bool {
        if first.text_at.is_some() == other.text_at.is_some() && first.hash == other.hash {
            return true;
        }
        if first.text_at.is_none() && other.text_at.is_none() {
            return false;
        }
        let a = self.content_hash(first);
        if let (Some(h), Some(s)) = (a, self.content_mut(uid_key)) {
            *s = Content {
                hash: h,
                text_at: None,
                ..*s
            };
        }
        let b = self.content_hash(other);
        a.is_some() && a == b
    }

    /// The content hash of a copy: read again from its file where only its bytes were hashed.
    fn content_hash(&mut self, c: Content) -> Option<u64> {
        use std::io::{Seek, SeekFrom};
        let Some(at) = c.text_at else {
            return Some(c.hash);
        };
        let open = match self.reopened.iter().position(|(f, _)| *f == c.file) {
            Some(i) => self.reopened.remove(i),
            None => {
                let reopened = self
                    .rereadable
                    .get(c.file as usize)
                    .and_then(Option::as_ref)
                    .and_then(|path| std::fs::File::open(path).ok());
                let Some(file) = reopened else {
                    // Gone, renamed or unreadable since: named in a warning, as a change is.
                    self.changed.insert(c.file);
                    return None;
                };
                (c.file, file)
            }
        };
        if self.reopened.len() >= REOPENED_KEPT {
            self.reopened.remove(0);
        }
        self.reopened.push(open);
        let file = &mut self.reopened.last_mut()?.1;
        let mut text = vec![0; at.len];
        let same = file.seek(SeekFrom::Start(at.offset)).is_ok()
            && file.read_exact(&mut text).is_ok()
            && crate::fasthash::bytes_hash(&text) == c.hash;
        if !same {
            self.changed.insert(c.file);
            return None;
        }
        let head = if at.yaml {
            // A `- ` block: the one item of a sequence, as the fast YAML reader read it.
            let tape = fastyaml::parse(std::str::from_utf8(&text).ok()?).ok()?;
            hash::head(&mut fastyaml::Cursor::new(&tape, 1))
        } else {
            hash::head(&mut serde_json::Deserializer::from_slice(&text))
        };
        head.ok().map(|h| h.hash)
    }

    fn conflict(&mut self, msg: String) {
        self.conflict_count += 1;
        if self.conflicts.len() < NAMED_CONFLICTS {
            self.conflicts.push(msg);
        }
    }

    fn conflict_warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .changed
            .iter()
            .map(|&f| {
                format!(
                    "{} changed or could not be read again after it was first read (it is \
                     read again to compare copies of an object): its objects that are also in \
                     another input may be reported as different",
                    self.files[f as usize]
                )
            })
            .collect();
        out.extend(self.conflicts.iter().cloned());
        if self.conflict_count > self.conflicts.len() {
            out.push(format!(
                "{} more objects conflict in the same way",
                self.conflict_count - self.conflicts.len()
            ));
        }
        out
    }

    fn kindless_warning(&self) -> Option<String> {
        if self.kindless.is_empty() {
            return None;
        }
        let total: usize = self.kindless.iter().map(|(_, n)| n).sum();
        let names: Vec<&str> = self
            .kindless
            .iter()
            .take(3)
            .map(|(f, _)| f.as_str())
            .collect();
        let more = if self.kindless.len() > 3 {
            format!(" and {} more files", self.kindless.len() - 3)
        } else {
            String::new()
        };
        Some(format!(
            "skipped {total} object(s) without `kind` in {}{more}: neither a selfLink nor the \
             file name says nodes, daemonsets, pods or controllerrevisions",
            names.join(", ")
        ))
    }

    /// The snapshot with its warnings; `audit` adds those about what an audit needs.
    fn finish(mut self, audit: bool) -> Snapshot {
        let mut warnings = self.conflict_warnings();
        if let Some(w) = self.kindless_warning() {
            warnings.push(w);
        }
        if !self.skipped.is_empty() {
            let names: Vec<&str> = self.skipped.iter().take(3).map(String::as_str).collect();
            let more = if self.skipped.len() > 3 {
                format!(" and {} more", self.skipped.len() - 3)
            } else {
                String::new()
            };
            warnings.push(format!(
                "skipped in the directory walk: {}{more}",
                names.join(", ")
            ));
        }
        let s = &self.snap;
        if let Some(w) = several_clusters_warning(&s.nodes) {
            warnings.push(w);
        }
        if audit && s.pods.is_empty() && !s.daemon_sets.is_empty() && !s.nodes.is_empty() {
            warnings.push(
                "no pods in the input: the capture is missing them, so every eligible pair \
                 shows Missing (add `pods` to the kubectl get)"
                    .to_string(),
            );
        }
        self.snap.warnings.extend(warnings);
        self.snap
    }
}

/// Which cluster a node's `spec.providerID` places it in, as far as it tells: the GCE project
/// (a GKE cluster's nodes share one), the kind cluster's name, the Azure resource group (an AKS
/// cluster's nodes share its node resource group), else the provider alone (`aws`, …).
fn cluster_of(provider_id: &str) -> Option<String> {
    let (scheme, rest) = provider_id.split_once("://")?;
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    Some(match scheme {
        "gce" if !parts[0].is_empty() => format!("GCE project {}", parts[0]),
        "kind" if parts.len() >= 2 => format!("kind cluster {}", parts[1]),
        "azure" => match parts
            .iter()
            .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        {
            Some(i) if i + 1 < parts.len() => {
                format!("Azure resource group {}", parts[i + 1].to_ascii_lowercase())
            }
            _ => "azure".to_string(),
        },
        _ if !scheme.is_empty() => scheme.to_string(),
        _ => return None,
    })
}

/// Nodes whose provider IDs place them in different clusters: a capture of several clusters
/// merged (every DaemonSet would be judged on the other cluster's nodes too).
fn several_clusters_warning(nodes: &[crate::model::Node]) -> Option<String> {
    let mut clusters: Vec<(String, usize, &str)> = Vec::new();
    for n in nodes {
        let Some(c) = cluster_of(&n.spec.provider_id) else {
            continue;
        };
        match clusters.iter_mut().find(|(k, _, _)| *k == c) {
            Some(entry) => entry.1 += 1,
            None => clusters.push((c, 1, n.name())),
        }
    }
    if clusters.len() < 2 {
        return None;
    }
    let parts: Vec<String> = clusters
        .iter()
        .map(|(c, count, first)| format!("{count} on {c} (e.g. {first})"))
        .collect();
    Some(format!(
        "nodes of several clusters in the input (by spec.providerID): {}; each DaemonSet is          judged on every node: audit each cluster's capture on its own (-f NAME=PATH per cluster)",
        parts.join(", ")
    ))
}

enum Sight {
    New,
    Repeat,
    /// Same UID, other content.
    Changed((u8, u64)),
}

enum Place {
    New,
    Replace(usize),
    Drop,
}

/// The objects the snapshot holds, by their metadata.
trait HasMeta {
    fn meta(&self) -> ObjectKeys<'_>;
}

macro_rules! has_meta {
    ($($t:ty),*) => {$(
        impl HasMeta for $t {
            fn meta(&self) -> ObjectKeys<'_> {
                self.metadata.keys()
            }
        }
    )*};
}
has_meta!(
    crate::model::Node,
    crate::model::Pod,
    DaemonSet,
    crate::model::ControllerRevision
);

enum Resolved {
    Added,
    Skipped,
    Unknown(Value),
    Bare,
}

/// A small deterministic generator (xorshift) for the readers' randomized tests.
#[cfg(test)]
pub(super) struct Rng(pub(super) u64);

#[cfg(test)]
impl Rng {
    /// A number below `n`.
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use crate::report::Source;
    use crate::snapshot::Snapshot;

    #[test]
    fn provider_ids_name_the_cluster_as_far_as_they_tell() {
        use super::cluster_of;
        let c = |id: &str| cluster_of(id);
        assert_eq!(
            c("gce://closercriticalhop/us-central1-a/gke-x").as_deref(),
            Some("GCE project closercriticalhop")
        );
        assert_eq!(
            c("kind://docker/prod/prod-worker").as_deref(),
            Some("kind cluster prod")
        );
        assert_eq!(
            c("azure:///subscriptions/s/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool/virtualMachines/0").as_deref(),
            Some("Azure resource group mc_rg_aks_westeurope")
        );
        // AWS zones of one cluster differ (and local zones look like other regions): the
        // provider alone.
        assert_eq!(c("aws:///us-west-2a/i-0").as_deref(), Some("aws"));
        assert_eq!(c("aws:///us-west-2-lax-1a/i-1").as_deref(), Some("aws"));
        assert_eq!(c(""), None);
        assert_eq!(c("not-an-id"), None);
    }

    fn pod(name: &str, kind: bool) -> String {
        let kind = if kind {
            r#""kind":"Pod","apiVersion":"v1","#
        } else {
            ""
        };
        format!(
            r#"{{{kind}"metadata":{{"name":"{name}","namespace":"ns","uid":"uid-{name}"}},"spec":{{"nodeName":"n1"}}}}"#
        )
    }

    fn read(text: &str) -> Vec<String> {
        let mut snap = Snapshot::new(Source::File { paths: vec![] });
        super::load_text("input.json", text, &mut snap).unwrap();
        snap.pods.iter().map(|p| p.name().to_string()).collect()
    }

    /// Typed items are handed over as they are read, kindless ones once the list's kind is
    /// known, wherever `kind` stands (the API server writes it first, kubectl's `List` last).
    #[test]
    fn list_items_are_typed_whether_the_kind_comes_before_or_after_them() {
        let (a, b, c) = (pod("a", false), pod("b", false), pod("c", true));
        assert_eq!(
            read(&format!(
                r#"{{"kind":"PodList","apiVersion":"v1","items":[{a},{b}]}}"#
            )),
            ["a", "b"]
        );
        assert_eq!(
            read(&format!(
                r#"{{"apiVersion":"v1","items":[{a},{c},{b}],"kind":"PodList"}}"#
            )),
            ["c", "a", "b"]
        );
        assert_eq!(
            read(&format!(
                r#"{{"apiVersion":"v1","items":[{c}],"kind":"List"}}"#
            )),
            ["c"]
        );
        let mut snap = Snapshot::new(Source::File { paths: vec![] });
        let kindless = format!(r#"{{"apiVersion":"v1","items":[{a}],"kind":"List"}}"#);
        let err = super::load_text("input.json", &kindless, &mut snap).unwrap_err();
        assert!(err.to_string().contains("without `kind`"), "{err}");
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/same-object")
            .join(name)
    }

    fn scratch(name: &str, text: &str) -> String {
        let d = std::env::temp_dir().join(format!("ds-coverage-file-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    fn load_paths(paths: &[String]) -> Snapshot {
        super::load(paths, &mut std::io::empty()).unwrap()
    }

    /// "Same content" is the same data: one pod as `kubectl get -o json` and `-o yaml` print it
    /// (field order, quoting and spacing differ), or reformatted, is one object read twice,
    /// never a conflict; a change of data under the same UID is one.
    #[test]
    fn an_object_written_as_json_and_as_yaml_is_the_same_content() {
        let json = fixture("pod.json").display().to_string();
        let yaml = fixture("pod.yaml").display().to_string();
        let text = std::fs::read_to_string(&json).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let compact = scratch("compact.json", &serde_json::to_string(&v).unwrap());
        let list = scratch(
            "list.json",
            &format!(r#"{{"kind":"List","apiVersion":"v1","items":[{text}]}}"#),
        );
        for paths in [
            [json.clone(), yaml.clone()],
            [yaml.clone(), json.clone()],
            [json.clone(), compact],
            [list, yaml.clone()],
        ] {
            let snap = load_paths(&paths);
            assert_eq!(snap.pods.len(), 1, "{paths:?}");
            assert!(snap.warnings.is_empty(), "{paths:?}: {:?}", snap.warnings);
        }

        // The same pod, relabelled at a later resourceVersion.
        let yaml_text = std::fs::read_to_string(&yaml).unwrap();
        let changed = yaml_text
            .replace("resourceVersion: \"411407\"", "resourceVersion: \"411408\"")
            .replace(
                "app.kubernetes.io/instance: ebs-csi-node-2\n",
                "app.kubernetes.io/instance: changed\n",
            );
        assert_ne!(changed, yaml_text);
        let changed = scratch("changed.yaml", &changed);
        let snap = load_paths(&[json, changed]);
        assert_eq!(snap.pods.len(), 1);
        assert!(
            snap.warnings
                .iter()
                .any(|w| w.contains("twice with different content")),
            "{:?}",
            snap.warnings
        );
        assert_eq!(
            snap.pods[0]
                .metadata
                .labels
                .get("app.kubernetes.io/instance")
                .map(|s| s.as_str()),
            Some("changed"),
            "the copy with the higher resourceVersion is kept"
        );
    }

    /// Items read from files are compared by their bytes first and by their content only when
    /// the bytes differ (read again from the file): the same list twice, the same pods written
    /// compact and indented, three copies, and a change only in a field the audit skips.
    #[test]
    fn copies_in_files_are_compared_by_bytes_then_by_content() {
        let pod = |name: &str, rv: u32, env: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}"),
                             "resourceVersion": rv.to_string()},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i",
                         "env": [{"name": "E", "value": env}]}]}
            })
        };
        let list = |pods: &[serde_json::Value], pretty: bool| {
            let v = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": pods});
            if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            }
        };
        // As `kubectl get -o yaml` writes a list (sorted keys, unindented sequences).
        let yaml_list = |changed: Option<usize>| {
            let mut out = String::from("apiVersion: v1\nitems:\n");
            for i in 0..50 {
                let (rv, env) = if changed == Some(i) {
                    (11, "b")
                } else {
                    (10, "a")
                };
                out += &format!(
                    "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p{i}\n    namespace: ns\n    \
                     resourceVersion: \"{rv}\"\n    uid: uid-p{i}\n  spec:\n    containers:\n    \
                     - env:\n      - name: E\n        value: {env}\n      image: i\n      name: c\n    \
                     nodeName: n1\n"
                );
            }
            out + "kind: List\nmetadata:\n  resourceVersion: \"\"\n"
        };
        let pods: Vec<_> = (0..50).map(|i| pod(&format!("p{i}"), 10, "a")).collect();
        let compact = scratch("copies-compact.json", &list(&pods, false));
        let pretty = scratch("copies-pretty.json", &list(&pods, true));
        let yaml = scratch("copies.yaml", &yaml_list(None));
        let yaml_changed = scratch("copies-changed.yaml", &yaml_list(Some(7)));
        for paths in [
            vec![compact.clone(), compact.clone()],
            vec![compact.clone(), pretty.clone()],
            vec![pretty.clone(), compact.clone(), pretty.clone()],
            vec![yaml.clone(), yaml.clone()],
            vec![yaml.clone(), compact.clone()],
            vec![pretty.clone(), yaml.clone(), compact.clone()],
        ] {
            let snap = load_paths(&paths);
            assert_eq!(snap.pods.len(), 50, "{paths:?}");
            assert!(snap.warnings.is_empty(), "{paths:?}: {:?}", snap.warnings);
        }

        // One env value changed (a field the audit never reads), at a later resourceVersion.
        let mut changed = pods.clone();
        changed[7] = pod("p7", 11, "b");
        let changed = scratch("copies-changed.json", &list(&changed, true));
        for paths in [
            vec![compact.clone(), changed.clone()],
            vec![changed.clone(), compact.clone()],
            vec![yaml.clone(), changed.clone()],
            vec![yaml_changed.clone(), compact.clone()],
            vec![yaml.clone(), yaml_changed.clone()],
        ] {
            let snap = load_paths(&paths);
            assert_eq!(snap.pods.len(), 50, "{paths:?}");
            let warned: Vec<_> = snap
                .warnings
                .iter()
                .filter(|w| w.contains("twice with different content"))
                .collect();
            assert_eq!(warned.len(), 1, "{paths:?}: {:?}", snap.warnings);
            assert!(warned[0].contains("ns/p7"), "{warned:?}");
            let p7 = snap.pods.iter().find(|p| p.metadata.name == "p7").unwrap();
            assert_eq!(p7.metadata.resource_version, "11", "{paths:?}");
        }
    }

    /// A file rewritten or removed after it was read cannot be read again to compare a copy: it
    /// is named, beside the conflict that follows for the copy it could not confirm.
    #[test]
    fn a_file_changed_before_it_is_read_again_is_named() {
        let pods: Vec<_> = (0..20)
            .map(|i| {
                serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("p{i}"), "namespace": "ns",
                                 "uid": format!("uid-{i}"), "resourceVersion": "1"},
                    "spec": {"nodeName": "n1"}})
            })
            .collect();
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": pods});
        let compact = serde_json::to_string(&list).unwrap();
        let pretty = serde_json::to_string_pretty(&list).unwrap();
        for change in ["none", "rewritten", "removed"] {
            let a = scratch(&format!("changing-{change}.json"), &compact);
            let b = scratch("changing-copy.json", &pretty);
            let mut l = super::Loader::new(&[]);
            l.read_file(std::path::Path::new(&a), false).unwrap();
            match change {
                "rewritten" => std::fs::write(&a, compact.replace("\"p1\"", "\"q1\"")).unwrap(),
                "removed" => std::fs::remove_file(&a).unwrap(),
                _ => {}
            }
            l.read_file(std::path::Path::new(&b), false).unwrap();
            let warnings = l.conflict_warnings();
            assert_eq!(l.snap.pods.len(), 20);
            if change == "none" {
                assert!(warnings.is_empty(), "{warnings:?}");
                continue;
            }
            assert!(
                warnings[0].contains(&format!(
                    "changing-{change}.json changed or could not be read again"
                )),
                "{warnings:?}"
            );
            // The copies that could not be confirmed are conflicts: only the edited p1 when the
            // file was rewritten (the others' bytes are where they were), every pod when it
            // is gone (five named, the rest counted).
            let conflicts: Vec<_> = warnings[1..]
                .iter()
                .filter(|w| w.contains("twice with different content"))
                .collect();
            if change == "rewritten" {
                assert_eq!(conflicts.len(), 1, "{warnings:?}");
                assert!(conflicts[0].contains("ns/p1 "), "{warnings:?}");
                assert_eq!(warnings.len(), 2, "{warnings:?}");
            } else {
                assert_eq!(conflicts.len(), 5, "{warnings:?}");
                assert_eq!(
                    warnings.last().map(String::as_str),
                    Some("15 more objects conflict in the same way")
                );
            }
        }
    }

    /// A YAML stream is cut into documents at `---` and `...` lines as the parser would, each
    /// list's items read as they come; errors keep their line in the whole stream.
    #[test]
    fn yaml_documents_are_read_one_by_one_with_their_lines() {
        let pod = |name: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: ns\n  uid: uid-{name}\nspec:\n  nodeName: n1\n"
            )
        };
        let list = format!(
            "# a comment\n---\napiVersion: v1\nitems:\n- {}\nkind: List\n...\n--- \n{}---\n\n---\n{}",
            pod("a").replace('\n', "\n  ").trim_end(),
            pod("b"),
            pod("c").replace(
                "  nodeName: n1\n",
                "  nodeName: n1\n  note: |\n    --- not a marker\n"
            ),
        );
        assert_eq!(read(&list), ["a", "b", "c"]);

        let broken = format!("{}---\n{}---\nkind: Pod\nmetadata: [\n", pod("a"), pod("b"));
        let mut snap = Snapshot::new(Source::File { paths: vec![] });
        let err = super::load_text("input.yaml", &broken, &mut snap).unwrap_err();
        let lines = broken.lines().count();
        assert!(
            err.to_string().contains("invalid YAML at line ")
                && err.to_string().contains(&format!("line {lines}")),
            "{err} (the stream has {lines} lines)"
        );
    }
}
