//! A file system that forgets what was not synced when its power is cut.
//!
//! A SIGKILL leaves the page cache alone: whatever the server wrote reaches
//! the disk in the end, synced or not, so a crash test on a real file
//! system cannot tell a write that was made durable before it was
//! acknowledged from one that merely was written. This FUSE file system
//! keeps every file and directory in memory twice, as it is and as it was
//! at its last sync, and `PowerCutDisk::cut_power` throws away the first:
//! a file's contents since its last `fsync`/`fdatasync` and a directory's
//! entries (files created, renamed, removed) since its last `fsync` on the
//! directory. That is the strict reading of POSIX that a database must
//! code against (ext4 often keeps more), so a missing sync anywhere on the
//! path from a write to its acknowledgement loses acknowledged data here.
//! Every second cut instead tears what was not synced, sector by sector, so
//! recovery also meets the half-written tails a real disk can leave. The
//! power goes while the server runs: from the cut on, every call fails, so
//! the server meets failing writes and syncs, and must not acknowledge
//! what they held.
//!
//! Mounting needs root (as the tmpfs of `disk_full.rs` does).

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

const ROOT: u64 = 1;
/// Nothing cached in the kernel: every lookup and stat comes here, so a
/// power cut needs no invalidation beyond the remount.
const TTL: Duration = Duration::ZERO;
/// How long a file's sync takes, as on a disk: the cut falls between the
/// log's write and its sync often enough that the log's unsynced tail is
/// lost or torn, where an instant sync would leave it almost never.
const SYNC_TIME: Duration = Duration::from_millis(1);

#[derive(Clone)]
enum Node {
    File {
        data: Vec<u8>,
        synced: Vec<u8>,
        /// Byte ranges written since the last sync (a sync copies only
        /// these: the log is synced thousands of times).
        dirty: Vec<std::ops::Range<usize>>,
        perm: u16,
    },
    Dir {
        entries: BTreeMap<OsString, u64>,
        synced: BTreeMap<OsString, u64>,
        perm: u16,
    },
}

impl Node {
    fn file(perm: u16) -> Node {
        Node::File {
            data: Vec::new(),
            synced: Vec::new(),
            dirty: Vec::new(),
            perm,
        }
    }

    fn dir(perm: u16) -> Node {
        Node::Dir {
            entries: BTreeMap::new(),
            synced: BTreeMap::new(),
            perm,
        }
    }
}

struct State {
    nodes: HashMap<u64, Node>,
    next: u64,
    /// While the power is off: what the disk holds, which the next mount
    /// finds. Every call that would read or change the disk fails.
    survivors: Option<HashMap<u64, Node>>,
}

