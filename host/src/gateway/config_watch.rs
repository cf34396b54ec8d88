//! Where a change to the config file shows. The file may be a symlink: a
//! Kubernetes ConfigMap mounts `wasmgate.toml` → `..data/wasmgate.toml`
//! and updates it by renaming a new `..data` link over the old one, and a
//! dotfile linked from another folder is edited in that folder. Neither
//! change names the config file in its own folder, so the names along its
//! chain of links are watched, in its folder and its target's. Other files
//! there (a log the gateway writes to, say) are not: a steady stream of
//! their events would keep a change waiting for the burst to settle.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed at most, as the kernel does.
const MAX_LINKS: usize = 40;

/// The folders to watch for one config file, and the names in them whose
/// events may change what the file reads.
#[derive(Debug)]
pub(super) struct ConfigWatch {
    /// The file's own folder, then its target's when that differs.
    pub(super) dirs: Vec<PathBuf>,
    names: HashSet<OsString>,
}

impl ConfigWatch {
    /// The watch for the config file at `path`, from its links as they are
    /// now.
    pub(super) fn of(path: &Path) -> Self {
        let own = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut names: HashSet<OsString> =
            path.file_name().map(OsString::from).into_iter().collect();
        let mut current = path.to_path_buf();
        for _ in 0..MAX_LINKS {
            let Ok(target) = std::fs::read_link(&current) else {
                break;
            };
            names.extend(target.components().filter_map(|part| match part {
                Component::Normal(name) => Some(name.to_os_string()),
                _ => None,
            }));
            // A relative target is relative to the link's folder; joining an
            // absolute one replaces the path.
            current = current
                .parent()
                .map_or_else(|| target.clone(), |dir| dir.join(&target));
        }
        let mut dirs = vec![own];
        if let Ok(file) = std::fs::canonicalize(path) {
            names.extend(file.file_name().map(OsString::from));
            if let Some(target) = file.parent()
                && std::fs::canonicalize(&dirs[0]).ok().as_deref() != Some(target)
            {
                dirs.push(target.to_path_buf());
            }
        }
        ConfigWatch { dirs, names }
    }

    /// Whether an event on `paths` may have changed the config file.
    pub(super) fn relevant(&self, paths: &[PathBuf]) -> bool {
        paths.iter().any(|path| {
            path.file_name()
                .is_some_and(|name| self.names.contains(name))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::os::unix::fs::symlink;

    use super::*;

    /// An empty folder of its own under the temp folder.
    fn folder(name: &str) -> io::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!(
            "wasmgate-config-watch-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn relevant(watch: &ConfigWatch, path: &Path) -> bool {
        watch.relevant(&[path.to_path_buf()])
    }

    #[test]
    fn a_plain_file_is_watched_by_its_name_alone() -> io::Result<()> {
        let dir = folder("plain")?;
        let path = dir.join("wasmgate.toml");
        std::fs::write(&path, "")?;
        let watch = ConfigWatch::of(&path);
        assert_eq!(watch.dirs, std::slice::from_ref(&dir));
        assert!(relevant(&watch, &path));
        assert!(!relevant(&watch, &dir.join("wasmgate.log")));
        assert!(!relevant(&watch, &dir.join("wasmgate.tmp")));
        Ok(())
    }

    #[test]
    fn a_configmap_is_watched_through_its_data_link() -> io::Result<()> {
        let dir = folder("configmap")?;
        std::fs::create_dir(dir.join("..v1"))?;
        std::fs::write(dir.join("..v1/wasmgate.toml"), "")?;
        symlink("..v1", dir.join("..data"))?;
        symlink("..data/wasmgate.toml", dir.join("wasmgate.toml"))?;
        let watch = ConfigWatch::of(&dir.join("wasmgate.toml"));
        assert!(relevant(&watch, &dir.join("..data")));
        assert!(!relevant(&watch, &dir.join("..data_tmp")));
        assert!(!relevant(&watch, &dir.join("notes.txt")));
        Ok(())
    }

    #[test]
    fn a_linked_dotfile_is_watched_in_its_own_folder() -> io::Result<()> {
        let (dotfiles, dir) = (folder("dotfiles")?, folder("link")?);
        std::fs::write(dotfiles.join("gateway.toml"), "")?;
        symlink(dotfiles.join("gateway.toml"), dir.join("wasmgate.toml"))?;
        let watch = ConfigWatch::of(&dir.join("wasmgate.toml"));
        let real = std::fs::canonicalize(&dotfiles)?;
        assert_eq!(watch.dirs, [dir.clone(), real.clone()]);
        assert!(relevant(&watch, &real.join("gateway.toml")));
        assert!(!relevant(&watch, &real.join("other.toml")));
        Ok(())
    }
}
