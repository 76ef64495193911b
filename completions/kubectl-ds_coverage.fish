# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_ds_coverage_global_optspecs
    string join \n n/namespace= A/all-namespaces l/selector= node-selector= f/from-file= as-of= manifest= toleration-comparison-operators o/output= include-ineligible group-by= all-nodes hide-covered max-columns= all-problems no-headers color= check fail-on= min-coverage= grace= ignore-unready-nodes include-draining-nodes expect-nodes= kubeconfig= context= cluster= user= as= as-group= request-timeout= insecure-skip-tls-verify chunk-size= v/v= h/help V/version
end

function __fish_kubectl_ds_coverage_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_ds_coverage_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_ds_coverage_using_subcommand
    set -l cmd (__fish_kubectl_ds_coverage_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s n -l namespace -d 'Namespace of the DaemonSets (default: the context\'s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s l -l selector -d 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l node-selector -d 'Audit only the nodes matching this label selector' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s f -l from-file -d 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l as-of -d 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l manifest -d 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s o -l output -d 'Output format' -r -f -a "table\t'One row per DaemonSet, with the nodes concerned under each imperfect row'
wide\t'The table plus placement rules and the reasons nodes are excluded'
matrix\t'Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes)'
json\t'The report as JSON (schemaVersion 1)'
yaml\t'The report as YAML'
markdown\t'Summary table and per-DaemonSet details for a PR comment or CI step summary'
junit\t'JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair'"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l group-by -d 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l max-columns -d 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l color -d 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l fail-on -d 'States that fail the gate, comma-separated: Missing, Pending, NotReady, Failed, Misscheduled, outdated. Default: all but outdated' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l min-coverage -d 'Pass a DaemonSet whose coverage is at least PCT percent despite not-Ready pairs' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l grace -d 'Ignore nodes and pods younger than this (e.g. 2m); measured against --as-of when given' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l expect-nodes -d 'Require every node matching this label selector to be eligible for every audited DaemonSet (catches a toleration or selector typo before desired=0 goes unnoticed)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l as -d 'Username to impersonate for the requests' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l request-timeout -d 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l chunk-size -d 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s v -l v -d 'Log every API request (method, path, status, time) and retry to stderr; never tokens' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s A -l all-namespaces -d 'Audit DaemonSets in all namespaces'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l toleration-comparison-operators -d 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l include-ineligible -d 'Also report pairs where the DaemonSet wants no pod, with the reasons'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l all-nodes -d 'Matrix: show every row, also on large clusters where fully covered rows are hidden'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l hide-covered -d 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l all-problems -d 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l no-headers -d 'Don\'t print headers (and, in tables, the detail and summary lines), like kubectl'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l check -d 'Exit 1 when DaemonSets are not where they should be (eligible pairs not Ready, and misscheduled pairs); a short verdict goes to stderr in every output format'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l ignore-unready-nodes -d 'Ignore nodes whose own Ready condition is not True'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l include-draining-nodes -d 'Count nodes that the cluster autoscaler or Karpenter is removing (ignored by default)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -l insecure-skip-tls-verify -d 'Don\'t verify the server\'s certificate (insecure)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -a "explain" -d 'Every rule, checked, for one (DaemonSet, node) pair, and what to change'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -a "schema" -d 'Print the JSON Schema of the `-o json` report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -a "fix" -d 'Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted nodes, with --outdated OnDelete pods), show it, and carry it out with --yes'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s n -l namespace -d 'Namespace of the DaemonSets (default: the context\'s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s l -l selector -d 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l node-selector -d 'Audit only the nodes matching this label selector' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s f -l from-file -d 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l as-of -d 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l manifest -d 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s o -l output -d 'Output format' -r -f -a "table\t'One row per DaemonSet, with the nodes concerned under each imperfect row'
wide\t'The table plus placement rules and the reasons nodes are excluded'
matrix\t'Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes)'
json\t'The report as JSON (schemaVersion 1)'
yaml\t'The report as YAML'
markdown\t'Summary table and per-DaemonSet details for a PR comment or CI step summary'
junit\t'JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair'"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l group-by -d 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l max-columns -d 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l color -d 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l as -d 'Username to impersonate for the requests' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l request-timeout -d 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l chunk-size -d 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s v -l v -d 'Log every API request (method, path, status, time) and retry to stderr; never tokens' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s A -l all-namespaces -d 'Audit DaemonSets in all namespaces'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l toleration-comparison-operators -d 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l include-ineligible -d 'Also report pairs where the DaemonSet wants no pod, with the reasons'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l all-nodes -d 'Matrix: show every row, also on large clusters where fully covered rows are hidden'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l hide-covered -d 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l all-problems -d 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l no-headers -d 'Don\'t print headers (and, in tables, the detail and summary lines), like kubectl'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -l insecure-skip-tls-verify -d 'Don\'t verify the server\'s certificate (insecure)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s n -l namespace -d 'Namespace of the DaemonSets (default: the context\'s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s l -l selector -d 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l node-selector -d 'Audit only the nodes matching this label selector' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s f -l from-file -d 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l as-of -d 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l manifest -d 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s o -l output -d 'Output format' -r -f -a "table\t'One row per DaemonSet, with the nodes concerned under each imperfect row'
wide\t'The table plus placement rules and the reasons nodes are excluded'
matrix\t'Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes)'
json\t'The report as JSON (schemaVersion 1)'
yaml\t'The report as YAML'
markdown\t'Summary table and per-DaemonSet details for a PR comment or CI step summary'
junit\t'JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair'"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l group-by -d 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l max-columns -d 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l color -d 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l as -d 'Username to impersonate for the requests' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l request-timeout -d 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l chunk-size -d 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s v -l v -d 'Log every API request (method, path, status, time) and retry to stderr; never tokens' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s A -l all-namespaces -d 'Audit DaemonSets in all namespaces'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l toleration-comparison-operators -d 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l include-ineligible -d 'Also report pairs where the DaemonSet wants no pod, with the reasons'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l all-nodes -d 'Matrix: show every row, also on large clusters where fully covered rows are hidden'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l hide-covered -d 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l all-problems -d 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l no-headers -d 'Don\'t print headers (and, in tables, the detail and summary lines), like kubectl'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -l insecure-skip-tls-verify -d 'Don\'t verify the server\'s certificate (insecure)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s n -l namespace -d 'Namespace of the DaemonSets (default: the context\'s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s l -l selector -d 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l node-selector -d 'Audit only the nodes matching this label selector' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s f -l from-file -d 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l as-of -d 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l manifest -d 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s o -l output -d 'Output format' -r -f -a "table\t'One row per DaemonSet, with the nodes concerned under each imperfect row'
wide\t'The table plus placement rules and the reasons nodes are excluded'
matrix\t'Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes)'
json\t'The report as JSON (schemaVersion 1)'
yaml\t'The report as YAML'
markdown\t'Summary table and per-DaemonSet details for a PR comment or CI step summary'
junit\t'JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair'"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l group-by -d 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l max-columns -d 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l color -d 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l as -d 'Username to impersonate for the requests' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l request-timeout -d 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l chunk-size -d 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s v -l v -d 'Log every API request (method, path, status, time) and retry to stderr; never tokens' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s A -l all-namespaces -d 'Audit DaemonSets in all namespaces'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l toleration-comparison-operators -d 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l include-ineligible -d 'Also report pairs where the DaemonSet wants no pod, with the reasons'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l all-nodes -d 'Matrix: show every row, also on large clusters where fully covered rows are hidden'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l hide-covered -d 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l all-problems -d 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l no-headers -d 'Don\'t print headers (and, in tables, the detail and summary lines), like kubectl'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -l insecure-skip-tls-verify -d 'Don\'t verify the server\'s certificate (insecure)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l max-unavailable -d 'At most this many outdated pods of a DaemonSet replaced and not yet Ready at a time' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l max-concurrent -d 'At most this many deletions or evictions in flight at once' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l timeout -d 'How long to retry an eviction a PodDisruptionBudget refuses, and to wait for each replacement to be Ready (e.g. 30s, 5m)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l dry-run -d 'client: re-read the pods, send no change; server: send every call with dryRun=All' -r -f -a "none\t''
client\t''
server\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l plan-file -d 'Act on a plan saved with `fix -o json` (only its pods that are unchanged and still planned)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s n -l namespace -d 'Namespace of the DaemonSets (default: the context\'s namespace, then `default`; with --from-file, every namespace in the files, as `kubectl get -f` does)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s l -l selector -d 'Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l node-selector -d 'Audit only the nodes matching this label selector' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s f -l from-file -d 'Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster: files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`), or `-` for stdin. Repeatable' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l as-of -d 'Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken days ago. Default: now' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l manifest -d 'DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or `kustomize build` print it; repeatable): where would they land? A manifest with the name of an existing DaemonSet shows the effect of the change on its pods' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s o -l output -d 'Output format' -r -f -a "table\t'One row per DaemonSet, with the nodes concerned under each imperfect row'
wide\t'The table plus placement rules and the reasons nodes are excluded'
matrix\t'Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes)'
json\t'The report as JSON (schemaVersion 1)'
yaml\t'The report as YAML'
markdown\t'Summary table and per-DaemonSet details for a PR comment or CI step summary'
junit\t'JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair'"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l group-by -d 'Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l max-columns -d 'Matrix: at most N DaemonSet columns per page (default: as many as fit the width)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l color -d 'When to colour the output (json and yaml are never coloured). NO_COLOR is honoured' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l kubeconfig -d 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l context -d 'The kubeconfig context to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l user -d 'The kubeconfig user to use' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l as -d 'Username to impersonate for the requests' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l as-group -d 'Group to impersonate (repeatable)' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l request-timeout -d 'How long to wait for a single server request: 0 (never give up), or 30s, 2m...' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l chunk-size -d 'List in pages of this many objects (0: one request per list), as kubectl --chunk-size' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s v -l v -d 'Log every API request (method, path, status, time) and retry to stderr; never tokens' -r
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s y -l yes -d 'Act without asking (otherwise only on a terminal, after typing yes)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l delete -d 'Delete misscheduled pods instead of evicting them (evictions respect PodDisruptionBudgets)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l keep-tolerated -d 'Leave misscheduled pods that the controller itself keeps (only NoSchedule taints untolerated)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l outdated -d 'Also replace outdated pods of OnDelete DaemonSets, node by node, waiting for each replacement to be Ready'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s A -l all-namespaces -d 'Audit DaemonSets in all namespaces'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l toleration-comparison-operators -d 'Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators feature gate (alpha in 1.35, off by default) do'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l include-ineligible -d 'Also report pairs where the DaemonSet wants no pod, with the reasons'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l all-nodes -d 'Matrix: show every row, also on large clusters where fully covered rows are hidden'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l hide-covered -d 'Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing else to report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l all-problems -d 'Table and wide: list every problem node under each DaemonSet, not only the first 5 (the default when a single DaemonSet is named)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l no-headers -d 'Don\'t print headers (and, in tables, the detail and summary lines), like kubectl'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -l insecure-skip-tls-verify -d 'Don\'t verify the server\'s certificate (insecure)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand fix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand help; and not __fish_seen_subcommand_from explain schema completion fix help" -f -a "explain" -d 'Every rule, checked, for one (DaemonSet, node) pair, and what to change'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand help; and not __fish_seen_subcommand_from explain schema completion fix help" -f -a "schema" -d 'Print the JSON Schema of the `-o json` report'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand help; and not __fish_seen_subcommand_from explain schema completion fix help" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand help; and not __fish_seen_subcommand_from explain schema completion fix help" -f -a "fix" -d 'Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted nodes, with --outdated OnDelete pods), show it, and carry it out with --yes'
complete -c kubectl-ds_coverage -n "__fish_kubectl_ds_coverage_using_subcommand help; and not __fish_seen_subcommand_from explain schema completion fix help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
