//! Writing generated files: all or nothing, only when changed, or comparing for `--check`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A generated file: a name relative to the output directory, and its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path (`kgen.dev_klusters.yaml`).
    pub name: String,
    /// Full contents.
    pub contents: String,
}

/// What a write did.
#[derive(Clone, Debug, Default)]
pub struct WriteReport {
    /// Files whose contents changed (or were created).
    pub written: Vec<PathBuf>,
    /// Files already up to date (not touched, so their modification time stays).
    pub unchanged: Vec<PathBuf>,
}

/// Writes `files` under `dir`. Every changed file is first written to a temporary file beside its
/// target; only when all of them are written are they renamed into place. If a rename fails, the
/// files already replaced get their old contents back (and new ones are removed), so an error
/// leaves the directory as it was; the error names the file that failed. Unchanged files are not
/// touched.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    let mut staged = Vec::new();
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let result = stage(dir, files, &mut report, &mut staged, &mut created_dirs).and_then(|()| commit(staged));
    match result {
        Ok(written) => {
            report.written = written;
            Ok(report)
        }
        Err(e) => {
            // Directories made for new files go too (only if empty: someone else may use them).
            for d in created_dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
            Err(e)
        }
    }
}

/// `e`, saying which file it concerns.
fn about(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The contents of `path` if it is a regular file (never opens a FIFO or device, which could block).
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    fs::metadata(path).ok().filter(fs::Metadata::is_file)?;
    fs::read(path).ok()
}

/// True if `path` is a regular file holding exactly `contents`; read in pieces, so a large
/// generated file is not held twice in memory.
fn same_contents(path: &Path, contents: &[u8]) -> bool {
    use std::io::Read;
    let Some(meta) = fs::metadata(path).ok().filter(fs::Metadata::is_file) else {
        return false;
    };
    if meta.len() != contents.len() as u64 {
        return false;
    }
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 64 << 10];
    let mut rest = contents;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && buf[..n] == rest[..n] => rest = &rest[n..],
            Ok(_) => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Writes every changed file to a temporary file beside its target.
fn stage(
    dir: &Path,
    files: &[GeneratedFile],
    report: &mut WriteReport,
    staged: &mut Vec<(tempfile::NamedTempFile, PathBuf)>,
    created_dirs: &mut Vec<PathBuf>,
) -> io::Result<()> {
    for f in files {
        let target = dir.join(&f.name);
        if same_contents(&target, f.contents.as_bytes()) {
            report.unchanged.push(target);
            continue;
        }
        let parent = target.parent().unwrap_or(dir);
        let mut missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(parent).map_err(|e| about(parent, e))?;
        missing.reverse();
        created_dirs.extend(missing);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".kgen-").suffix(".tmp");
        // Temporary files are private (0600); generated files are ordinary files, readable as
        // the umask allows, like any file an editor writes.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(parent).map_err(|e| about(&target, e))?;
        tmp.write_all(f.contents.as_bytes()).map_err(|e| about(&target, e))?;
        tmp.as_file().sync_all().map_err(|e| about(&target, e))?;
        staged.push((tmp, target));
    }
    Ok(())
}

/// A file replaced so far, and how to put it back.
struct Replaced {
    target: PathBuf,
    /// A copy of the old file (a hard link when the file system allows), or `None` if the
    /// target did not exist.
    backup: Option<tempfile::TempPath>,
}

/// Renames every staged file into place; on the first failure, undoes the renames done.
fn commit(staged: Vec<(tempfile::NamedTempFile, PathBuf)>) -> io::Result<Vec<PathBuf>> {
    let mut done: Vec<Replaced> = Vec::new();
    for (tmp, target) in staged {
        let step = backup_of(&target).and_then(|backup| match tmp.persist(&target) {
            Ok(_) => Ok(backup),
            Err(e) => Err(e.error),
        });
        match step {
            Ok(backup) => done.push(Replaced { target, backup }),
            Err(e) => {
                let mut message = format!("{}: {e}", target.display());
                let failed: Vec<String> = done.into_iter().rev().filter_map(|r| restore(r).err()).collect();
                if failed.is_empty() {
                    message.push_str(" (no file was changed: those already replaced were restored)");
                } else {
                    message.push_str(&format!("; restoring failed too: {}", failed.join("; ")));
                }
                return Err(io::Error::new(e.kind(), message));
            }
        }
    }
    // Success: the backups are deleted as they drop.
    Ok(done.into_iter().map(|r| r.target).collect())
}

