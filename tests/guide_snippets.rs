//! GUIDE.md cannot drift from the code it explains: every code block preceded by a line
//! `<!-- from: FILE -->` must be a verbatim excerpt of FILE (a path from the repository root).
//! A line starting with `// ...` or `# ...` (after indentation; a comment may follow) elides any
//! number of lines; the pieces between elisions must appear in the file in that order.

use std::path::Path;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The marked blocks of `markdown`: (file, lines of the block).
fn marked_blocks(markdown: &str) -> Vec<(&str, Vec<&str>)> {
    let mut out = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(file) = line
            .trim()
            .strip_prefix("<!-- from: ")
            .and_then(|r| r.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "the line after `{line}` must open a code block, not {fence:?}"
        );
        let mut block = Vec::new();
        loop {
            match lines.next() {
                Some(l) if l.starts_with("```") => break,
                Some(l) => block.push(l),
                None => panic!("the code block after `{line}` is not closed by a line ```"),
            }
        }
        out.push((file, block));
    }
    out
}

/// Panics unless the pieces of `block` (split at elision lines) occur in `source` in order.
fn assert_excerpt(file: &str, source: &str, block: &[&str]) {
    let mut rest = source;
    let elision = |l: &&str| ["// ...", "# ..."].iter().any(|e| l.trim().starts_with(e));
    for piece in block.split(elision) {
        let piece = piece.join("\n");
        let at = rest.find(&piece).unwrap_or_else(|| {
            panic!("GUIDE.md: this excerpt is not in {file} (or not in this order):\n{piece}")
        });
        rest = &rest[at + piece.len()..];
    }
}

#[test]
fn marked_code_blocks_are_excerpts_of_their_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = read(&root.join("GUIDE.md"));
    let blocks = marked_blocks(&guide);
    // One per walkthrough at least: the registration, the gradient checks, the bench and its
    // Cargo.toml entry.
    assert!(blocks.len() >= 4, "only {} marked blocks", blocks.len());
    for (file, block) in blocks {
        assert_excerpt(file, &read(&root.join(file)), &block);
    }
}

#[test]
fn an_edited_excerpt_is_caught() {
    let source = "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n";
    assert_excerpt("x.rs", source, &["fn a() {", "// ...", "fn b() {", "    2"]);
    assert_excerpt("x.rs", source, &["fn a() {", "    // ... the body", "}"]);
    for bad in [
        &["fn a() {", "    2"][..],              // a line changed
        &["fn b() {", "// ...", "fn a() {"][..], // out of order
    ] {
        let caught = std::panic::catch_unwind(|| assert_excerpt("x.rs", source, bad));
        assert!(caught.is_err(), "{bad:?} passed");
    }
}
