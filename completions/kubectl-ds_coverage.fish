# fish completion for kubectl-ds_coverage (printed by `kubectl-ds_coverage completion fish`):
# put it in ~/.config/fish/completions/kubectl-ds_coverage.fish.
#
# Every answer comes from the binary itself: the function runs
# `kubectl-ds_coverage __complete WORDS... CURRENT`, which answers in the protocol of cobra
# (kubectl's command library): one `value<TAB>description` per line, then `:<directive>`.

function __kubectl_ds_coverage_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l program $words[1]
    set -e words[1]
    set -l out ($program __complete $words $current 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    # `--flag=pre`: the answers are bare values; fish completes the whole token.
    set -l prefix ''
    if string match -qr -- '^-[^=]*=' $current
        set prefix (string replace -r '=.*' '=' -- $current)
    end
    if test (count $out) -eq 0
        # Cobra's directive 4: no file names; otherwise the files, as without completion.
        if test (math "bitand($directive, 4)") -eq 0
            __fish_complete_path $current
        end
        return
    end
    for line in $out
        printf '%s%s\n' $prefix $line
    end
end

complete -c kubectl-ds_coverage -f -a '(__kubectl_ds_coverage_complete)'
