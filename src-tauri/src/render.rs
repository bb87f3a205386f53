//! How WebKitGTK draws the window on machines without a GPU.
//!
//! WebKitGTK composites the page through OpenGL. Without a GPU render node (a VM, a cloud
//! desktop, a headless X server) that OpenGL is Mesa's software rasteriser, and compositing
//! through it costs more than painting: with a 500-node graph on a 2-core machine, drag frames
//! take ~55 ms when composited and ~18 ms when painted directly. So on such machines the app
//! switches WebKit's compositing off, unless the user has set `WEBKIT_DISABLE_COMPOSITING_MODE`
//! themselves (`0` keeps compositing on).

use std::path::Path;

/// WebKitGTK's switch for painting without the OpenGL compositor.
const COMPOSITING_VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// True if `dri` (normally `/dev/dri`) holds a DRM render node (`renderD*`), i.e. a GPU that
/// WebKit can render with.
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Whether to switch compositing off: no GPU, or software GL forced with
/// `LIBGL_ALWAYS_SOFTWARE`; never when the user chose with `WEBKIT_DISABLE_COMPOSITING_MODE`.
fn wants_direct_painting(user_chose: bool, gpu: bool, software_gl_forced: bool) -> bool {
    !user_chose && (!gpu || software_gl_forced)
}

/// Applies the choice to this process's environment, which WebKit's processes inherit. Call
/// first thing in `main`, before any thread starts. Returns true if compositing was switched off.
pub fn configure() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let software_gl_forced =
        std::env::var_os("LIBGL_ALWAYS_SOFTWARE").is_some_and(|v| !v.is_empty() && v != "0");
    let off = wants_direct_painting(
        std::env::var_os(COMPOSITING_VAR).is_some(),
        has_render_node(Path::new("/dev/dri")),
        software_gl_forced,
    );
    if off {
        std::env::set_var(COMPOSITING_VAR, "1");
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu_and_a_card_or_nothing_is_not() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()), "empty /dev/dri");
        assert!(!has_render_node(&dir.path().join("missing")), "no /dev/dri");
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(
            !has_render_node(dir.path()),
            "a display card without a render node"
        );
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
    }

    #[test]
    fn the_users_own_setting_always_wins() {
        assert!(wants_direct_painting(false, false, false), "no GPU");
        assert!(
            wants_direct_painting(false, true, true),
            "GPU, software GL forced"
        );
        assert!(!wants_direct_painting(false, true, false), "GPU");
        assert!(
            !wants_direct_painting(true, false, false),
            "no GPU, user chose"
        );
        assert!(!wants_direct_painting(true, true, true), "user chose");
    }
}
