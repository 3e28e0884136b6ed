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
/// target; only when all of them are written are they renamed into place, so an error leaves the
/// old files as they were. Unchanged files are not touched.
pub fn write_files(dir: &Path, files: &[GeneratedFile]) -> io::Result<WriteReport> {
    let mut report = WriteReport::default();
    let mut staged = Vec::new();
    for f in files {
        let target = dir.join(&f.name);
        if fs::read(&target).is_ok_and(|old| old == f.contents.as_bytes()) {
            report.unchanged.push(target);
            continue;
        }
        let parent = target.parent().unwrap_or(dir);
        fs::create_dir_all(parent)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".kgen-").suffix(".tmp");
        // Temporary files are private (0600); generated files are ordinary files, readable as
        // the umask allows, like any file an editor writes.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(parent)?;
        tmp.write_all(f.contents.as_bytes())?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, target));
    }
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| e.error)?;
        report.written.push(target);
    }
    Ok(report)
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
        let old = fs::read_to_string(&path).ok();
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