/// A copy of `target` beside it, if it exists as a file.
fn backup_of(target: &Path) -> io::Result<Option<tempfile::TempPath>> {
    if !fs::symlink_metadata(target).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let parent = target.parent().unwrap_or(Path::new("."));
    let backup = tempfile::Builder::new()
        .prefix(".kgen-")
        .suffix(".bak")
        .tempfile_in(parent)
        .map_err(|e| about(target, e))?
        .into_temp_path();
    fs::remove_file(&backup).map_err(|e| about(target, e))?;
    if fs::hard_link(target, &backup).is_err() {
        fs::copy(target, &backup).map_err(|e| about(target, e))?;
    }
    Ok(Some(backup))
}

/// Puts one replaced file back as it was.
fn restore(r: Replaced) -> Result<(), String> {
    let shown = r.target.display().to_string();
    match r.backup {
        Some(backup) => backup.persist(&r.target).map_err(|e| format!("{shown}: {}", e.error)),
        None => fs::remove_file(&r.target).map_err(|e| format!("{shown}: {e}")),
    }
}

/// A file on disk that differs from what would be generated.
#[derive(Clone, Debug)]
pub struct Drift {
    /// The file.
    pub path: PathBuf,
    /// A unified diff from the file on disk to the generated contents (`missing` files diff from empty).
    pub diff: String,
}

/// Compares `files` with what is under `dir`; writes nothing.
pub fn check_files(dir: &Path, files: &[GeneratedFile]) -> Vec<Drift> {
    let mut drift = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        let old = read_regular(&path).and_then(|b| String::from_utf8(b).ok());
        if old.as_deref() == Some(f.contents.as_str()) {
            continue;
        }
        let old_text = old.clone().unwrap_or_default();
        let shown = path.display().to_string();
        let diff = similar::TextDiff::from_lines(&old_text, &f.contents)
            .unified_diff()
            .context_radius(3)
            .header(
                if old.is_some() { &shown } else { "/dev/null" },
                &format!("{shown} (generated)"),
            )
            .to_string();
        drift.push(Drift { path, diff });
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            name: name.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn writes_only_changed_files_and_checks_drift() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![file("a.yaml", "a: 1\n"), file("sub/b.yaml", "b: 2\n")];
        let r = write_files(dir.path(), &files).unwrap();
        assert_eq!(r.written.len(), 2);
        assert_eq!(fs::read_to_string(dir.path().join("sub/b.yaml")).unwrap(), "b: 2\n");
        let r = write_files(dir.path(), &files).unwrap();
        assert_eq!((r.written.len(), r.unchanged.len()), (0, 2));
        assert!(check_files(dir.path(), &files).is_empty());

        let changed = vec![file("a.yaml", "a: 3\n"), file("c.yaml", "c: 1\n")];
        let drift = check_files(dir.path(), &changed);
        assert_eq!(drift.len(), 2);
        assert!(drift[0].diff.contains("-a: 1\n+a: 3"), "{}", drift[0].diff);
        assert!(drift[1].diff.contains("--- /dev/null"), "{}", drift[1].diff);
        assert_eq!(
            fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
            "a: 1\n",
            "check writes nothing"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".kgen-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_mode_of_ordinary_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), &[file("crd.yaml", "a: 1\n")]).unwrap();
        // What any program's new file gets under this process' umask.
        fs::write(dir.path().join("plain"), "x").unwrap();
        let mode = |name: &str| fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("crd.yaml"), mode("plain"), "not the temporary file's private 0600");
    }
}
