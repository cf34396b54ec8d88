//! Infrastructure rules: cluster-wide `kubectl delete`, and destroying
//! infrastructure with `terraform destroy` (or `apply -destroy`, OpenTofu,
//! Terragrunt, Pulumi, CDK).

use super::Hit;
use crate::argv::{Arg, Spec, scan};
use crate::lex::Word;

/// Options of `kubectl` that take a value.
const KUBECTL: Spec = Spec {
    short: "nslfoLcp",
    long: &[
        "namespace",
        "context",
        "cluster",
        "kubeconfig",
        "server",
        "user",
        "token",
        "selector",
        "filename",
        "output",
        "field-selector",
        "timeout",
        "as",
        "as-group",
        "request-timeout",
        "grace-period",
        "cascade",
        "chunk-size",
    ],
};

/// Kinds that `--all` must not wipe.
const WIDE_KINDS: &[&str] = &[
    "all",
    "node",
    "nodes",
    "no",
    "pv",
    "persistentvolume",
    "persistentvolumes",
    "crd",
    "crds",
    "customresourcedefinition",
    "customresourcedefinitions",
    "clusterrole",
    "clusterroles",
    "clusterrolebinding",
    "clusterrolebindings",
];

/// `kubectl delete` across all namespaces (`-A`, `--all-namespaces`), of
/// namespaces, or `--all` of cluster-wide kinds.
pub fn kubectl(args: &[Word]) -> Option<Hit> {
    let parsed = scan(args, KUBECTL);
    let mut ops = parsed.iter().filter_map(|a| match a {
        Arg::Operand(o) => Some(*o),
        _ => None,
    });
    if ops.next()? != "delete" {
        return None;
    }
    let mut all = false;
    for a in &parsed {
        match a {
            Arg::Short('A', _) => {
                return Some(Hit::new(
                    "kubectl-delete",
                    "`kubectl delete` across all namespaces (`-A`)",
                ));
            }
            Arg::Long("all-namespaces", v) if v.is_none_or(|v| v != "false") => {
                return Some(Hit::new(
                    "kubectl-delete",
                    "`kubectl delete` across all namespaces (`--all-namespaces`)",
                ));
            }
            Arg::Long("all", v) if v.is_none_or(|v| v != "false") => all = true,
            _ => {}
        }
    }
    for op in ops {
        for kind in op.split(',') {
            let kind = kind.split('/').next().unwrap_or(kind).to_ascii_lowercase();
            let kind = kind.split('.').next().unwrap_or(&kind);
            if matches!(kind, "ns" | "namespace" | "namespaces") {
                return Some(Hit::new(
                    "kubectl-delete",
                    "`kubectl delete namespace` deletes everything in the namespace",
                ));
            }
            if all && WIDE_KINDS.contains(&kind) {
                return Some(Hit::new(
                    "kubectl-delete",
                    format!("`kubectl delete {kind} --all`"),
                ));
            }
        }
    }
    None
}

/// `terraform destroy`, `terraform apply -destroy`, and the same for
/// `tofu`, `terragrunt` (also `run-all destroy`), `pulumi destroy`/`down`,
/// `cdk destroy`.
pub fn destroy(prog: &str, args: &[Word]) -> Option<Hit> {
    let ops: Vec<&str> = args
        .iter()
        .map(|w| w.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .collect();
    let sub = ops.first().copied()?;
    let destroying = match prog {
        "pulumi" => matches!(sub, "destroy" | "down"),
        "cdk" => sub == "destroy",
        "terragrunt" => {
            ops.iter().any(|o| matches!(*o, "destroy" | "destroy-all"))
                || ops.contains(&"apply") && args.iter().any(|w| is_destroy_flag(&w.text))
        }
        _ => sub == "destroy" || sub == "apply" && args.iter().any(|w| is_destroy_flag(&w.text)),
    };
    destroying.then(|| {
        Hit::new(
            "terraform-destroy",
            format!("`{prog} {sub}` destroys the managed infrastructure"),
        )
    })
}

fn is_destroy_flag(t: &str) -> bool {
    matches!(
        t,
        "-destroy" | "--destroy" | "-destroy=true" | "--destroy=true"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::tests::words;

    #[test]
    fn kubectl_deletes() {
        for s in [
            "delete pods --all -A",
            "delete pods --all --all-namespaces",
            "-n x delete deploy --all-namespaces",
            "delete namespace staging",
            "delete ns/staging",
            "delete all --all",
            "delete nodes --all",
            "delete pvc,ns foo",
        ] {
            assert!(kubectl(&words(s)).is_some(), "{s}");
        }
        for s in [
            "get pods -A",
            "delete pod my-pod",
            "delete -f deploy.yaml",
            "delete pods -l app=web -n staging",
            "delete pods --all -n staging",
            "apply -f k8s/",
        ] {
            assert_eq!(kubectl(&words(s)), None, "{s}");
        }
    }

    #[test]
    fn destroys() {
        assert!(destroy("terraform", &words("destroy")).is_some());
        assert!(destroy("terraform", &words("-chdir=infra destroy -auto-approve")).is_some());
        assert!(destroy("terraform", &words("apply -destroy")).is_some());
        assert!(destroy("tofu", &words("destroy")).is_some());
        assert!(destroy("terragrunt", &words("run-all destroy")).is_some());
        assert!(destroy("pulumi", &words("destroy --yes")).is_some());
        assert_eq!(destroy("terraform", &words("plan -destroy")), None);
        assert_eq!(destroy("terraform", &words("plan")), None);
        assert_eq!(destroy("terraform", &words("apply -auto-approve")), None);
        assert_eq!(destroy("pulumi", &words("up")), None);
    }
}
