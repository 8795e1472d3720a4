//! The crate's import graph, checked from its sources (a test only): kernels know no tape,
//! the pool knows nothing but the element type, and the only circle is tensor <-> backprop.
//!
//! A module's imports are the `crate::<module>` paths in its code (comments aside); `kernels`
//! and `ops` count as one module each, whatever their files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What each file of `autograd/src` names from the crate, by top-level module.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.clone()];
    let mut graph = BTreeMap::<String, BTreeSet<String>>::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if !rel.ends_with(".rs") || rel == "lib.rs" || rel == "layering.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
        let mut names = BTreeSet::new();
        for line in code {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
            assert!(
                !line.contains("super::super"),
                "{rel}: reaches up with `super::super`: `{line}`"
            );
        }
        graph.insert(rel, names);
    }
    graph
}

/// The top-level module of a file, or the module a `crate::` path names: an item the crate
/// root re-exports (`crate::Float`) counts as its module's.
fn module(name: &str) -> String {
    let lib = include_str!("lib.rs");
    for line in lib.lines().filter_map(|l| l.strip_prefix("pub use ")) {
        if let Some((from, items)) = line.split_once("::") {
            let items = items.trim_matches(|c: char| "{};".contains(c));
            if items.split(", ").any(|item| item == name) {
                return from.to_string();
            }
        }
    }
    name.split(['/', '.']).next().unwrap().to_string()
}

#[test]
fn kernels_import_only_element_and_shape_types() {
    for (file, names) in imports() {
        if file.starts_with("kernels/") {
            for name in names {
                assert!(
                    ["element", "shape", "kernels"].contains(&module(&name).as_str()),
                    "{file} imports crate::{name}: a kernel imports only element and shape \
                     types (and sibling kernels), and writes into buffers its caller gives it"
                );
            }
        }
    }
}

#[test]
fn the_pool_knows_only_the_element_type() {
    let graph = imports();
    for name in &graph["pool.rs"] {
        assert_eq!(module(name), "element", "pool.rs imports crate::{name}");
    }
}

#[test]
fn the_only_import_circle_is_tensor_and_backprop() {
    // Module-level edges, then their transitive closure.
    let mut reach = BTreeMap::<String, BTreeSet<String>>::new();
    for (file, names) in imports() {
        let from = module(&file);
        let to = reach.entry(from.clone()).or_default();
        to.extend(names.iter().map(|n| module(n)).filter(|m| *m != from));
    }
    let modules: Vec<String> = reach.keys().cloned().collect();
    for k in &modules {
        for i in &modules {
            if reach[i].contains(k) {
                let via = reach[k].clone();
                reach.get_mut(i).unwrap().extend(via);
            }
        }
    }
    let mut circles = Vec::new();
    for a in &modules {
        for b in &reach[a] {
            if a < b && reach.get(b).is_some_and(|r| r.contains(a)) {
                circles.push((a.as_str(), b.as_str()));
            }
        }
    }
    assert_eq!(
        circles,
        [("backprop", "tensor")],
        "modules that import each other"
    );
}
