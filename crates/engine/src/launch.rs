//! Scripts that run a sharded sweep ([`crate::shard`]) on a cluster's own scheduler: an
//! `sbatch` script with a job array for Slurm, an Indexed Job manifest for Kubernetes. Both
//! carry the graph itself (so the job runs what was planned), the sweep's identity and the
//! data's content hash (a shard refuses to run on anything else), and never a credential: on
//! Slurm the server's URL is read from a file only its user can read, on Kubernetes from a
//! Secret. `<IMAGE>`, `<DATA_URL>` and `<SECRET_NAME>` are placeholders for the user to fill.

use serde_json::{json, Value};

/// A sharded sweep to launch.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The graph, canonical JSON.
    pub graph_json: String,
    /// Where the shards read the data: a path on the cluster's shared file system or an
    /// http(s) URL (or the `<DATA_URL>` placeholder).
    pub data: String,
    /// The sweep's own flags, each a separate word: `--grid`, `--random`/`--seed`, `--where`,
    /// `--sort` with their values.
    pub flags: Vec<String>,
    /// Shards (array tasks, completions).
    pub shards: usize,
    /// Combinations in the sweep.
    pub total: usize,
    /// The sweep's identity (hex, 64 digits).
    pub sweep_hash: String,
    /// The data's content hash (hex, 64 digits).
    pub data_hash: String,
    /// CPUs, and threads, per shard.
    pub cpus: usize,
    /// The server sweep the rows go to (`--to-server`), if any.
    pub to_server: Option<String>,
}

/// The placeholder of the data's location.
pub const DATA_PLACEHOLDER: &str = "<DATA_URL>";

