//! Directory entries that survive a power cut. Syncing a file makes its
//! contents durable, not its name: a file created or renamed, or a
//! directory made, is durable only once the directory holding it is
//! synced too (POSIX; ext4 often keeps more, other file systems do not).

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `path` and any missing parents, syncing the directory that
/// holds each one created.
pub fn create_dir_all_durably(path: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = path
        .ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists())
        .collect();
    std::fs::create_dir_all(path)?;
    for created in missing {
        sync_parent(created)?;
    }
    Ok(())
}

/// Syncs the directory that holds `path`, so that `path`'s creation,
/// renaming or removal is durable.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(parent)?.sync_all()
}