impl State {
    fn new() -> State {
        State {
            nodes: HashMap::from([(ROOT, Node::dir(0o755))]),
            next: ROOT + 1,
            survivors: None,
        }
    }

    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let (kind, size, perm) = match self.nodes.get(&ino)? {
            Node::File { data, perm, .. } => (FileType::RegularFile, data.len() as u64, *perm),
            Node::Dir { perm, .. } => (FileType::Directory, 0, *perm),
        };
        let now = SystemTime::now();
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
            kind,
            perm,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }

    fn entries(&mut self, dir: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match self.nodes.get_mut(&dir) {
            Some(Node::Dir { entries, .. }) => Ok(entries),
            Some(Node::File { .. }) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn child(&mut self, dir: u64, name: &OsStr) -> Result<u64, Errno> {
        self.entries(dir)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn add(&mut self, dir: u64, name: &OsStr, node: Node) -> Result<FileAttr, Errno> {
        if self.entries(dir)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next;
        self.next += 1;
        self.nodes.insert(ino, node);
        self.entries(dir)?.insert(name.to_owned(), ino);
        Ok(self.attr(ino).expect("just added"))
    }

    /// Resizes a file as `ftruncate` or `fallocate` does; new bytes are
    /// zeros, and dirty until synced.
    fn resize(&mut self, ino: u64, size: usize) -> Result<(), Errno> {
        match self.nodes.get_mut(&ino) {
            Some(Node::File { data, dirty, .. }) => {
                if size > data.len() {
                    dirty.push(data.len()..size);
                }
                data.resize(size, 0);
                Ok(())
            }
            Some(Node::Dir { .. }) => Err(Errno::EISDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn sync(&mut self, ino: u64) -> Result<(), Errno> {
        match self.nodes.get_mut(&ino) {
            Some(Node::File {
                data,
                synced,
                dirty,
                ..
            }) => {
                synced.resize(data.len(), 0);
                for range in dirty.drain(..) {
                    let range = range.start.min(data.len())..range.end.min(data.len());
                    synced[range.clone()].copy_from_slice(&data[range]);
                }
                Ok(())
            }
            Some(Node::Dir {
                entries, synced, ..
            }) => {
                synced.clone_from(entries);
                Ok(())
            }
            None => Err(Errno::ENOENT),
        }
    }

    /// Cuts the power: from now on the disk holds what survives (`forget`
    /// or `tear`), and no call reaches it.
    fn power_off(&mut self, torn: bool) -> String {
        let mut survivors = self.nodes.clone();
        let what = if torn {
            let (kept, sectors) = tear(&mut survivors, &mut rand::rng());
            format!("torn: {kept} of {sectors} unsynced sectors reached the disk")
        } else {
            forget(&mut survivors);
            "everything unsynced lost".to_string()
        };
        self.survivors = Some(survivors);
        what
    }

    fn power_on(&mut self) {
        if let Some(survivors) = self.survivors.take() {
            self.nodes = survivors;
        }
    }
}

/// What survives a power cut that forgets everything not synced: every
/// file as at its last sync, every directory with the entries it had at its
/// last sync.
fn forget(nodes: &mut HashMap<u64, Node>) {
    for node in nodes.values_mut() {
        match node {
            Node::File {
                data,
                synced,
                dirty,
                ..
            } => {
                data.clone_from(synced);
                dirty.clear();
            }
            Node::Dir {
                entries, synced, ..
            } => entries.clone_from(synced),
        }
    }
}

/// What survives a power cut that tears: of what was written since the
/// last sync, each 512-byte sector did or did not reach the disk (the unit
/// a disk writes whole), and a file's length is its synced one or its
/// latest (the gap reading as zeros where its sectors did not reach the
/// disk, as on a file system that commits the length before the data);
/// each directory has its synced entries or its latest. Returns how many
/// unsynced sectors were kept, of how many.
fn tear(nodes: &mut HashMap<u64, Node>, rng: &mut impl rand::Rng) -> (usize, usize) {
    const SECTOR: usize = 512;
    let (mut kept, mut sectors) = (0, 0);
    for node in nodes.values_mut() {
        match node {
            Node::File {
                data,
                synced,
                dirty,
                ..
            } => {
                let mut torn = synced.clone();
                if rng.random_bool(0.5) {
                    torn.resize(data.len(), 0);
                }
                let dirty_sectors: std::collections::BTreeSet<usize> = dirty
                    .drain(..)
                    .flat_map(|range| range.start / SECTOR..range.end.div_ceil(SECTOR))
                    .collect();
                for sector in dirty_sectors {
                    sectors += 1;
                    let start = sector * SECTOR;
                    let end = ((sector + 1) * SECTOR).min(data.len()).min(torn.len());
                    if start < end && rng.random_bool(0.5) {
                        torn[start..end].copy_from_slice(&data[start..end]);
                        kept += 1;
                    }
                }
                *data = torn;
                synced.clone_from(data);
            }
            Node::Dir {
                entries, synced, ..
            } => {
                if rng.random_bool(0.5) {
                    entries.clone_from(synced);
                } else {
                    synced.clone_from(entries);
                }
            }
        }
    }
    (kept, sectors)
}

/// The state, for a call that needs the disk; while the power is off the
/// call fails with EIO (`PowerCutFs::powered`).
macro_rules! powered {
    ($fs:expr, $reply:expr) => {
        match $fs.powered() {
            Ok(state) => state,
            Err(e) => return $reply.error(e),
        }
    };
}

/// The FUSE side: every call locks the shared state.
struct PowerCutFs(Arc<Mutex<State>>);

impl PowerCutFs {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, for a call that needs the disk: EIO while the power is off.
    fn powered(&self) -> Result<MutexGuard<'_, State>, Errno> {
        let state = self.state();
        match state.survivors {
            Some(_) => Err(Errno::EIO),
            None => Ok(state),
        }
    }
}

impl Filesystem for PowerCutFs {
    fn lookup(&self, _: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let mut state = self.state();
        match state.child(parent.0, name) {
            Ok(ino) => reply.entry(&TTL, &state.attr(ino).unwrap(), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _: &Request, ino: INodeNo, _: Option<FileHandle>, reply: ReplyAttr) {
        match self.state().attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _: Option<u32>,
        _: Option<u32>,
        size: Option<u64>,
        _: Option<TimeOrNow>,
        _: Option<TimeOrNow>,
        _: Option<SystemTime>,
        _: Option<FileHandle>,
        _: Option<SystemTime>,
        _: Option<SystemTime>,
        _: Option<SystemTime>,
        _: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut state = powered!(self, reply);
        if let Some(size) = size {
            if let Err(e) = state.resize(ino.0, size as usize) {
                return reply.error(e);
            }
        }
        if let Some(mode) = mode {
            if let Some(Node::File { perm, .. } | Node::Dir { perm, .. }) =
                state.nodes.get_mut(&ino.0)
            {
                *perm = (mode & 0o7777) as u16;
            }
        }
        match state.attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn mkdir(
        &self,
        _: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _: u32,
        reply: ReplyEntry,
    ) {
        let mut state = powered!(self, reply);
        match state.add(parent.0, name, Node::dir((mode & 0o7777) as u16)) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _: u32,
        _: i32,
        reply: ReplyCreate,
    ) {
        let mut state = powered!(self, reply);
        match state.add(parent.0, name, Node::file((mode & 0o7777) as u16)) {
            Ok(attr) => reply.created(
                &TTL,
                &attr,
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = powered!(self, reply);
        // The node stays: a synced directory entry may still name it.
        match state.entries(parent.0).map(|e| e.remove(name)) {
            Ok(Some(_)) => reply.ok(),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = powered!(self, reply);
        let ino = match state.child(parent.0, name) {
            Ok(ino) => ino,
            Err(e) => return reply.error(e),
        };
        match state.entries(ino) {
            Ok(entries) if !entries.is_empty() => return reply.error(Errno::ENOTEMPTY),
            Ok(_) => {}
            Err(e) => return reply.error(e),
        }
        state.entries(parent.0).unwrap().remove(name);
        reply.ok();
    }

    fn rename(
        &self,
        _: &Request,
        parent: INodeNo,
        name: &OsStr,
        new_parent: INodeNo,
        new_name: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut state = powered!(self, reply);
        if flags.contains(RenameFlags::RENAME_EXCHANGE) {
            return reply.error(Errno::EINVAL);
        }
        let ino = match state.child(parent.0, name) {
            Ok(ino) => ino,
            Err(e) => return reply.error(e),
        };
        match state.entries(new_parent.0) {
            Ok(entries) => {
                if flags.contains(RenameFlags::RENAME_NOREPLACE) && entries.contains_key(new_name) {
                    return reply.error(Errno::EEXIST);
                }
            }
            Err(e) => return reply.error(e),
        }
        state.entries(parent.0).unwrap().remove(name);
        state
            .entries(new_parent.0)
            .unwrap()
            .insert(new_name.to_owned(), ino);
        reply.ok();
    }

    fn open(&self, _: &Request, ino: INodeNo, _: OpenFlags, reply: ReplyOpen) {
        match self.state().nodes.get(&ino.0) {
            Some(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _: &Request,
        ino: INodeNo,
        _: FileHandle,
        offset: u64,
        size: u32,
        _: OpenFlags,
        _: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        let state = powered!(self, reply);
        match state.nodes.get(&ino.0) {
            Some(Node::File { data, .. }) => {
                let start = (offset as usize).min(data.len());
                let end = (start + size as usize).min(data.len());
                reply.data(&data[start..end]);
            }
            Some(Node::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _: &Request,
        ino: INodeNo,
        _: FileHandle,
        offset: u64,
        bytes: &[u8],
        _: WriteFlags,
        _: OpenFlags,
        _: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut state = powered!(self, reply);
        match state.nodes.get_mut(&ino.0) {
            Some(Node::File { data, dirty, .. }) => {
                let (start, end) = (offset as usize, offset as usize + bytes.len());
                if end > data.len() {
                    data.resize(end, 0);
                }
                data[start..end].copy_from_slice(bytes);
                dirty.push(start..end);
                reply.written(bytes.len() as u32);
            }
            Some(Node::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn flush(
        &self,
        _: &Request,
        _: INodeNo,
        _: FileHandle,
        _: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(&self, _: &Request, ino: INodeNo, _: FileHandle, _: bool, reply: ReplyEmpty) {
        std::thread::sleep(SYNC_TIME);
        answer(
            reply,
            self.powered().and_then(|mut state| state.sync(ino.0)),
        );
    }

    fn fsyncdir(&self, _: &Request, ino: INodeNo, _: FileHandle, _: bool, reply: ReplyEmpty) {
        answer(
            reply,
            self.powered().and_then(|mut state| state.sync(ino.0)),
        );
    }

    fn readdir(
        &self,
        _: &Request,
        ino: INodeNo,
        _: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let mut state = self.state();
        let listed: Vec<(u64, FileType, OsString)> = match state.entries(ino.0) {
            Ok(entries) => entries
                .iter()
                .map(|(name, &child)| (child, name.clone()))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(child, name)| {
                    let kind = match state.nodes.get(&child) {
                        Some(Node::Dir { .. }) => FileType::Directory,
                        _ => FileType::RegularFile,
                    };
                    (child, kind, name)
                })
                .collect(),
            Err(e) => return reply.error(e),
        };
        let dots = [
            (ino.0, FileType::Directory, OsString::from(".")),
            (ino.0, FileType::Directory, OsString::from("..")),
        ];
        for (i, (child, kind, name)) in dots.into_iter().chain(listed).enumerate() {
            if (i as u64) < offset {
                continue;
            }
            if reply.add(INodeNo(child), i as u64 + 1, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&self, _: &Request, _: INodeNo, reply: ReplyStatfs) {
        let blocks = 1 << 24; // 64 GiB of 4 KiB blocks, never full
        reply.statfs(blocks, blocks, blocks, 1 << 20, 1 << 20, 4096, 255, 4096);
    }

    fn fallocate(
        &self,
        _: &Request,
        ino: INodeNo,
        _: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let mut state = powered!(self, reply);
        let result = match mode {
            // Allocation without a size change (RocksDB preallocates its
            // logs so): nothing to keep in memory.
            libc::FALLOC_FL_KEEP_SIZE => Ok(()),
            0 => match state.attr(ino.0) {
                Some(attr) if attr.size < offset + length => {
                    state.resize(ino.0, (offset + length) as usize)
                }
                Some(_) => Ok(()),
                None => Err(Errno::ENOENT),
            },
            _ => Err(Errno::EOPNOTSUPP),
        };
        answer(reply, result);
    }
}

fn answer(reply: ReplyEmpty, result: Result<(), Errno>) {
    match result {
        Ok(()) => reply.ok(),
        Err(e) => reply.error(e),
    }
}

/// A `PowerCutFs` mounted on a temporary directory.
pub struct PowerCutDisk {
    state: Arc<Mutex<State>>,
    dir: tempfile::TempDir,
    session: Option<fuser::BackgroundSession>,
    cuts: usize,
}

impl PowerCutDisk {
    /// `None`, after a note that the calling test checks nothing, where
    /// FUSE cannot be mounted (not root, no /dev/fuse).
    pub fn mount() -> Option<PowerCutDisk> {
        let mut disk = PowerCutDisk {
            state: Arc::new(Mutex::new(State::new())),
            dir: tempfile::tempdir().expect("temp dir"),
            session: None,
            cuts: 0,
        };
        match disk.spawn() {
            Ok(session) => disk.session = Some(session),
            Err(e) => {
                eprintln!("note: cannot mount the power-cut file system ({e}): checked nothing");
                return None;
            }
        }
        Some(disk)
    }

    fn spawn(&self) -> std::io::Result<fuser::BackgroundSession> {
        let mut config = fuser::Config::default();
        config.mount_options = vec![MountOption::FSName("dynalith-power-cut".into())];
        fuser::spawn_mount(PowerCutFs(self.state.clone()), self.dir.path(), &config)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Cuts the power under a running server, which `kill` then ends (as
    /// the cut would), and mounts the disk again as the cut left it. For a
    /// moment between the cut and the kill the server finds its disk gone
    /// (every call fails with EIO), so whatever it still acknowledges must
    /// have been synced before the cut. The first cut, and every second one
    /// after it, forgets everything not synced (`forget`): the harshest for
    /// what was acknowledged, so a sync missing anywhere shows. The others
    /// tear (`tear`): what a real disk may leave, so recovery meets logs
    /// whose unsynced tails are half there, zeros, or the bytes of a reused
    /// file's earlier life.
    pub fn cut_power(&mut self, kill: impl FnOnce()) {
        let what = self.lock().power_off(self.cuts % 2 == 1);
        eprintln!("power cut {}: {what}", self.cuts);
        std::thread::sleep(Duration::from_millis(50));
        kill();
        if let Some(session) = self.session.take() {
            // The session's thread may end on ECONNABORTED rather than
            // ENODEV when the kernel tears the connection down under it
            // (seen once with five test runs at once): the disk is
            // unmounted all the same, and its contents are ours, not the
            // kernel's.
            match session.umount_and_join() {
                Err(e) if e.kind() != std::io::ErrorKind::ConnectionAborted => {
                    panic!("unmount the power-cut disk: {e}")
                }
                _ => {}
            }
        }
        self.lock().power_on();
        self.cuts += 1;
        self.session = Some(self.spawn().expect("mount the power-cut disk again"));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for PowerCutDisk {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = session.umount_and_join();
        }
    }
}
