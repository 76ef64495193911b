
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-ds_coverage' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-ds_coverage'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-ds_coverage' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--node-selector', '--node-selector', [CompletionResultType]::ParameterName, 'Audit only the nodes matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)')
            [CompletionResult]::new('--max-columns', '--max-columns', [CompletionResultType]::ParameterName, 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'States that fail the gate, comma-separated: Missing, Pending, NotReady, Failed, Misscheduled, outdated. Default: all but outdated')
            [CompletionResult]::new('--min-coverage', '--min-coverage', [CompletionResultType]::ParameterName, 'Pass a DaemonSet whose coverage is at least PCT percent despite not-Ready pairs')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Ignore nodes and pods younger than this (e.g. 2m); measured against --as-of when given')
            [CompletionResult]::new('--expect-nodes', '--expect-nodes', [CompletionResultType]::ParameterName, 'Require every node matching this label selector to be eligible for every audited DaemonSet (catches a toleration or selector typo before desired=0 goes unnoticed)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the requests')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--toleration-comparison-operators', '--toleration-comparison-operators', [CompletionResultType]::ParameterName, 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do')
            [CompletionResult]::new('--include-ineligible', '--include-ineligible', [CompletionResultType]::ParameterName, 'Also report pairs where the DaemonSet wants no pod, with the reasons')
            [CompletionResult]::new('--all-nodes', '--all-nodes', [CompletionResultType]::ParameterName, 'Matrix: show every row, also on large clusters where fully covered rows are hidden')
            [CompletionResult]::new('--hide-covered', '--hide-covered', [CompletionResultType]::ParameterName, 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report')
            [CompletionResult]::new('--all-problems', '--all-problems', [CompletionResultType]::ParameterName, 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Don''t print headers (and, in tables, the detail and summary lines), like kubectl')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit 1 when DaemonSets are not where they should be (eligible pairs not Ready, and misscheduled pairs); a short verdict goes to stderr in every output format')
            [CompletionResult]::new('--ignore-unready-nodes', '--ignore-unready-nodes', [CompletionResultType]::ParameterName, 'Ignore nodes whose own Ready condition is not True')
            [CompletionResult]::new('--include-draining-nodes', '--include-draining-nodes', [CompletionResultType]::ParameterName, 'Count nodes that the cluster autoscaler or Karpenter is removing (ignored by default)')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Don''t verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Every rule, checked, for one (DaemonSet, node) pair, and what to change')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of the `-o json` report')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted nodes, with --outdated OnDelete pods), show it, and carry it out with --yes')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-ds_coverage;explain' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--node-selector', '--node-selector', [CompletionResultType]::ParameterName, 'Audit only the nodes matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)')
            [CompletionResult]::new('--max-columns', '--max-columns', [CompletionResultType]::ParameterName, 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the requests')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--toleration-comparison-operators', '--toleration-comparison-operators', [CompletionResultType]::ParameterName, 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do')
            [CompletionResult]::new('--include-ineligible', '--include-ineligible', [CompletionResultType]::ParameterName, 'Also report pairs where the DaemonSet wants no pod, with the reasons')
            [CompletionResult]::new('--all-nodes', '--all-nodes', [CompletionResultType]::ParameterName, 'Matrix: show every row, also on large clusters where fully covered rows are hidden')
            [CompletionResult]::new('--hide-covered', '--hide-covered', [CompletionResultType]::ParameterName, 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report')
            [CompletionResult]::new('--all-problems', '--all-problems', [CompletionResultType]::ParameterName, 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Don''t print headers (and, in tables, the detail and summary lines), like kubectl')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Don''t verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-ds_coverage;schema' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--node-selector', '--node-selector', [CompletionResultType]::ParameterName, 'Audit only the nodes matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)')
            [CompletionResult]::new('--max-columns', '--max-columns', [CompletionResultType]::ParameterName, 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the requests')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--toleration-comparison-operators', '--toleration-comparison-operators', [CompletionResultType]::ParameterName, 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do')
            [CompletionResult]::new('--include-ineligible', '--include-ineligible', [CompletionResultType]::ParameterName, 'Also report pairs where the DaemonSet wants no pod, with the reasons')
            [CompletionResult]::new('--all-nodes', '--all-nodes', [CompletionResultType]::ParameterName, 'Matrix: show every row, also on large clusters where fully covered rows are hidden')
            [CompletionResult]::new('--hide-covered', '--hide-covered', [CompletionResultType]::ParameterName, 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report')
            [CompletionResult]::new('--all-problems', '--all-problems', [CompletionResultType]::ParameterName, 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Don''t print headers (and, in tables, the detail and summary lines), like kubectl')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Don''t verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-ds_coverage;completion' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--node-selector', '--node-selector', [CompletionResultType]::ParameterName, 'Audit only the nodes matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)')
            [CompletionResult]::new('--max-columns', '--max-columns', [CompletionResultType]::ParameterName, 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the requests')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--toleration-comparison-operators', '--toleration-comparison-operators', [CompletionResultType]::ParameterName, 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do')
            [CompletionResult]::new('--include-ineligible', '--include-ineligible', [CompletionResultType]::ParameterName, 'Also report pairs where the DaemonSet wants no pod, with the reasons')
            [CompletionResult]::new('--all-nodes', '--all-nodes', [CompletionResultType]::ParameterName, 'Matrix: show every row, also on large clusters where fully covered rows are hidden')
            [CompletionResult]::new('--hide-covered', '--hide-covered', [CompletionResultType]::ParameterName, 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report')
            [CompletionResult]::new('--all-problems', '--all-problems', [CompletionResultType]::ParameterName, 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Don''t print headers (and, in tables, the detail and summary lines), like kubectl')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Don''t verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-ds_coverage;fix' {
            [CompletionResult]::new('--max-unavailable', '--max-unavailable', [CompletionResultType]::ParameterName, 'At most this many outdated pods of a DaemonSet replaced and not yet Ready at a time')
            [CompletionResult]::new('--max-concurrent', '--max-concurrent', [CompletionResultType]::ParameterName, 'At most this many deletions or evictions in flight at once')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to retry an eviction a PodDisruptionBudget refuses, and to wait for each replacement to be Ready (e.g. 30s, 5m)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: re-read the pods, send no change; server: send every call with dryRun=All')
            [CompletionResult]::new('--plan-file', '--plan-file', [CompletionResultType]::ParameterName, 'Act on a plan saved with `fix -o json` (only its pods that are unchanged and still planned)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSets (default: the context''s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)')
            [CompletionResult]::new('--node-selector', '--node-selector', [CompletionResultType]::ParameterName, 'Audit only the nodes matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--from-file', '--from-file', [CompletionResultType]::ParameterName, 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable')
            [CompletionResult]::new('--as-of', '--as-of', [CompletionResultType]::ParameterName, 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)')
            [CompletionResult]::new('--max-columns', '--max-columns', [CompletionResultType]::ParameterName, 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the requests')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate (repeatable)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log every API request (method, path, status, time) and retry to stderr; never tokens')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Act without asking (otherwise only on a terminal, after typing yes)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Act without asking (otherwise only on a terminal, after typing yes)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete misscheduled pods instead of evicting them (evictions respect PodDisruptionBudgets)')
            [CompletionResult]::new('--keep-tolerated', '--keep-tolerated', [CompletionResultType]::ParameterName, 'Leave misscheduled pods that the controller itself keeps (only NoSchedule taints untolerated)')
            [CompletionResult]::new('--outdated', '--outdated', [CompletionResultType]::ParameterName, 'Also replace outdated pods of OnDelete DaemonSets, node by node, waiting for each replacement to be Ready')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Audit DaemonSets in all namespaces')
            [CompletionResult]::new('--toleration-comparison-operators', '--toleration-comparison-operators', [CompletionResultType]::ParameterName, 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do')
            [CompletionResult]::new('--include-ineligible', '--include-ineligible', [CompletionResultType]::ParameterName, 'Also report pairs where the DaemonSet wants no pod, with the reasons')
            [CompletionResult]::new('--all-nodes', '--all-nodes', [CompletionResultType]::ParameterName, 'Matrix: show every row, also on large clusters where fully covered rows are hidden')
            [CompletionResult]::new('--hide-covered', '--hide-covered', [CompletionResultType]::ParameterName, 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report')
            [CompletionResult]::new('--all-problems', '--all-problems', [CompletionResultType]::ParameterName, 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Don''t print headers (and, in tables, the detail and summary lines), like kubectl')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Don''t verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-ds_coverage;help' {
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Every rule, checked, for one (DaemonSet, node) pair, and what to change')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of the `-o json` report')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted nodes, with --outdated OnDelete pods), show it, and carry it out with --yes')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-ds_coverage;help;explain' {
            break
        }
        'kubectl-ds_coverage;help;schema' {
            break
        }
        'kubectl-ds_coverage;help;completion' {
            break
        }
        'kubectl-ds_coverage;help;fix' {
            break
        }
        'kubectl-ds_coverage;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