/// Quotes `s` for a POSIX shell (bare when it holds only safe characters).
pub fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Launch {
    fn short(&self) -> &str {
        self.sweep_hash.get(..12).unwrap_or(&self.sweep_hash)
    }

    /// The shard command's words after the graph path, with `shard` the shell expression of
    /// the shard index.
    fn words(&self, shard: &str, threads: &str) -> Vec<String> {
        let mut w = vec!["--data".to_string(), sh(&self.data)];
        w.extend(self.flags.iter().map(|f| sh(f)));
        w.extend([
            "--threads".into(),
            threads.to_string(),
            "--shard".into(),
            format!("\"{shard}/{}\"", self.shards),
            "--expect-sweep".into(),
            self.sweep_hash.clone(),
            "--expect-data-hash".into(),
            self.data_hash.clone(),
        ]);
        w
    }

    /// The sbatch script: a job array of N tasks, task i running shard i/N and writing
    /// `OUT/shard-i-of-N.json`; with `to_server`, also the rows to the server, the URL read
    /// from `$STRATAGRAPH_SERVER_CREDENTIALS` (default `~/.config/stratagraph/server-url`, a
    /// file of mode 600).
    pub fn slurm(&self, out_dir: &str) -> String {
        let n = self.shards;
        let out = sh(out_dir);
        let mut cmd = self.words("${SLURM_ARRAY_TASK_ID}", "\"${SLURM_CPUS_PER_TASK:-1}\"");
        cmd.extend([
            "--out".into(),
            format!("\"$OUT/shard-${{SLURM_ARRAY_TASK_ID}}-of-{n}.json\""),
        ]);
        let mut creds = String::new();
        if let Some(id) = &self.to_server {
            cmd.extend([
                "--to-server".into(),
                sh(id),
                "--server-credentials".into(),
                "\"$CREDENTIALS\"".into(),
            ]);
            creds = "# The server's postgres:// URL is read from a file only you can read (chmod 600),\n\
                     # never from this script; STRATAGRAPH_SERVER_CREDENTIALS moves it.\n\
                     CREDENTIALS=\"${STRATAGRAPH_SERVER_CREDENTIALS:-$HOME/.config/stratagraph/server-url}\"\n"
                .to_string();
        }
        // The heredoc's terminator cannot occur in canonical JSON (one line, no bare words).
        format!(
            "#!/bin/bash\n\
             # Stratagraph sweep {short}: {total} combinations in {n} shards, one Slurm array\n\
             # task each (SLURM_ARRAY_TASK_ID = shard). Submit with `sbatch FILE` (each task's log:\n\
             # stratagraph-JOB_TASK.log in the folder you submit from); once every task is done:\n\
             #   stratagraph sweep merge {out}/shard-*-of-{n}.json --json > merged.json\n\
             # A retried or requeued task writes the same rows again. STRATAGRAPH names the CLI.\n\
             #SBATCH --job-name=stratagraph-{short8}\n\
             #SBATCH --array=0-{last}\n\
             #SBATCH --ntasks=1\n\
             #SBATCH --cpus-per-task={cpus}\n\
             #SBATCH --output=stratagraph-%A_%a.log\n\
             #SBATCH --open-mode=append\n\
             #SBATCH --requeue\n\
             set -euo pipefail\n\
             STRATAGRAPH=\"${{STRATAGRAPH:-stratagraph}}\"\n\
             OUT={out}\n\
             {creds}\
             mkdir -p \"$OUT\"\n\
             GRAPH=\"$OUT/graph-{short}.json\"\n\
             cat > \"$GRAPH.$SLURM_ARRAY_TASK_ID\" <<'STRATAGRAPH_GRAPH_END'\n\
             {graph}\n\
             STRATAGRAPH_GRAPH_END\n\
             mv -f \"$GRAPH.$SLURM_ARRAY_TASK_ID\" \"$GRAPH\"\n\
             exec {cmd}\n",
            short = self.short(),
            total = self.total,
            short8 = self.sweep_hash.get(..8).unwrap_or(&self.sweep_hash),
            last = n.saturating_sub(1),
            cpus = self.cpus,
            graph = self.graph_json,
            cmd = std::iter::once("\"$STRATAGRAPH\" sweep \"$GRAPH\"".to_string())
                .chain(cmd.chunks(2).map(|pair| pair.join(" ")))
                .collect::<Vec<_>>()
                .join(" \\\n    "),
        )
    }

    /// The batch/v1 Indexed Job: N completions, pod i running shard i/N; the graph travels in
    /// an environment variable, the server URL (with `to_server`) comes from the Secret
    /// `<SECRET_NAME>`, key `url`. Without `to_server`, each pod prints its shard document
    /// (its log) for `sweep merge`.
    pub fn kubernetes(&self) -> Value {
        let n = self.shards;
        let mut cmd = vec![
            "stratagraph".to_string(),
            "sweep".into(),
            "/tmp/graph.json".into(),
        ];
        cmd.extend(self.words("$JOB_COMPLETION_INDEX", &self.cpus.to_string()));
        cmd.push("--json".into());
        let mut env = vec![json!({"name": "STRATAGRAPH_GRAPH_JSON", "value": self.graph_json})];
        if let Some(id) = &self.to_server {
            cmd.extend(["--to-server".into(), sh(id)]);
            env.push(json!({
                "name": "STRATAGRAPH_SERVER_URL",
                "valueFrom": {"secretKeyRef": {"name": "<SECRET_NAME>", "key": "url"}},
            }));
        }
        let script = format!(
            "printf '%s' \"$STRATAGRAPH_GRAPH_JSON\" > /tmp/graph.json && exec {}",
            cmd.join(" ")
        );
        let short8 = self.sweep_hash.get(..8).unwrap_or(&self.sweep_hash);
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": format!("stratagraph-sweep-{short8}"),
                "labels": {
                    "app.kubernetes.io/name": "stratagraph-sweep",
                    "stratagraph.dev/sweep": self.short(),
                },
                "annotations": {
                    "stratagraph.dev/sweep": self.sweep_hash,
                    "stratagraph.dev/data-hash": self.data_hash,
                    "stratagraph.dev/combinations": self.total.to_string(),
                    "stratagraph.dev/fill-in": "<IMAGE>: an image with the stratagraph CLI on its \
                        PATH; <DATA_URL>: an http(s) URL (or a path on a mounted volume) of the \
                        data; <SECRET_NAME>: a Secret whose key `url` holds the server's \
                        postgres:// URL",
                },
            },
            "spec": {
                "completionMode": "Indexed",
                "completions": n,
                "parallelism": n,
                "backoffLimit": 3 * n,
                "template": {
                    "metadata": {"labels": {"app.kubernetes.io/name": "stratagraph-sweep"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{
                            "name": "shard",
                            "image": "<IMAGE>",
                            "command": ["/bin/sh", "-c", script],
                            "env": env,
                            "resources": {"requests": {"cpu": self.cpus.to_string()}},
                        }],
                    },
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_words_whole() {
        assert_eq!(sh("fast=5:50:5"), "fast=5:50:5");
        assert_eq!(sh("fast<slow"), "'fast<slow'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh(""), "''");
    }
}
